/**
 * Waiting on the LLM: `model.firstTokenTimeoutMs`, `model.timeoutMs` and `model.attempts` from the
 * configuration bound how long a server that accepts and never answers holds a call, and the
 * provider says what it waits for while it does.
 */
import assert from "node:assert/strict";
import {
  type ChatMessage,
  createChatProvider,
  ProviderError,
  type WaitEvent,
} from "../../../../core/provider/mod.ts";
import { ConfigError } from "../../../../core/config/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { configFrom, fakeConfig } from "./_helpers.ts";

const ASK: ChatMessage[] = [{ role: "user", content: "Hello?" }];
const noWait = { sleep: () => Promise.resolve() };

/** A configuration with short limits, from the variables a user would set. */
function limited(url: string, env: Record<string, string>) {
  return fakeConfig(url, { env });
}

Deno.test("a server that never answers fails after model.firstTokenTimeoutMs on each of model.attempts", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ hang: true }, { hang: true }, { text: "no" }],
  });
  const config = limited(llm.url, {
    KAFCLAW_MODEL_FIRST_TOKEN_TIMEOUT_MS: "200",
    KAFCLAW_MODEL_ATTEMPTS: "2",
  });
  await assert.rejects(
    createChatProvider(config, { retry: noWait }).chat({ messages: ASK }),
    (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(
        error.message,
        `No model answered: openai/gpt-a at ${llm.url}: no answer within 200 ms (2 attempts) — ` +
          "raise model.firstTokenTimeoutMs or model.timeoutMs if the model is only slow",
      );
      return true;
    },
  );
  assert.equal(llm.chatRequests().length, 2, "model.attempts requests, no more");
});

Deno.test("a stream whose headers never come times out on its first token", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "late", delayMs: 60_000 }] });
  const config = limited(llm.url, {
    KAFCLAW_MODEL_FIRST_TOKEN_TIMEOUT_MS: "150",
    KAFCLAW_MODEL_ATTEMPTS: "1",
  });
  await assert.rejects(
    createChatProvider(config).chat({ messages: ASK, onText: () => {} }),
    /: no answer within 150 ms \(1 attempt\)/,
  );
});

/**
 * A stream that sends "a beginning" and then nothing, under the limits of `env`: the error it
 * ends with (interrupted: text was shown), the text shown, the requests made and the time taken.
 */
async function stalled(env: Record<string, string>) {
  await using llm = await startFakeOpenAI({ chat: [{ text: "a beginning", hang: true }] });
  const deltas: string[] = [];
  const started = performance.now();
  let caught: ProviderError | undefined;
  await assert.rejects(
    createChatProvider(limited(llm.url, env), { retry: noWait }).chat({
      messages: ASK,
      onText: (d) => deltas.push(d),
    }),
    (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.kind, "interrupted");
      assert.ok(!error.message.includes("\n"), error.message);
      assert.ok(error.message.includes(`openai/gpt-a at ${llm.url}`), error.message);
      caught = error;
      return true;
    },
  );
  return {
    message: caught!.message,
    shown: deltas.join(""),
    requests: llm.chatRequests().length,
    ms: performance.now() - started,
  };
}

Deno.test("a stream that began but stalls ends at model.timeoutMs, not at the first-token limit", async () => {
  const r = await stalled({
    KAFCLAW_MODEL_FIRST_TOKEN_TIMEOUT_MS: "100",
    KAFCLAW_MODEL_TIMEOUT_MS: "400",
  });
  assert.match(r.message, /\(the answer took longer than 400 ms\)$/);
  assert.equal(r.shown, "a beginning", "the beginning was streamed");
});

Deno.test("a stream that stops mid-answer fails after model.stallTimeoutMs, naming the model and URL", async () => {
  const r = await stalled({
    KAFCLAW_MODEL_STALL_TIMEOUT_MS: "200",
    KAFCLAW_MODEL_TIMEOUT_MS: "60000",
  });
  assert.match(r.message, /\(the answer stopped for 200 ms mid-stream\)$/);
  assert.ok(r.ms < 30_000, "the stall limit, not the attempt's, ended it");
  assert.equal(r.shown, "a beginning", "what came was shown once, not repeated");
  assert.equal(r.requests, 1, "text already shown: no retry to repeat it");
});

Deno.test("a stream that stalls before any text is retried like a first-token timeout", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ text: "", hang: true }, { text: "at last" }],
  });
  const config = limited(llm.url, { KAFCLAW_MODEL_STALL_TIMEOUT_MS: "150" });
  const events: WaitEvent[] = [];
  const deltas: string[] = [];
  const result = await createChatProvider(config, {
    retry: noWait,
    onWait: (e) => events.push(e),
  }).chat({ messages: ASK, onText: (d) => deltas.push(d) });
  assert.equal(result.content, "at last");
  assert.equal(deltas.join(""), "at last");
  assert.deepEqual(events.map((e) => [e.attempt, e.after]), [
    [2, "the answer stopped for 150 ms mid-stream"],
  ]);
});

Deno.test("a stream whose chunks keep coming is not cut by the stall limit", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ text: "one two three four five six", delayMs: 0 }],
  });
  const config = limited(llm.url, { KAFCLAW_MODEL_STALL_TIMEOUT_MS: "100" });
  const result = await createChatProvider(config).chat({ messages: ASK, onText: () => {} });
  assert.equal(result.content, "one two three four five six");
});

Deno.test("the provider says what it waits for: the first attempt after a silence, each retry at once", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ hang: true }, { status: 503 }, { text: "at last" }],
  });
  const config = limited(llm.url, { KAFCLAW_MODEL_FIRST_TOKEN_TIMEOUT_MS: "300" });
  const events: WaitEvent[] = [];
  const result = await createChatProvider(config, {
    retry: noWait,
    onWait: (e) => events.push(e),
  }).chat({ messages: ASK });
  assert.equal(result.content, "at last");
  const where = { ref: "openai/gpt-a", url: llm.url, attempts: 3 };
  assert.deepEqual(events, [
    { ...where, attempt: 1 },
    { ...where, attempt: 2, after: "no answer within 300 ms" },
    { ...where, attempt: 3, after: "HTTP 503: Fake error 503" },
  ]);
});

Deno.test("a quick answer says nothing about waiting", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "quick" }] });
  const events: WaitEvent[] = [];
  await createChatProvider(fakeConfig(llm.url), { onWait: (e) => events.push(e) })
    .chat({ messages: ASK });
  assert.deepEqual(events, []);
});

Deno.test("the limits default to 120 s for the first token, 60 s of stall, 600 s an attempt and 3 attempts", () => {
  const { model } = configFrom({});
  assert.deepEqual(
    [model.firstTokenTimeoutMs, model.stallTimeoutMs, model.timeoutMs, model.attempts],
    [120_000, 60_000, 600_000, 3],
  );
});

Deno.test("a bad limit is one line naming the variable and what is allowed", () => {
  for (
    const [name, value] of [
      ["KAFCLAW_MODEL_ATTEMPTS", "0"],
      ["KAFCLAW_MODEL_FIRST_TOKEN_TIMEOUT_MS", "soon"],
      ["KAFCLAW_MODEL_STALL_TIMEOUT_MS", "50"],
      ["KAFCLAW_MODEL_TIMEOUT_MS", "-5"],
    ]
  ) {
    assert.throws(() => configFrom({ [name!]: value! }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.includes(name!), error.message);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    });
  }
});
