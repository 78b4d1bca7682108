/**
 * A file's body as the fakes serve it: in 64 KiB pieces, each given only when the client reads
 * on, counted as it goes, so a test can tell a client that stops reading at its limit from one
 * that reads a whole oversized file first.
 */

/** `bytes` as a stream that calls `onSent(n)` with each piece's size as it is given. */
export function countedBody(bytes: Uint8Array, onSent: (n: number) => void): ReadableStream {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const piece = bytes.slice(at, at + 64 * 1024);
      at += piece.length;
      onSent(piece.length);
      controller.enqueue(piece);
    },
  }, { highWaterMark: 0 });
}
