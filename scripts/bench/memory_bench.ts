/**
 * Memory search as it grows: `Memory.search` (hybrid, top 10, keywords and vectors fused) over
 * 100,000 chunks with 384-dimensional vectors and Zipf-distributed words, against an exact brute
 * force over the same vectors held in one Float32Array, measured in the same run. The corpus and
 * its embedder are made for the benchmark (tests/_support/memory_corpus.ts); building it takes
 * about a minute. Printed before the table: the recall@10 of the vector ranking against the
 * brute force, the p50 of both (Deno's table shows no median), and what the code index costs a
 * process (its first load, and the memory it holds). The two rankings of a search are timed alone
 * to show where its time goes.
 */
import { CodeIndex, ftsQuery, Memory } from "../../core/memory/mod.ts";
import { corpusMemory, exactNearest } from "../../tests/_support/memory_corpus.ts";

const CHUNKS = 100_000;
const { corpus, filled, timeline, memory, [Symbol.asyncDispose]: dispose } = await corpusMemory(
  CHUNKS,
  3,
);
const queries = Array.from({ length: 50 }, () => corpus.query());
const queryVectors = queries.map((q) => corpus.vector(q));

const index = new CodeIndex(timeline, { model: corpus.model, dimension: corpus.dimension });
const loadStart = performance.now();
index.sync();
const loadMs = performance.now() - loadStart;
const { vectors, bytes } = index.stats();
console.log(
  `memory: the code index loads ${vectors} codes in ${loadMs.toFixed(0)} ms and holds ` +
    `${(bytes / 2 ** 20).toFixed(1)} MiB`,
);

let found = 0;
for (const vector of queryVectors) {
  const exact = new Set(exactNearest(filled, vector, 10));
  found += index.nearest(vector, { zones: "all", k: 10 })
    .filter((n) => exact.has(n.chunk.seq)).length;
}
console.log(`memory: recall@10 of the vector ranking at ${CHUNKS} chunks: ${found / 500}`);

async function median(run: (i: number) => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3 * queries.length; i++) {
    const start = performance.now();
    await run(i % queries.length);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}
const brute = await median((i) => exactNearest(filled, queryVectors[i]!, 10));
const hybrid = await median((i) => memory.search(queries[i]!, { limit: 10 }));
console.log(
  `memory: p50 of Memory.search hybrid top 10: ${hybrid.toFixed(1)} ms; of the brute force: ` +
    `${brute.toFixed(1)} ms (${(brute / hybrid).toFixed(1)}x the search)`,
);

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
// An embedding model is usually a network call away: the keyword ranking is done meanwhile.
const remote = new Memory(timeline, {
  embedder: {
    model: corpus.model,
    embed: (texts) => new Promise((done) => setTimeout(() => done(corpus.embed(texts)), 10)),
  },
  maxChunks: CHUNKS,
  minScore: -1,
});
Deno.bench(
  "Memory.search hybrid top 10, embeddings 10 ms away",
  { group: "memory 100k" },
  async () => {
    await remote.search(queries[next++ % queries.length]!, { limit: 10 });
  },
);
// Where a search's time goes: its two rankings alone, with the candidates a top 10 asks for.
Deno.bench("its vector ranking alone (code index)", { group: "memory 100k" }, () => {
  index.nearest(queryVectors[next++ % queryVectors.length]!, { zones: [], k: 40 });
});
Deno.bench("its keyword ranking alone (FTS5)", { group: "memory 100k" }, () => {
  const match = ftsQuery(queries[next++ % queries.length]!)!;
  timeline.memory.keywordSearch(match, { zones: [], limit: 40 });
});

globalThis.addEventListener("unload", () => void dispose());
