/**
 * Questions on the terminal: a line reader over stdin that also works when answers are piped in,
 * and secret answers read without echo when stdin is a terminal.
 *
 * @module
 */

/** Asks questions and reads the answers. */
export interface Prompter {
  /** Asks; an empty answer gives `fallback`. Resolves undefined at end of input. */
  ask(question: string, fallback?: string): Promise<string | undefined>;
  /** Asks without echoing the answer on a terminal. */
  askSecret(question: string): Promise<string | undefined>;
  /** A yes/no question; anything but y or yes is no. */
  confirm(question: string): Promise<boolean>;
}

const encoder = new TextEncoder();

/** A prompter on this process's stdin and stderr (stdout stays clean for answers). */
export function terminalPrompter(): Prompter {
  const decoder = new TextDecoder();
  let buffered = "";
  let ended = false;
  const reader = Deno.stdin.readable.getReader();
  // In raw mode (secrets) Enter arrives as "\r" and Ctrl-C as "\x03".
  const readLine = async (raw = false): Promise<string | undefined> => {
    // deno-lint-ignore no-control-regex
    const end = raw ? /[\r\n\x03]/ : /\n/;
    while (buffered.search(end) < 0 && !ended) {
      const { value, done } = await reader.read();
      if (done) ended = true;
      else buffered += decoder.decode(value, { stream: true });
    }
    if (!buffered && ended) return undefined;
    const at = buffered.search(end);
    if (at >= 0 && buffered[at] === "\x03") throw new Deno.errors.Interrupted("cancelled");
    const line = at < 0 ? buffered : buffered.slice(0, at);
    buffered = at < 0 ? "" : buffered.slice(at + 1);
    return line.replace(/\r$/, "");
  };
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  const ask = async (question: string, fallback?: string) => {
    write(fallback ? `${question} [${fallback}]: ` : `${question}: `);
    const line = await readLine();
    if (line === undefined) return fallback;
    return line.trim() || fallback;
  };
  return {
    ask,
    async askSecret(question) {
      if (!Deno.stdin.isTerminal()) return await ask(question);
      write(`${question} (not shown): `);
      Deno.stdin.setRaw(true);
      try {
        const line = await readLine(true);
        return line?.trim() || undefined;
      } finally {
        Deno.stdin.setRaw(false);
        write("\n");
      }
    },
    async confirm(question) {
      const answer = await ask(`${question} [y/N]`);
      return /^(y|yes)$/i.test(answer ?? "");
    },
  };
}
