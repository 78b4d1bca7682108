/**
 * Writing vectors with their codes. A model's mean is taken once, from the first
 * {@link MEAN_SAMPLE} vectors it made, when the last of them is stored, and kept for good; in
 * that same transaction the vectors stored before it get their codes, and every vector stored
 * after it gets its code as it is written. So once a model has a mean, each of its vectors has a
 * code, whichever process wrote it.
 *
 * @module
 */
import type { ChunkVectorStore, Timeline } from "../timeline/mod.ts";
import { codeOf, MEAN_SAMPLE, meanOf } from "./codes.ts";

/** A chunk's new vector. */
export interface VectorInput {
  readonly seq: number;
  readonly vector: Float32Array;
}

/**
 * Stores vectors made by `model` (all of one size) with their codes, in one transaction; returns
 * how many were stored (a chunk deleted meanwhile is skipped).
 *
 * @example
 * ```ts
 * import { openWithVectors, storeVectors } from "./mod.ts";
 * const { timeline } = openWithVectors(":memory:");
 * const { chunk } = timeline.memory.upsert({
 *   id: "c1", source: "user", content: "a fact", tags: [], taint: "trusted",
 * });
 * const stored = storeVectors(timeline, "m/x", [{ seq: chunk.seq, vector: new Float32Array(4) }]);
 * console.assert(stored === 1 && timeline.memory.vectors.dimension() === 4);
 * timeline.close();
 * ```
 */
export function storeVectors(
  timeline: Timeline,
  model: string,
  items: readonly VectorInput[],
): number {
  const store = timeline.memory.vectors;
  return timeline.transaction(() => {
    const mean = items.length === 0 ? undefined : store.mean(model, items[0]!.vector.length);
    let stored = 0;
    for (const { seq, vector } of items) {
      if (store.set(seq, model, vector, mean && codeOf(vector, mean))) stored++;
    }
    if (mean === undefined && store.count(model) >= MEAN_SAMPLE) createMean(store, model);
    return stored;
  });
}

/**
 * The mean of `model`'s vectors of `dimension`: the stored one, or one taken now (and the codes
 * of its vectors written) when it has made enough vectors, or undefined while it has not.
 */
export function ensureMean(
  timeline: Timeline,
  model: string,
  dimension: number,
): Float32Array | undefined {
  const store = timeline.memory.vectors;
  const stored = store.mean(model, dimension);
  if (stored !== undefined || store.count(model) < MEAN_SAMPLE) return stored;
  return timeline.transaction(() => createMean(store, model));
}

/** Vectors read at a time to be given their codes (some 6 MiB of 384 dimensions). */
const CODING_BATCH = 4096;

/**
 * Takes the mean of `model`'s first vectors and codes its vectors that have none; inside a
 * transaction. When another process stored a mean first, that one is kept and used.
 */
function createMean(store: ChunkVectorStore, model: string): Float32Array {
  const first = store.first(model, MEAN_SAMPLE);
  store.saveMean(model, meanOf(first));
  const mean = store.mean(model, first[0]!.length)!;
  for (let afterId = 0;;) {
    const batch = store.uncoded(model, { afterId, limit: CODING_BATCH });
    for (const { id, vector } of batch) store.setCode(id, codeOf(vector, mean));
    if (batch.length < CODING_BATCH) return mean;
    afterId = batch[batch.length - 1]!.id;
  }
}
