/**
 * Splitting a long answer into messages a platform takes (Telegram 4096 characters, Discord 2000)
 * without breaking its Markdown: a cut falls at a paragraph, else a line, else a space, and never
 * inside a word when a space is near; a cut inside a fenced code block closes the fence at the end
 * of the piece and opens it again (with its language) at the start of the next, so both pieces
 * render as code.
 *
 * @module
 */

const FENCE = /^\s*(```+|~~~+)(.*)$/;

/** Splits `text` into pieces of at most `limit` characters (UTF-16 units); see the module doc. */
export function splitMessage(text: string, limit: number): string[] {
  if (limit < 32) throw new RangeError(`Cannot split messages to ${limit} characters: too short`);
  const pieces: string[] = [];
  let rest = text;
  let reopen = "";
  while (reopen.length + rest.length > limit) {
    const body = reopen + rest;
    // Room for a closing fence, in case the cut falls inside a code block.
    const room = limit - 4;
    let cut = cutPoint(body, room);
    let piece = body.slice(0, cut);
    const open = openFence(piece);
    if (open !== undefined) {
      const closer = `\n${open.marker}`;
      if (piece.length + closer.length > limit) {
        cut = cutPoint(body, limit - closer.length);
        piece = body.slice(0, cut);
      }
      piece = piece.replace(/\n$/, "") + closer;
      reopen = `${open.marker}${open.info}\n`;
    } else {
      reopen = "";
    }
    pieces.push(piece.trimEnd());
    rest = body.slice(cut).replace(/^\n+/, "");
    // The cut fell just before the closing fence: it is already closed.
    const closing = /^(```+|~~~+)[ \t]*(\n|$)/.exec(rest);
    if (reopen !== "" && closing) {
      rest = rest.slice(closing[0].length).replace(/^\n+/, "");
      reopen = "";
    }
  }
  const last = (reopen + rest).trimEnd();
  if (last !== "" || pieces.length === 0) pieces.push(last);
  return pieces;
}

/** Where to cut `text` to keep at most `max` characters: the latest good boundary. */
function cutPoint(text: string, max: number): number {
  const window = text.slice(0, max + 1);
  // Not too early: a boundary in the first half of the window wastes a message.
  const least = Math.floor(max / 2);
  for (const boundary of ["\n\n", "\n", " "]) {
    const at = window.lastIndexOf(boundary);
    if (at >= least && at <= max) return at + (boundary === " " ? 1 : boundary.length);
  }
  // No boundary: a hard cut, never between the halves of a surrogate pair.
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}

/** The fence still open at the end of `piece`, if any. */
function openFence(piece: string): { marker: string; info: string } | undefined {
  let open: { marker: string; info: string } | undefined;
  for (const line of piece.split("\n")) {
    const match = FENCE.exec(line);
    if (!match) continue;
    const marker = match[1]!;
    if (open === undefined) open = { marker, info: match[2]!.trim() };
    else if (marker.startsWith(open.marker) && match[2]!.trim() === "") open = undefined;
  }
  return open;
}
