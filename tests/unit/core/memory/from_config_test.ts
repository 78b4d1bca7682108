import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { memoryEmbedder, memoryFromConfig, openWithVectors } from "../../../../core/memory/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

function config(env: Record<string, string>) {
  return resolveConfig({ home: "/tmp/kafclaw-memory-tests", env });
}

Deno.test("the default configuration without an OpenAI key gives keyword-only memory", () => {
  const { embedder, embedderReason } = memoryEmbedder(config({}));
  assert.equal(embedder, undefined);
  assert.match(
    embedderReason!,
    /^no embedding model can be used \(openai\/text-embedding-3-small\): .*OPENAI_API_KEY/,
  );
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const status = memoryFromConfig(timeline, config({}), { vectors }).status();
    assert.deepEqual([status.mode, status.reason], ["keyword", embedderReason]);
  } finally {
    timeline.close();
  }
});

Deno.test("embedding can be turned off, and other configuration errors are not hidden", () => {
  const off = memoryEmbedder(config({ KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" }));
  assert.deepEqual(off, { embedderReason: "memory.embedding.enabled is false" });
  assert.throws(
    () => memoryEmbedder(config({ OPENAI_API_KEY: "sk-x" }), { timeoutMs: -1 }),
    RangeError,
  );
});

Deno.test("memory from the configuration embeds with memory.embedding and searches with memory.search", async () => {
  await using llm = await startFakeOpenAI({ embeddingDimension: 12 });
  const cfg = config({
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "ollama/nomic-embed-text",
    KAFCLAW_MEMORY_EMBEDDING_DIMENSION: "12",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: llm.url,
    KAFCLAW_MEMORY_SEARCH_MAX_RESULTS: "1",
    KAFCLAW_MEMORY_SEARCH_MIN_SCORE: "0",
  });
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const memory = memoryFromConfig(timeline, cfg, { vectors, maxChunks: 10 });
    await memory.remember("the heating oil is ordered in September", { taint: "trusted" });
    await memory.remember("the chimney sweep comes in spring", { taint: "trusted" });
    const status = memory.status();
    assert.deepEqual(
      [status.mode, status.embeddingModel, status.maxChunks, status.sqliteVec.indexDimension],
      ["hybrid", "ollama/nomic-embed-text", 10, 12],
    );
    const result = await memory.search("heating oil");
    assert.equal(result.mode, "hybrid");
    assert.equal(result.hits.length, 1);
    assert.deepEqual(
      llm.requests.map((r) => (r.body as { model: string }).model),
      ["nomic-embed-text", "nomic-embed-text", "nomic-embed-text"],
    );
  } finally {
    timeline.close();
  }
});

Deno.test("with a redactor, no text reaches the embedding model unredacted, and memory keeps it whole", async () => {
  await using llm = await startFakeOpenAI({ embeddingDimension: 8 });
  const cfg = config({
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "ollama/nomic-embed-text",
    KAFCLAW_MEMORY_EMBEDDING_DIMENSION: "8",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: llm.url,
  });
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const memory = memoryFromConfig(timeline, cfg, {
      vectors,
      redact: (text) => text.replaceAll("hunter2", "[REDACTED]"),
    });
    await memory.remember("the router password is hunter2", { taint: "trusted" });
    const result = await memory.search("what is hunter2 for");
    assert.match(result.hits[0]!.content, /password is hunter2/);
    const sent = llm.requests.map((r) => (r.body as { input: string[] }).input);
    assert.deepEqual(sent, [
      ["the router password is [REDACTED]"],
      ["what is [REDACTED] for"],
    ]);
  } finally {
    timeline.close();
  }
});
