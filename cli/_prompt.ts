/**
 * Questions on the terminal: a line reader over stdin that also works when answers are piped in,
 * secret answers read without echo when stdin is a terminal, and choices from a list picked with
 * the arrow keys on a terminal (cli/_prompt_select.ts) or typed when stdin is not one.
 *
 * @module
 */
import { paint, selectOnTerminal } from "./_prompt_select.ts";

/** One answer of a list. */
export interface Choice {
  /** What the answer is (and what a user may type). */
  readonly value: string;
  /** A few words shown after the value. */
  readonly note?: string;
}

/** Asks questions and reads the answers. */
export interface Prompter {
  /** Asks; an empty answer gives `fallback`. Resolves undefined at end of input. */
  ask(question: string, fallback?: string): Promise<string | undefined>;
  /** Asks without echoing the answer on a terminal. */
  askSecret(question: string): Promise<string | undefined>;
  /** A yes/no question; anything but y or yes is no. */
  confirm(question: string): Promise<boolean>;
  /**
   * One of `choices`: picked with the arrow keys and Enter on a terminal, else typed (the value,
   * or its number in the list); an empty answer gives `fallback`. The answer is as typed: the
   * caller checks it.
   */
  choose(
    question: string,
    choices: readonly Choice[],
    fallback?: string,
  ): Promise<string | undefined>;
}

const encoder = new TextEncoder();

/** The answer a typed reply to {@link Prompter.choose} means: a number picks from the list. */
export function typedChoice(answer: string, choices: readonly Choice[]): string {
  const n = /^\d{1,3}$/.test(answer) ? Number(answer) : 0;
  return n >= 1 && n <= choices.length ? choices[n - 1]!.value : answer;
}

/** Whether NO_COLOR is set (and not empty); a process that may not read it gets no colour. */
function noColour(): boolean {
  try {
    return Boolean(Deno.env.get("NO_COLOR"));
  } catch {
    return true;
  }
}

/** A prompter on this process's stdin and stderr (stdout stays clean for answers). */
export function terminalPrompter(): Prompter {
  const decoder = new TextDecoder();
  let buffered = "";
  let ended = false;
  const reader = Deno.stdin.readable.getReader();
  const fill = async () => {
    const { value, done } = await reader.read();
    if (done) ended = true;
    else buffered += decoder.decode(value, { stream: true });
  };
  // In raw mode (secrets) Enter arrives as "\r", Ctrl-C as "\x03" and Ctrl-D as "\x04".
  const readLine = async (raw = false): Promise<string | undefined> => {
    // deno-lint-ignore no-control-regex
    const end = raw ? /[\r\n\x03\x04]/ : /\n/;
    while (buffered.search(end) < 0 && !ended) await fill();
    if (!buffered && ended) return undefined;
    const at = buffered.search(end);
    if (at >= 0 && "\x03\x04".includes(buffered[at]!)) {
      throw new Deno.errors.Interrupted("cancelled");
    }
    const line = at < 0 ? buffered : buffered.slice(0, at);
    buffered = at < 0 ? "" : buffered.slice(at + 1);
    return line.replace(/\r$/, "");
  };
  // What arrived in raw mode, whole: an escape sequence stays one key.
  const readKey = async (): Promise<string | undefined> => {
    if (!buffered && !ended) await fill();
    if (!buffered) return undefined;
    // deno-lint-ignore no-control-regex
    const key = /^\x1b\[[0-9;]*[A-Za-z~]|^\x1bO[A-Za-z]|^[\s\S]/u.exec(buffered)![0];
    buffered = buffered.slice(key.length);
    return key;
  };
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  const colour = !noColour() && Deno.stderr.isTerminal();
  const ask = async (question: string, fallback?: string) => {
    const shown = fallback ? ` ${paint(`[${fallback}]`, "dim", colour)}` : "";
    write(`${paint(question, "bold", colour)}${shown}: `);
    const line = await readLine();
    // A piped answer is not echoed: end the question's line, so what follows starts a new one.
    if (!Deno.stdin.isTerminal()) write("\n");
    if (line === undefined) return fallback;
    return line.trim() || fallback;
  };
  const terminal = () => Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
  return {
    ask,
    async askSecret(question) {
      if (!Deno.stdin.isTerminal()) return await ask(question);
      // Raw before the question shows: an answer typed at once is never echoed.
      Deno.stdin.setRaw(true);
      try {
        write(`${paint(question, "bold", colour)} (not shown): `);
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
    async choose(question, choices, fallback) {
      if (!terminal()) {
        const list = choices.map((c, i) => `${i + 1} ${c.value}`).join(", ");
        const answer = await ask(`${question} (${list})`, fallback);
        return answer === undefined ? undefined : typedChoice(answer, choices);
      }
      Deno.stdin.setRaw(true);
      try {
        return await selectOnTerminal({ question, choices, fallback, colour, write, readKey });
      } finally {
        Deno.stdin.setRaw(false);
      }
    },
  };
}
