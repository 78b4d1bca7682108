/**
 * What arrives from a terminal in raw mode, split into what the line editor handles itself and
 * what it hands to the key reader: a bracketed paste (`ESC[200~ … ESC[201~`, sent by a terminal
 * that was asked for it with `ESC[?2004h`) is one piece of text, never keys; Ctrl-C is a key of
 * its own while no line is being read.
 *
 * @module
 */

/** Turns bracketed paste on at the terminal. */
export const PASTE_ON = "\x1b[?2004h";
/** Turns it off again. */
export const PASTE_OFF = "\x1b[?2004l";

const START = "\x1b[200~";
const END = "\x1b[201~";

/** A piece of input: typed keys, or a pasted block as it was pasted (line ends made `\n`). */
export type Piece = { readonly keys: string } | { readonly paste: string };

/** How many characters at the end of `text` could begin `marker`. */
function partial(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(-n))) return n;
  }
  return 0;
}

// Controls a pasted block may not carry into a line: all of C0 but tab and newline, and DEL.
// deno-lint-ignore no-control-regex
const PASTE_UNSAFE = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * Splits raw terminal input into {@link Piece}s as it arrives in chunks of any size: a paste
 * marker cut between two chunks is held back until the next.
 */
export class PasteSplitter {
  #held = "";
  #pasting = false;
  #paste = "";

  /** The pieces `chunk` completes, in order. */
  push(chunk: string): Piece[] {
    let text = this.#held + chunk;
    this.#held = "";
    const pieces: Piece[] = [];
    while (text) {
      if (this.#pasting) {
        const end = text.indexOf(END);
        if (end < 0) {
          const keep = partial(text, END);
          this.#paste += text.slice(0, text.length - keep);
          this.#held = text.slice(text.length - keep);
          break;
        }
        this.#paste += text.slice(0, end);
        text = text.slice(end + END.length);
        this.#pasting = false;
        const paste = this.#paste.replace(/\r\n?/g, "\n").replace(PASTE_UNSAFE, "");
        this.#paste = "";
        pieces.push({ paste });
        continue;
      }
      const start = text.indexOf(START);
      if (start < 0) {
        const keep = partial(text, START);
        if (text.length > keep) pieces.push({ keys: text.slice(0, text.length - keep) });
        this.#held = text.slice(text.length - keep);
        break;
      }
      if (start > 0) pieces.push({ keys: text.slice(0, start) });
      text = text.slice(start + START.length);
      this.#pasting = true;
    }
    return pieces;
  }
}
