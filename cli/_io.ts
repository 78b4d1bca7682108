/** Where a subcommand writes: stdout and stderr, replaceable in tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const encoder = new TextEncoder();

/** The process's own stdout and stderr. */
export const processIo: Io = {
  out: (text) =>
    void Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n")),
  err: (text) =>
    void Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n")),
};
