/**
 * Byte chunks joined into one array, and kept up to a cap as they stream in: the one place that
 * reads a body, a download or a command's output up to N bytes and says whether it went over.
 *
 * @module
 */

/** Joins `chunks` into one array (a copy, even of one chunk). */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Bytes still allowed, and whether a chunk went past them; several collectors may share one. */
export interface ByteBudget {
  left: number;
  overflowed: boolean;
}

/**
 * Chunks kept while a budget lasts: of a chunk that goes past it, the part that fits is kept and
 * the budget marked overflowed; nothing is kept after that.
 */
export class CappedChunks {
  readonly #chunks: Uint8Array[] = [];
  /** The budget this collector spends (shared when one was given). */
  readonly budget: ByteBudget;

  /** A collector of at most `cap` bytes, or one spending a `budget` it shares with others. */
  constructor(cap: number | ByteBudget) {
    this.budget = typeof cap === "number" ? { left: cap, overflowed: false } : cap;
  }

  /** Keeps what of `chunk` fits; false when some of it did not (the budget is spent). */
  add(chunk: Uint8Array): boolean {
    const take = Math.min(chunk.length, this.budget.left);
    if (take > 0) {
      this.#chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      this.budget.left -= take;
    }
    if (take === chunk.length) return true;
    this.budget.overflowed = true;
    return false;
  }

  /** The kept bytes, joined. */
  bytes(): Uint8Array<ArrayBuffer> {
    return joinChunks(this.#chunks);
  }
}

/** What {@link readAtMost} read: at most its cap, and whether the source went past it. */
export interface CappedBytes {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly overflowed: boolean;
}

/**
 * Reads `source` (a web `ReadableStream` or a Node stream) up to `maxBytes`: the first `maxBytes`
 * bytes, and overflowed as soon as one more came, when reading stops and the source is cancelled
 * (its iterator returned); the rest is never read.
 */
export async function readAtMost(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<CappedBytes> {
  const kept = new CappedChunks(maxBytes);
  for await (const chunk of source) {
    if (!kept.add(chunk)) break;
  }
  return { bytes: kept.bytes(), overflowed: kept.budget.overflowed };
}
