import assert from "node:assert/strict";
import {
  createEmbedder,
  createSpeech,
  ProviderError,
  ProviderNotConfiguredError,
  type UsageRecord,
} from "../../../../core/provider/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { configFrom, fakeConfig, instantRetry, SECRET_KEY } from "./_helpers.ts";

Deno.test("embed returns one vector per text, in order, from /embeddings", async () => {
  await using llm = await startFakeOpenAI({ embeddingDimension: 16 });
  const records: UsageRecord[] = [];
  const embedder = createEmbedder(fakeConfig(llm.url), { onUsage: (r) => records.push(r) });
  assert.equal(embedder.model, "openai/text-embedding-3-small");
  const vectors = await embedder.embed(["alpha beta", "gamma", "alpha beta"]);
  assert.equal(vectors.length, 3);
  assert.ok(vectors.every((v) => v.length === 16 && v.every((x) => typeof x === "number")));
  assert.deepEqual(vectors[0], vectors[2]);
  assert.notDeepEqual(vectors[0], vectors[1]);
  const norm = Math.hypot(...vectors[1]!);
  assert.ok(Math.abs(norm - 1) < 1e-5);
  const [request] = llm.requests;
  assert.equal(request?.path, "/v1/embeddings");
  assert.deepEqual(request?.body, {
    model: "text-embedding-3-small",
    input: ["alpha beta", "gamma", "alpha beta"],
    encoding_format: "float",
  });
  assert.equal(request?.headers.authorization, `Bearer ${SECRET_KEY}`);
  assert.deepEqual(records.map((r) => [r.kind, r.model, r.promptTokens]), [
    ["embedding", "text-embedding-3-small", 5],
  ]);
});

Deno.test("embed of no texts makes no request; a call may name another model", async () => {
  await using llm = await startFakeOpenAI();
  const config = fakeConfig(llm.url, {
    env: { KAFCLAW_PROVIDERS_OLLAMA_API_BASE: llm.url },
  });
  const embedder = createEmbedder(config);
  assert.deepEqual(await embedder.embed([]), []);
  assert.equal(llm.requests.length, 0);
  await embedder.embed(["x"], { model: "ollama/nomic-embed-text" });
  assert.equal((llm.requests[0]?.body as { model: string }).model, "nomic-embed-text");
  assert.equal(llm.requests[0]?.headers.authorization, undefined);
});

Deno.test("embed retries a rate limit and reports a lasting failure as a ProviderError", async () => {
  await using llm = await startFakeOpenAI({
    // {} is a normal answer
    endpoints: { embeddings: [{ status: 429 }, {}, { status: 500 }, { status: 500 }] },
  });
  const embedder = createEmbedder(fakeConfig(llm.url), instantRetry({ retries: 1 }));
  assert.equal((await embedder.embed(["a"])).length, 1);
  await assert.rejects(embedder.embed(["b"]), (error: unknown) => {
    assert.ok(error instanceof ProviderError);
    assert.equal(
      error.message,
      `No model answered: openai/text-embedding-3-small at ${llm.url}: HTTP 500: Fake error 500 ` +
        "(2 attempts) — the server failed: try again later, or add model.fallbacks",
    );
    return true;
  });
});

Deno.test("an embedding model without its key cannot be created", () => {
  assert.throws(
    () => createEmbedder(configFrom({})),
    (error: unknown) =>
      error instanceof ProviderNotConfiguredError &&
      error.message ===
        "Model openai/text-embedding-3-small needs providers.openai.apiKey (KAFCLAW_PROVIDERS_OPENAI_API_KEY or OPENAI_API_KEY)",
  );
});

Deno.test("speech and transcription round-trip through /audio/speech and /audio/transcriptions", async () => {
  await using llm = await startFakeOpenAI();
  const speech = createSpeech(fakeConfig(llm.url));
  const audio = await speech.speak("Good morning, Kafka", { voice: "nova", format: "opus" });
  assert.ok(audio instanceof Uint8Array && audio.length > 0);
  const text = await speech.transcribe(audio, { mime: "audio/ogg", language: "en" });
  assert.equal(text, "Good morning, Kafka");
  const [spoken, heard] = llm.requests;
  assert.equal(spoken?.path, "/v1/audio/speech");
  assert.deepEqual(spoken?.body, {
    model: "tts-1",
    input: "Good morning, Kafka",
    voice: "nova",
    response_format: "opus",
  });
  assert.equal(heard?.path, "/v1/audio/transcriptions");
  assert.match(heard?.headers["content-type"] ?? "", /^multipart\/form-data/);
  assert.deepEqual(heard?.body, {
    file: { name: "audio.ogg", type: "audio/ogg", size: audio.length },
    model: "whisper-1",
    response_format: "json",
    language: "en",
  });
});

Deno.test("transcription sends the given file name and model", async () => {
  await using llm = await startFakeOpenAI();
  const speech = createSpeech(fakeConfig(llm.url, {
    env: { KAFCLAW_PROVIDERS_GROQ_API_BASE: llm.url, KAFCLAW_PROVIDERS_GROQ_API_KEY: "gsk" },
  }));
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const text = await speech.transcribe(bytes, {
    model: "groq/whisper-large-v3",
    filename: "voice.m4a",
    mime: "audio/mp4",
  });
  assert.equal(text, "a 4-byte audio/mp4 recording");
  const body = llm.requests[0]?.body as Record<string, unknown>;
  assert.equal(body.model, "whisper-large-v3");
  assert.deepEqual(body.file, { name: "voice.m4a", type: "audio/mp4", size: 4 });
});

Deno.test("speech fails at call time when its provider is not configured", async () => {
  const speech = createSpeech(configFrom({ KAFCLAW_MODEL: "ollama/llama3.2" }));
  await assert.rejects(speech.speak("hi"), ProviderNotConfiguredError);
});
