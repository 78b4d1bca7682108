/**
 * doctor calls each model of the chain and the embedding model once, against a real HTTP server
 * that plays the provider: an answer, a refused key, an unknown model, a closed port, a host that
 * does not resolve, a server that never answers, vectors of another size.
 */
import assert from "node:assert/strict";
import { type CheckResult, runDoctor } from "../../../../core/doctor/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { tempHome } from "../../../_support/cli.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });

async function doctor(env: Record<string, string>, probeTimeoutMs?: number) {
  await using home = await tempHome();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, ...env },
    probe: working,
    ...(probeTimeoutMs ? { probeTimeoutMs } : {}),
  });
  const of = (check: string) => results.filter((r) => r.check === check);
  return { model: of("model"), memory: of("memory")[0]! };
}

/** A port on 127.0.0.1 that nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("a model that answers and vectors of the configured size pass", async () => {
  await using llm = await startFakeOpenAI({ fallback: "echo", embeddingDimension: 8 });
  const { model, memory } = await doctor({
    OPENAI_API_KEY: "sk-x",
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MEMORY_EMBEDDING_DIMENSION: "8",
  });
  assert.equal(model.length, 1);
  assert.equal(model[0]!.status, "ok");
  assert.equal(memory.status, "ok");
  assert.match(memory.detail, /^hybrid: /);
  const chat = llm.chatRequests();
  assert.equal(chat.length, 1, "one call, no retry");
  assert.equal((chat[0]!.body as { max_completion_tokens?: number }).max_completion_tokens, 1);
});

Deno.test("a refused key is a failed check naming the key to set", async () => {
  await using llm = await startFakeOpenAI({ fallback: "echo", apiKey: "sk-right" });
  const { model, memory } = await doctor({ OPENAI_API_KEY: "sk-wrong", OPENAI_BASE_URL: llm.url });
  assert.equal(model[0]!.status, "fail");
  assert.match(model[0]!.detail, /^openai refused the API key .*OPENAI_API_KEY/);
  assert.match(model[0]!.detail, new RegExp(`at ${llm.url}`));
  assert.equal(model[0]!.hint, "run kafclaw onboard");
  assert.ok(!JSON.stringify([model, memory]).includes("sk-wrong"), "the key never shows");
  assert.equal(memory.status, "fail");
});

Deno.test("a model the server does not know is a failed check with the fix", async () => {
  await using llm = await startFakeOpenAI({
    fallback: "echo",
    models: { "gpt-nope": [{ status: 404, message: "The model gpt-nope does not exist" }] },
  });
  const { model } = await doctor({
    OPENAI_API_KEY: "sk-x",
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-nope",
  });
  assert.equal(model[0]!.status, "fail");
  assert.match(model[0]!.detail, /^openai\/gpt-nope at http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 404/);
  assert.match(model[0]!.hint!, /check the model name/);
});

Deno.test("a closed port and a host that does not resolve are told apart", async () => {
  const refused = await doctor({
    OPENAI_API_KEY: "sk-x",
    OPENAI_BASE_URL: `http://127.0.0.1:${closedPort()}/v1`,
  });
  assert.equal(refused.model[0]!.status, "fail");
  assert.match(refused.model[0]!.detail, /: connection refused$/);
  assert.match(refused.model[0]!.hint!, /is the server running on that port/);
  const unknown = await doctor({
    OPENAI_API_KEY: "sk-x",
    OPENAI_BASE_URL: "http://kafclaw-doctor-test.invalid/v1",
  });
  assert.equal(unknown.model[0]!.status, "fail");
  assert.match(unknown.model[0]!.detail, /: DNS lookup failed \(no such host\)$/);
  assert.match(unknown.model[0]!.hint!, /check the host name/);
});

Deno.test("a server that never answers fails the check after the probe's time limit", async () => {
  await using llm = await startFakeOpenAI({ fallback: { hang: true }, embeddingDimension: 1536 });
  const { model } = await doctor({ OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: llm.url }, 300);
  assert.equal(model[0]!.status, "fail");
  assert.match(model[0]!.detail, /gpt-4o-mini at .*: .*(time|answer)/i);
});

Deno.test("a failing fallback is a warning; the memory mode says why it is keyword only", async () => {
  await using llm = await startFakeOpenAI({ fallback: "echo", embeddingDimension: 1024 });
  const base = { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: llm.url };
  const chain = await doctor({
    ...base,
    KAFCLAW_MODEL_FALLBACKS: `ollama/llama3`,
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: `http://127.0.0.1:${closedPort()}/v1`,
  });
  assert.deepEqual(chain.model.map((r: CheckResult) => r.status), ["ok", "warn"]);
  assert.deepEqual(chain.memory, {
    check: "memory",
    status: "ok",
    detail: "hybrid: openai/text-embedding-3-small gives vectors of 1024 numbers, the size " +
      "memory records at its first answer (sqlite-vec loads when the agent starts: " +
      "kafclaw memory status)",
  });
  const off = await doctor({ ...base, KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" });
  assert.equal(off.memory.detail, "keyword only: memory.embedding.enabled is false");
  const keyless = await doctor({
    ...base,
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "groq/embed",
  });
  assert.equal(keyless.memory.status, "warn");
  assert.match(
    keyless.memory.detail,
    /^keyword only: no key for the embedding model: Model groq\/embed needs providers\.groq\.apiKey/,
  );
  assert.equal(
    keyless.memory.hint,
    "to search by meaning with openai, which the chat model uses: " +
      "`kafclaw config set memory.embedding.model openai/text-embedding-3-small`",
  );
});
