import assert from "node:assert/strict";
import {
  type ChatMessage,
  createChatProvider,
  ProviderError,
  sleep,
} from "../../../../core/provider/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { fakeConfig, instantRetry, SECRET_KEY } from "./_helpers.ts";

const ASK: ChatMessage[] = [{ role: "user", content: "Hello?" }];

function log(llm: { chatRequests(): readonly { body: unknown; status: number }[] }) {
  return llm.chatRequests().map((r) => `${(r.body as { model: string }).model} ${r.status}`);
}

Deno.test("a 429 is retried with backoff, then the next model answers", async () => {
  await using llm = await startFakeOpenAI({
    models: {
      "gpt-a": [{ status: 429 }, { status: 429 }, { status: 429 }],
      "gpt-b": [{ text: "from b" }],
    },
  });
  const { retry, delays } = instantRetry();
  const provider = createChatProvider(fakeConfig(llm.url, { fallbacks: "openai/gpt-b" }), {
    retry,
  });
  const result = await provider.chat({ messages: ASK });
  assert.equal(result.content, "from b");
  assert.equal(result.model, "openai/gpt-b");
  assert.deepEqual(log(llm), ["gpt-a 429", "gpt-a 429", "gpt-a 429", "gpt-b 200"]);
  assert.deepEqual(delays, [75, 150]); // 100 ms doubling, half of it jittered away at random 0.5
});

Deno.test("a 500 is retried, then a fallback of another provider answers", async () => {
  await using llm = await startFakeOpenAI({
    models: {
      "gpt-a": [{ status: 500 }, { status: 502 }, { status: 500 }],
      "llama-3.1-8b": [{ text: "from groq" }],
    },
  });
  const config = fakeConfig(llm.url, {
    fallbacks: "groq/llama-3.1-8b",
    env: { KAFCLAW_PROVIDERS_GROQ_API_BASE: llm.url, KAFCLAW_PROVIDERS_GROQ_API_KEY: "gsk_x" },
  });
  const { retry, delays } = instantRetry();
  const result = await createChatProvider(config, { retry }).chat({ messages: ASK });
  assert.equal(result.model, "groq/llama-3.1-8b");
  assert.deepEqual(log(llm), ["gpt-a 500", "gpt-a 502", "gpt-a 500", "llama-3.1-8b 200"]);
  assert.equal(delays.length, 2);
  assert.equal(llm.chatRequests()[3]?.headers.authorization, "Bearer gsk_x");
});

Deno.test("a failure that clears on retry stays with the same model", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ status: 503 }, { text: "better now" }] });
  const result = await createChatProvider(
    fakeConfig(llm.url, { fallbacks: "openai/gpt-b" }),
    instantRetry(),
  ).chat({ messages: ASK });
  assert.equal(result.model, "openai/gpt-a");
  assert.deepEqual(log(llm), ["gpt-a 503", "gpt-a 200"]);
});

Deno.test("a short Retry-After is waited for, a long one is capped", async () => {
  await using llm = await startFakeOpenAI({
    chat: [
      { status: 429, headers: { "retry-after": "0.6" } },
      { status: 429, headers: { "retry-after": "120" } },
      { text: "ok" },
    ],
  });
  const { retry, delays } = instantRetry();
  await createChatProvider(fakeConfig(llm.url), { retry }).chat({ messages: ASK });
  assert.deepEqual(delays, [600, 1000]);
});

Deno.test("when every model fails, the error names each model and status, never the key", async () => {
  await using llm = await startFakeOpenAI({
    models: {
      "gpt-a": Array(3).fill({ status: 429, message: `Rate limit reached for ${SECRET_KEY}` }),
      "gpt-b": Array(3).fill({
        status: 500,
        message: `Upstream refused Authorization: Bearer ${SECRET_KEY.slice(0, 12)}`,
      }),
    },
  });
  const config = fakeConfig(llm.url, { fallbacks: "openai/gpt-b" });
  await assert.rejects(
    createChatProvider(config, instantRetry()).chat({ messages: ASK }),
    (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.kind, "exhausted");
      assert.equal(
        error.message,
        `No model answered: openai/gpt-a at ${llm.url}: HTTP 429: Rate limit reached for **** ` +
          "(3 attempts) — the server limits requests: wait and try again, or add model.fallbacks; " +
          `openai/gpt-b at ${llm.url}: HTTP 500: Upstream refused Authorization: Bearer **** ` +
          "(3 attempts) — the server failed: try again later, or add model.fallbacks",
      );
      assert.equal(error.provider, "openai");
      assert.equal(error.model, "gpt-b");
      assert.equal(error.status, 500);
      assert.deepEqual(error.failures.map((f) => [f.model, f.status, f.attempts]), [
        ["gpt-a", 429, 3],
        ["gpt-b", 500, 3],
      ]);
      const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
      assert.ok(!everything.includes(SECRET_KEY.slice(8)), everything);
      return true;
    },
  );
});

Deno.test("a refused key fails at once, naming the provider and where the key is set", async () => {
  await using llm = await startFakeOpenAI({ apiKey: "the-right-key", chat: [{ text: "never" }] });
  const config = fakeConfig(llm.url, { fallbacks: "openai/gpt-b" });
  await assert.rejects(
    createChatProvider(config, instantRetry()).chat({ messages: ASK }),
    (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.kind, "auth");
      assert.equal(error.status, 401);
      assert.equal(
        error.message,
        "openai refused the API key (HTTP 401: Incorrect API key provided: ****.): check " +
          "providers.openai.apiKey (KAFCLAW_PROVIDERS_OPENAI_API_KEY or OPENAI_API_KEY); " +
          `model openai/gpt-a at ${llm.url}`,
      );
      return true;
    },
  );
  assert.equal(llm.requests.length, 1, "no retry, no fallback");
});

