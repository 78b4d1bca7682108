/**
 * A choice from a list on a terminal in raw mode: the arrow keys (or k and j) move, Enter picks, a
 * number picks that line, Ctrl-C (or Ctrl-D) cancels. The list is drawn on stderr and replaced by one line
 * with the answer once picked. Colour only where the caller allows it (NO_COLOR, not a terminal).
 *
 * @module
 */
import type { Choice } from "./_prompt.ts";

const STYLES = { bold: "\x1b[1m", dim: "\x1b[2m", cyan: "\x1b[36m" } as const;

/** `text` in a style, or as it is when `colour` is false. */
export function paint(text: string, style: keyof typeof STYLES, colour: boolean): string {
  return colour ? `${STYLES[style]}${text}\x1b[0m` : text;
}

/** What {@link selectOnTerminal} reads from and writes to. */
export interface SelectIo {
  readonly question: string;
  readonly choices: readonly Choice[];
  readonly fallback?: string | undefined;
  readonly colour: boolean;
  /** Writes to the terminal (stderr). */
  write(text: string): void;
  /** The next key, undefined at end of input. */
  readKey(): Promise<string | undefined>;
}

const UP = new Set(["\x1b[A", "\x1bOA", "k"]);
const DOWN = new Set(["\x1b[B", "\x1bOB", "j", "\t"]);

/**
 * Lets the user pick one of the choices; resolves its value (undefined at end of input) and
 * throws Deno.errors.Interrupted on Ctrl-C or Ctrl-D. The terminal must be in raw mode.
 */
export async function selectOnTerminal(io: SelectIo): Promise<string | undefined> {
  const { choices, colour } = io;
  let at = Math.max(0, choices.findIndex((c) => c.value === io.fallback));
  const lines = () =>
    choices.map((c, i) => {
      const note = c.note ? paint(`  ${c.note}`, "dim", colour) : "";
      const text = `${i + 1} ${c.value}`;
      return i === at ? `${paint(`❯ ${text}`, "cyan", colour)}${note}` : `  ${text}${note}`;
    });
  const hint = paint("(↑/↓ and Enter)", "dim", colour);
  io.write(`${paint(io.question, "bold", colour)} ${hint}\r\n${lines().join("\r\n")}`);
  const redraw = () => {
    // Back to the first line of the list, then each line cleared and drawn again.
    const up = choices.length > 1 ? `\x1b[${choices.length - 1}A` : "";
    io.write(`\r${up}${lines().map((line) => `\x1b[2K${line}`).join("\r\n")}`);
  };
  const finish = (value: string | undefined) => {
    const up = `\x1b[${choices.length}A`;
    io.write(`\r${up}\x1b[J${paint(io.question, "bold", colour)}: ${value ?? ""}\r\n`);
    return value;
  };
  for (;;) {
    const key = await io.readKey();
    if (key === undefined) return finish(undefined);
    if (key === "\x03" || key === "\x04") {
      finish("");
      throw new Deno.errors.Interrupted("cancelled");
    }
    if (key === "\r" || key === "\n") return finish(choices[at]!.value);
    const n = /^[1-9]$/.test(key) ? Number(key) : 0;
    if (n >= 1 && n <= choices.length) {
      at = n - 1;
      return finish(choices[at]!.value);
    }
    if (UP.has(key)) at = (at + choices.length - 1) % choices.length;
    else if (DOWN.has(key)) at = (at + 1) % choices.length;
    else continue;
    redraw();
  }
}
