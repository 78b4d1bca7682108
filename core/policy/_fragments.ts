/**
 * Pieces of configured secrets, in the forms a command turns them into: any run of
 * {@link FRAGMENT_CHARS} characters of a secret, of the secret reversed (`rev`), of its bytes in
 * hex (`xxd`, `od`; twice as many characters), or of its base64 at any alignment; found also when
 * whitespace was put between the characters (`fold -w1`, spaced out, split over lines). A whole
 * secret in a file of the workspace reaches the model through `cat`; a piece of it, through
 * anything: so every piece is masked, wherever the text came from.
 *
 * @module
 */

/** The shortest run of a secret's characters that counts as a piece of it. */
export const FRAGMENT_CHARS = 8;

/** Secrets shorter than this are only found whole: a piece of a short one is too common. */
export const MIN_FRAGMENTED_LENGTH = 12;

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Every run of `width` characters of `form`, whitespace left out (the text is read so too). */
function runs(form: string, width: number): string[] {
  const packed = form.replace(/\s+/g, "");
  const out: string[] = [];
  for (let i = 0; i + width <= packed.length; i++) out.push(packed.slice(i, i + width));
  return out;
}

/** Whitespace, taken out of the text before it is read (see {@link blank}). */
const BLANKS = /[ \t\n\v\f\r\u00a0\u2028\u2029\ufeff]+/g;

/** Whether a character is whitespace, as {@link BLANKS} sees it. */
function blank(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028 ||
    code === 0x2029 || code === 0xfeff;
}

/** The pieces of one width, and the first two characters of each (most windows fail there). */
export interface Pieces {
  readonly all: Set<string>;
  readonly starts: Set<number>;
}

const pair = (text: string, i: number) => (text.charCodeAt(i) << 16) | text.charCodeAt(i + 1);

/** The pieces to look for: one set per width (hex pieces cover as many bytes as the others). */
export function fragmentIndex(
  secrets: readonly string[],
  base64Forms: (value: string) => string[],
): Map<number, Pieces> {
  const index = new Map<number, Pieces>();
  const add = (width: number, pieces: string[]) => {
    const set = index.get(width) ?? { all: new Set<string>(), starts: new Set<number>() };
    for (const piece of pieces) {
      set.all.add(piece);
      set.starts.add(pair(piece, 0));
    }
    index.set(width, set);
  };
  for (const secret of secrets) {
    if (secret.length < MIN_FRAGMENTED_LENGTH) continue;
    const bytes = new TextEncoder().encode(secret);
    const reversed = [...secret].reverse().join("");
    add(FRAGMENT_CHARS, runs(secret, FRAGMENT_CHARS));
    add(FRAGMENT_CHARS, runs(reversed, FRAGMENT_CHARS));
    for (const form of base64Forms(secret)) add(FRAGMENT_CHARS, runs(form, FRAGMENT_CHARS));
    const h = hex(bytes);
    const width = 2 * FRAGMENT_CHARS;
    add(width, [...runs(h, width), ...runs(h.toUpperCase(), width)]);
  }
  return index;
}

/**
 * The spans of `text` that hold a piece of a secret, merged, as `[start, end)`: looked for in the
 * text with its whitespace taken out, so a span runs from a piece's first character to its last,
 * any whitespace between them included.
 */
export function fragmentSpans(text: string, index: Map<number, Pieces>): [number, number][] {
  if (index.size === 0) return [];
  const packed = text.replace(BLANKS, "");
  const found: [number, number][] = [];
  for (const [width, pieces] of index) {
    for (let i = 0; i + width <= packed.length; i++) {
      if (!pieces.starts.has(pair(packed, i))) continue;
      if (pieces.all.has(packed.slice(i, i + width))) found.push([i, i + width - 1]);
    }
  }
  if (found.length === 0) return [];
  // Where each character of the packed text was in the text.
  const at = new Int32Array(packed.length);
  for (let i = 0, n = 0; i < text.length; i++) if (!blank(text.charCodeAt(i))) at[n++] = i;
  const spans = found.map(([first, last]): [number, number] => [at[first]!, at[last]! + 1]);
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}