Deno.test("a missing key refused by a custom server says to set one", async () => {
  await using llm = await startFakeOpenAI({ apiKey: "the-right-key" });
  const config = fakeConfig(llm.url, { env: { OPENAI_API_KEY: "" } });
  await assert.rejects(
    createChatProvider(config, instantRetry()).chat({ messages: ASK }),
    /^ProviderError: openai needs an API key \(HTTP 401: Incorrect API key provided: \(none\)\.\): set providers\.openai\.apiKey/,
  );
});

Deno.test("a 400 fails without retries or fallbacks", async () => {
  await using llm = await startFakeOpenAI({
    models: { "gpt-a": [{ status: 400, message: "This model's maximum context length is 8192" }] },
  });
  await assert.rejects(
    createChatProvider(fakeConfig(llm.url, { fallbacks: "openai/gpt-b" }), instantRetry())
      .chat({ messages: ASK }),
    (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.kind, "rejected");
      assert.equal(
        error.message,
        `openai/gpt-a at ${llm.url} rejected the request ` +
          "(HTTP 400: This model's maximum context length is 8192)",
      );
      return true;
    },
  );
  assert.deepEqual(log(llm), ["gpt-a 400"]);
});

Deno.test("an unknown model (404) goes to the next model without retries", async () => {
  await using llm = await startFakeOpenAI({
    models: { "gpt-a": [{ status: 404, message: "The model gpt-a does not exist" }] },
    chat: [{ text: "b here" }],
  });
  const { retry, delays } = instantRetry();
  const result = await createChatProvider(fakeConfig(llm.url, { fallbacks: "openai/gpt-b" }), {
    retry,
  }).chat({ messages: ASK });
  assert.equal(result.model, "openai/gpt-b");
  assert.deepEqual(log(llm), ["gpt-a 404", "gpt-b 200"]);
  assert.deepEqual(delays, []);
});

Deno.test("a refused connection is retried, then the next model answers", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "from the fake" }] });
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = closed.addr.port;
  closed.close();
  const config = fakeConfig(llm.url, {
    env: {
      KAFCLAW_MODEL: "groq/llama-3",
      KAFCLAW_MODEL_FALLBACKS: "openai/gpt-b",
      KAFCLAW_PROVIDERS_GROQ_API_BASE: `http://127.0.0.1:${deadPort}/v1`,
      KAFCLAW_PROVIDERS_GROQ_API_KEY: "gsk_x",
    },
  });
  const { retry, delays } = instantRetry({ retries: 1 });
  const result = await createChatProvider(config, { retry }).chat({ messages: ASK });
  assert.equal(result.model, "openai/gpt-b");
  assert.equal(delays.length, 1);
});

Deno.test("a request that never answers times out, is retried, then falls back", async () => {
  await using llm = await startFakeOpenAI({
    models: { "gpt-a": [{ hang: true }, { hang: true }], "gpt-b": [{ text: "b" }] },
  });
  const provider = createChatProvider(fakeConfig(llm.url, { fallbacks: "openai/gpt-b" }), {
    ...instantRetry({ retries: 1 }),
    timeoutMs: 60,
  });
  const started = performance.now();
  const result = await provider.chat({ messages: ASK });
  assert.equal(result.model, "openai/gpt-b");
  assert.ok(performance.now() - started < 800);
});

Deno.test("npm:openai makes no retries of its own", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ status: 500 }, { text: "too late" }] });
  await assert.rejects(
    createChatProvider(fakeConfig(llm.url), instantRetry({ retries: 0 })).chat({ messages: ASK }),
    /^ProviderError: No model answered: openai\/gpt-a at \S+: HTTP 500: Fake error 500 \(1 attempt\) — /,
  );
  assert.equal(llm.requests.length, 1);
});

Deno.test("aborting during the wait before a retry rejects at once", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ status: 429 }, { text: "late" }] });
  const controller = new AbortController();
  let aborted = 0;
  let wanted = 0;
  // The real wait (2.5 to 5 s), aborted once it has begun: an abort after a fixed 50 ms came
  // before the first request reached the server on a loaded machine.
  const waitThenAbort = (ms: number, signal?: AbortSignal) => {
    const wait = sleep(ms, signal);
    wanted = ms;
    aborted = performance.now();
    controller.abort();
    return wait;
  };
  const provider = createChatProvider(fakeConfig(llm.url), {
    retry: { baseDelayMs: 5000, maxDelayMs: 5000, sleep: waitThenAbort },
  });
  await assert.rejects(provider.chat({ messages: ASK, signal: controller.signal }), {
    name: "AbortError",
  });
  assert.ok(aborted > 0, "the retry's wait began");
  const took = performance.now() - aborted;
  assert.ok(took < wanted / 2, `rejected ${took} ms after the abort, in a wait of ${wanted} ms`);
  assert.equal(llm.requests.length, 1);
});

Deno.test("an exclusive request goes to its model only: no fallback when it fails", async () => {
  await using llm = await startFakeOpenAI({
    models: {
      "local-llm": [{ status: 500 }, { status: 500 }, { status: 500 }],
      "gpt-b": [{ text: "must not answer" }],
    },
  });
  const provider = createChatProvider(
    fakeConfig(llm.url, { fallbacks: "openai/gpt-b" }),
    instantRetry(),
  );
  await assert.rejects(
    () => provider.chat({ messages: ASK, model: "openai/local-llm", exclusive: true }),
    ProviderError,
  );
  assert.deepEqual(log(llm), ["local-llm 500", "local-llm 500", "local-llm 500"]);
});
