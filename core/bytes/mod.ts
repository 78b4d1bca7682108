/**
 * Bytes: chunks joined into one array ({@link joinChunks}), and read up to a cap as they stream in
 * ({@link readAtMost}, {@link CappedChunks}), so every reader of a body, a download or a command's
 * output bounds its memory the same way and keeps its own limit and error.
 *
 * ```ts
 * import { readAtMost } from "./mod.ts";
 * const { bytes, overflowed } = await readAtMost(new Blob(["hello"]).stream(), 4);
 * // bytes: "hell", overflowed: true
 * ```
 *
 * @module
 */
export {
  type ByteBudget,
  type CappedBytes,
  CappedChunks,
  joinChunks,
  readAtMost,
} from "./chunks.ts";
