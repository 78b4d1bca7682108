/**
 * Speed must never buy wrong answers silently: over 100,000 chunks (built in one transaction,
 * about 30 s on two busy cores), the vector ranking that every hybrid search uses must hold at
 * least 95% of the exact cosine top 10 over the same vectors.
 */
import assert from "node:assert/strict";
import { corpusMemory, exactNearest } from "../../../_support/memory_corpus.ts";

const CHUNKS = 100_000;
const QUERIES = 20;

Deno.test("vector search over 100,000 chunks finds at least 95% of the exact top 10", async () => {
  await using m = await corpusMemory(CHUNKS, 7);
  let found = 0;
  for (let i = 0; i < QUERIES; i++) {
    const query = m.corpus.query();
    const vector = m.corpus.vector(query);
    const exact = new Set(exactNearest(m.filled, vector, 10));
    const nearest = m.timeline.memory.vectorSearch(vector, {
      zones: "all",
      k: 10,
      model: m.corpus.model,
    });
    found += nearest.filter((n) => exact.has(n.chunk.seq)).length;
    // what a search shows as the vector side's best ten are among the exact ten as well
    const result = await m.memory.search(query, { zones: "all", limit: 10 });
    assert.equal(result.mode, "hybrid");
    const shown = result.hits.filter((h) => h.vectorRank !== undefined && h.vectorRank <= 10);
    assert.ok(shown.length > 0, query);
    for (const hit of shown) assert.ok(exact.has(hit.seq), `${query}: ${hit.id}`);
  }
  const recall = found / (QUERIES * 10);
  assert.ok(recall >= 0.95, `recall@10 is ${recall}`);
});
