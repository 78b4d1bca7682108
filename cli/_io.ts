/**
 * Where the CLI writes. Everything it prints passes {@link terminalSafe} first: an answer, a tool
 * call, an approval, a memory, an error can all hold text that the model, a web page or a file
 * wrote, and none of it may act on the owner's terminal.
 *
 * @module
 */

/** Where a subcommand writes: stdout and stderr, replaceable in tests. */
export interface Io {
  /** A line on stdout (the newline added when missing). */
  out(text: string): void;
  /** A line on stderr (the newline added when missing). */
  err(text: string): void;
  /** Text on stdout exactly as given: an answer as it streams in. */
  write(text: string): void;
}

// C0 controls but tab and newline, DEL and the C1 controls (ESC starts every escape sequence:
// cursor moves, colours, titles, OSC 52 clipboard writes; CR overwrites the line), and the
// Unicode marks that reorder text on screen (bidirectional overrides and isolates).
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character that could act on a terminal shown instead, as `\x1b` or
 * `\u{202e}`: what reaches the screen is what was written, nothing more.
 *
 * @example
 * ```ts
 * import { terminalSafe } from "./_io.ts";
 * terminalSafe("ok\x1b]52;c;cm0gLXJm\x07"); // "ok\\x1b]52;c;cm0gLXJm\\x07"
 * ```
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

const encoder = new TextEncoder();

/** Writes all of `text`, made safe (a pipe may take a large write in parts). */
function print(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(terminalSafe(text));
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

/** The process's own stdout and stderr, made safe for a terminal. */
export const processIo: Io = {
  out: (text) => print(Deno.stdout, text.endsWith("\n") ? text : text + "\n"),
  err: (text) => print(Deno.stderr, text.endsWith("\n") ? text : text + "\n"),
  write: (text) => print(Deno.stdout, text),
};
