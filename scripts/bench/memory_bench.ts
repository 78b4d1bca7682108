/**
 * Memory search as it grows: `Memory.search` (hybrid, top 10, keywords and vectors fused) over
 * 100,000 chunks with 384-dimensional vectors and Zipf-distributed words, against an exact brute
 * force over the same vectors held in one Float32Array, measured in the same run. The corpus and
 * its embedder are made for the benchmark (tests/_support/memory_corpus.ts); building it takes
 * about half a minute. The recall of the vector ranking against the brute force is printed
 * before the figures, and the search's two rankings are timed alone to show where its time goes.
 */
import { ftsQuery } from "../../core/memory/mod.ts";
import { corpusMemory, exactNearest } from "../../tests/_support/memory_corpus.ts";

const CHUNKS = 100_000;
const { corpus, filled, timeline, memory, [Symbol.asyncDispose]: dispose } = await corpusMemory(
  CHUNKS,
  3,
);
const queries = Array.from({ length: 50 }, () => corpus.query());
const queryVectors = queries.map((q) => corpus.vector(q));

let found = 0;
for (const vector of queryVectors) {
  const exact = new Set(exactNearest(filled, vector, 10));
  found += timeline.memory.vectorSearch(vector, { zones: "all", k: 10, model: corpus.model })
    .filter((n) => exact.has(n.chunk.seq)).length;
}
console.log(`memory: recall@10 of the vector ranking at ${CHUNKS} chunks: ${found / 500}`);

let next = 0;
Deno.bench("exact cosine top 10 by brute force, 100k vectors", {
  group: "memory 100k",
  baseline: true,
}, () => {
  exactNearest(filled, queryVectors[next++ % queryVectors.length]!, 10);
});
Deno.bench("Memory.search hybrid top 10, 100k chunks", { group: "memory 100k" }, async () => {
  await memory.search(queries[next++ % queries.length]!, { limit: 10 });
});
// Where a search's time goes: its two rankings alone, with the candidates a top 10 asks for.
Deno.bench("its vector ranking alone (sqlite-vec, exact)", { group: "memory 100k" }, () => {
  const vector = queryVectors[next++ % queryVectors.length]!;
  timeline.memory.vectorSearch(vector, { zones: [], k: 40, model: corpus.model });
});
Deno.bench("its keyword ranking alone (FTS5)", { group: "memory 100k" }, () => {
  const match = ftsQuery(queries[next++ % queries.length]!)!;
  timeline.memory.keywordSearch(match, { zones: [], limit: 40 });
});

globalThis.addEventListener("unload", () => void dispose());
