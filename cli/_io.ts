/** Where a subcommand writes: stdout and stderr, replaceable in tests. */
export interface Io {
  /** A line on stdout (the newline added when missing). */
  out(text: string): void;
  /** A line on stderr (the newline added when missing). */
  err(text: string): void;
  /** Text on stdout exactly as given: an answer as it streams in. */
  write(text: string): void;
}

const encoder = new TextEncoder();

/** The process's own stdout and stderr. */
export const processIo: Io = {
  out: (text) =>
    void Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n")),
  err: (text) =>
    void Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n")),
  write: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
};
