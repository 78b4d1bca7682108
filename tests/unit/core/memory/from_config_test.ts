import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import {
  formatStatus,
  memoryEmbedder,
  memoryFromConfig,
  openWithVectors,
} from "../../../../core/memory/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

function config(env: Record<string, string>) {
  return resolveConfig({ home: "/tmp/kafclaw-memory-tests", env });
}

Deno.test("the default configuration without an OpenAI key gives keyword-only memory", () => {
  const { embedder, embedderReason } = memoryEmbedder(config({}));
  assert.equal(embedder, undefined);
  assert.match(
    embedderReason!,
    /^no key for the embedding model: Model openai\/text-embedding-3-small needs .*OPENAI_API_KEY/,
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
  assert.deepEqual(off, {
    embedderReason: "memory.embedding.enabled is false",
    advice: "to search by meaning too: `kafclaw config set memory.embedding.enabled true`",
  });
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

Deno.test("the embedding model follows the chat model's provider unless it is set", () => {
  const ollama = config({ KAFCLAW_MODEL: "ollama/llama3.1" });
  assert.equal(memoryEmbedder(ollama).embedder?.model, "ollama/nomic-embed-text");
  const set = config({
    KAFCLAW_MODEL: "ollama/llama3.1",
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "ollama/all-minilm",
  });
  assert.equal(memoryEmbedder(set).embedder?.model, "ollama/all-minilm");
  const keyed = config({ KAFCLAW_MODEL: "openrouter/x/y", OPENROUTER_API_KEY: "sk-or" });
  assert.equal(
    memoryEmbedder(keyed).embedder?.model,
    "openrouter/openai/text-embedding-3-small",
  );
});

Deno.test("keyword-only memory says how to search by meaning with the user's provider", () => {
  const anthropic = memoryEmbedder(
    config({ KAFCLAW_MODEL: "anthropic/claude-sonnet-4-5", ANTHROPIC_API_KEY: "sk-ant" }),
  );
  assert.equal(anthropic.embedder, undefined);
  assert.equal(
    anthropic.advice,
    "anthropic serves no embedding model: set OPENAI_API_KEY for openai/text-embedding-3-small, " +
      "or run one locally with Ollama (`ollama pull nomic-embed-text`, then " +
      "`kafclaw config set memory.embedding.model ollama/nomic-embed-text`)",
  );
  const gemini = memoryEmbedder(config({
    KAFCLAW_MODEL: "gemini/gemini-2.0-flash",
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "openai/text-embedding-3-small",
    GEMINI_API_KEY: "g",
  }));
  assert.equal(
    gemini.advice,
    "to search by meaning with gemini, which the chat model uses: " +
      "`kafclaw config set memory.embedding.model gemini/gemini-embedding-001`",
  );
  const openai = memoryEmbedder(config({}));
  assert.equal(openai.advice, "to search by meaning: set the key named above");
  const { command: _, ...unnamed } = config({ KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" });
  assert.match(memoryEmbedder(unnamed).advice!, /`kafclaw config set memory\.embedding\.enabled/);
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const cfg = config({ KAFCLAW_MODEL: "anthropic/claude-sonnet-4-5", ANTHROPIC_API_KEY: "k" });
    const status = memoryFromConfig(timeline, cfg, { vectors }).status();
    assert.deepEqual([status.mode, status.advice], ["keyword", anthropic.advice]);
    assert.match(
      formatStatus(status),
      /^search: keyword only \(no key for the embedding model: .*\)\n {2}anthropic serves no embedding model: /,
    );
  } finally {
    timeline.close();
  }
});

Deno.test("status says the embedding model's last error until a call succeeds", async () => {
  await using llm = await startFakeOpenAI({
    endpoints: { embeddings: [{ status: 401, message: "bad key" }] },
  });
  const cfg = config({
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "ollama/nomic-embed-text",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: llm.url,
  });
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const memory = memoryFromConfig(timeline, cfg, { vectors });
    const stored = await memory.remember("the gate code is 4711");
    assert.match(stored.notice!, /^stored without vectors: /);
    const failed = memory.status();
    assert.equal(failed.mode, "hybrid");
    assert.match(failed.lastError!.message, /401/);
    assert.match(formatStatus(failed), /\n {2}its last call failed \(\d{4}-.*\): .*401/);
    assert.equal((await memory.reindex({ confirm: true })).embedded, 1);
    assert.equal(memory.status().lastError, undefined);
  } finally {
    timeline.close();
  }
});
