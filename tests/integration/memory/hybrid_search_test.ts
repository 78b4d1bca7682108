/**
 * Ranking on a fixed corpus with a real embedding model (tests/fakes/embeddings_server.py):
 * hybrid search puts the right passage first for every query, including paraphrases that share
 * no telling word with their answer; keyword search alone does so only for the keyword queries.
 */
import assert from "node:assert/strict";
import { type Memory, memoryFromConfig, openWithVectors } from "../../../core/memory/mod.ts";
import type { ResolvedConfig } from "../../../core/config/mod.ts";
import { PASSAGES, QUERIES, type Query } from "../../unit/core/memory/_corpus.ts";
import { e5Config, startEmbeddingServer } from "./_embeddings.ts";

/** Loads the corpus into a fresh memory, runs `fn` with it and a map from chunk id to key. */
async function withCorpus(
  config: ResolvedConfig,
  fn: (memory: Memory, keyOf: (id: string | undefined) => string | undefined) => Promise<void>,
) {
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const memory = memoryFromConfig(timeline, config, { vectors });
    const stored = await memory.rememberMany(
      PASSAGES.map((p) => ({ content: p.text, tags: p.tags ?? [], taint: "trusted" as const })),
    );
    assert.equal(stored.created, PASSAGES.length);
    const keys = new Map(stored.ids.map((id, i) => [id, PASSAGES[i]!.key]));
    await fn(memory, (id) => keys.get(id ?? ""));
  } finally {
    timeline.close();
  }
}

async function misses(memory: Memory, keyOf: (id?: string) => string | undefined, qs: Query[]) {
  const wrong: string[] = [];
  for (const q of qs) {
    const result = await memory.search(q.query, { limit: 5 });
    const got = keyOf(result.hits[0]?.id);
    if (got !== q.expect) wrong.push(`${q.query} -> ${got ?? "nothing"}, expected ${q.expect}`);
  }
  return wrong;
}

Deno.test("hybrid search with a real embedding model ranks the right passage first for every query", async () => {
  await using server = await startEmbeddingServer();
  await withCorpus(e5Config(server), async (memory, keyOf) => {
    assert.equal(memory.status().mode, "hybrid");
    assert.equal(memory.status().withoutVector, 0);
    const result = await memory.search(QUERIES[0]!.query);
    assert.deepEqual([result.mode, result.notice, result.taint], ["hybrid", undefined, "trusted"]);
    assert.ok(result.hits[0]!.similarity! > 0.5);
    assert.deepEqual(await misses(memory, keyOf, [...QUERIES]), []);
  });
});

Deno.test("without embeddings the corpus is searched by keywords, which says so and misses paraphrases", async () => {
  await using server = await startEmbeddingServer();
  const config = e5Config(server, { KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" });
  await withCorpus(config, async (memory, keyOf) => {
    const result = await memory.search("staging database port");
    assert.equal(result.mode, "keyword");
    assert.equal(result.notice, "keyword search only: memory.embedding.enabled is false");
    assert.deepEqual(await misses(memory, keyOf, QUERIES.filter((q) => q.kind === "keyword")), []);
    const meaning = QUERIES.filter((q) => q.kind === "meaning");
    const missed = await misses(memory, keyOf, meaning);
    assert.ok(missed.length >= meaning.length / 3, `keywords alone found too much: ${missed}`);
  });
  assert.equal(await server.cpuSeconds(), 0);
});
