/**
 * Hybrid search over memory chunks: the FTS5 ranking (bm25) and the vector ranking (cosine) of
 * the candidates, fused by reciprocal rank. Keyword-only when vectors cannot be used, and the
 * result says so and why.
 *
 * Zones (PROTOCOL.md semantics 9): a chunk without a zone is in `public`, which every agent is a
 * member of, so every search sees it; a chunk of another zone is seen only by a search given that
 * zone (the zones of the current task), or by the owner's `"all"`. Taint (semantics 10): every hit
 * carries its chunk's taint, and the result is untrusted when any hit is, so that the caller
 * taints the turn that reads it.
 *
 * @module
 */
import type { MemoryChunk, Taint, Timeline, ZoneFilter } from "../timeline/mod.ts";
import { ftsQuery, fuse, RRF_K } from "./fusion.ts";
import type { Vectors } from "./vectors.ts";

/** Options of a search. */
export interface SearchOptions {
  /** Zones seen besides public (default none: public only); `"all"` for the owner's tools. */
  readonly zones?: ZoneFilter;
  /** Most hits (default `memory.search.maxResults`). */
  readonly limit?: number;
  /** Lowest cosine similarity of a vector match (default `memory.search.minScore`). */
  readonly minScore?: number;
  readonly signal?: AbortSignal;
}

/** One memory found. */
export interface MemoryHit extends MemoryChunk {
  /** The fused score: the sum of 1 / (60 + rank) over the rankings that found it. */
  readonly score: number;
  /** Its place in the keyword ranking, from 1. */
  readonly keywordRank: number | undefined;
  /** Its place in the vector ranking, from 1. */
  readonly vectorRank: number | undefined;
  /** Cosine similarity to the query, when the vector ranking found it. */
  readonly similarity: number | undefined;
}

/** What a search found and how it searched. */
export interface SearchResult {
  /** `hybrid`: keywords and vectors; `keyword`: keywords only (see `notice`). */
  readonly mode: "hybrid" | "keyword";
  /** Why the search was keyword-only, when it was. */
  readonly notice: string | undefined;
  /** Untrusted when any hit is: reading these taints the turn. */
  readonly taint: Taint;
  readonly hits: readonly MemoryHit[];
}

/** How many candidates each ranking contributes, for `limit` results. */
function candidates(limit: number): number {
  return Math.min(Math.max(limit * 4, 20), 200);
}

/** Searches memory; see the module documentation. */
export async function search(
  timeline: Timeline,
  vectors: Vectors,
  query: string,
  options: SearchOptions & { readonly limit: number; readonly minScore: number },
): Promise<SearchResult> {
  const { limit, minScore } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new RangeError(`A search limit must be an integer from 1 to 100, got ${limit}`);
  }
  const zones = options.zones ?? [];
  const state = vectors.state();
  // The query goes to the embedding model first; the keyword ranking is done while it answers.
  // With no vector of this model stored, its vector would find nothing: it is not asked for (an
  // embedding request before the turn's first LLM call).
  const embedding = state.ready && query.trim() !== "" && !state.empty
    ? vectors.embed([query], options.signal).then(
      ([vector]) => ({ vector: vector! }),
      (error: unknown) => ({ error: error as Error }),
    )
    : undefined;
  const match = ftsQuery(query);
  const keyword = match === undefined
    ? []
    : timeline.memory.keywordSearch(match, { zones, limit: candidates(limit) });
  let notice: string | undefined;
  let nearest: { chunk: MemoryChunk; distance: number }[] = [];
  if (!state.ready) notice = `keyword search only: ${state.reason}`;
  else if (embedding !== undefined) {
    const embedded = await embedding;
    if ("error" in embedded) {
      options.signal?.throwIfAborted();
      notice = `keyword search only: the query could not be embedded: ${embedded.error.message}`;
    } else {
      nearest = vectors.nearest(embedded.vector, { zones, k: candidates(limit) })
        .filter((n) => 1 - n.distance >= minScore);
    }
  }
  const distances = new Map(nearest.map((n) => [n.chunk.id, n.distance]));
  const fused = fuse(
    [keyword.map((k) => k.chunk), nearest.map((n) => n.chunk)],
    (c) => c.id,
    RRF_K,
  );
  const hits = fused.slice(0, limit).map(({ item, score, ranks }): MemoryHit => {
    const distance = distances.get(item.id);
    return {
      ...item,
      score,
      keywordRank: ranks[0],
      vectorRank: ranks[1],
      similarity: distance === undefined ? undefined : 1 - distance,
    };
  });
  return {
    mode: notice === undefined ? "hybrid" : "keyword",
    notice,
    taint: hits.some((h) => h.taint !== "trusted") ? "untrusted" : "trusted",
    hits,
  };
}
