/**
 * Speed must never buy wrong answers silently: over 100,000 chunks (built in one transaction,
 * some 15 s, 25 under coverage), the vector ranking that every hybrid search uses (the code
 * index: every binary code scored in memory, the best few hundred ranked by their exact cosine)
 * must hold at least 95% of the exact cosine top 10 over the same vectors.
 */
import assert from "node:assert/strict";
import { CodeIndex } from "../../../../core/memory/mod.ts";
import { corpusMemory, exactNearest } from "../../../_support/memory_corpus.ts";

const CHUNKS = 100_000;
const QUERIES = 20;

Deno.test("vector search over 100,000 chunks finds at least 95% of the exact top 10", async () => {
  await using m = await corpusMemory(CHUNKS, 7);
  const index = new CodeIndex(m.timeline, { model: m.corpus.model, dimension: 384 });
  let found = 0;
  for (let i = 0; i < QUERIES; i++) {
    const query = m.corpus.query();
    const vector = m.corpus.vector(query);
    const exact = new Set(exactNearest(m.filled, vector, 10));
    const nearest = index.nearest(vector, { zones: "all", k: 40 });
    found += nearest.slice(0, 10).filter((n) => exact.has(n.chunk.seq)).length;
    // a search ranks by meaning with that same index
    const result = await m.memory.search(query, { zones: "all", limit: 10 });
    assert.equal(result.mode, "hybrid");
    const shown = result.hits.filter((h) => h.vectorRank !== undefined);
    assert.ok(shown.length > 0, query);
    for (const hit of shown) assert.equal(nearest[hit.vectorRank! - 1]?.chunk.seq, hit.seq, query);
  }
  const recall = found / (QUERIES * 10);
  assert.ok(recall >= 0.95, `recall@10 is ${recall}`);
  assert.equal(index.stats().vectors, CHUNKS);
});
