import assert from "node:assert/strict";
import {
  type ChatMessage,
  createChatProvider,
  ProviderError,
} from "../../../../core/provider/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { fakeConfig, instantRetry } from "./_helpers.ts";

const ASK: ChatMessage[] = [{ role: "user", content: "Say hello" }];

Deno.test("streamed text arrives in order and joins into the final content", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{
      text: "Hello, world!",
      chunks: ["Hel", "lo, ", "wor", "ld!"],
      usage: { promptTokens: 9, completionTokens: 4 },
    }],
  });
  const deltas: string[] = [];
  const result = await createChatProvider(fakeConfig(llm.url)).chat({
    messages: ASK,
    onText: (d) => deltas.push(d),
  });
  assert.deepEqual(deltas, ["Hel", "lo, ", "wor", "ld!"]);
  assert.equal(result.content, deltas.join(""));
  assert.equal(result.finishReason, "stop");
  assert.deepEqual(result.usage, { promptTokens: 9, completionTokens: 4 });
  const body = llm.chatRequests()[0]?.body as Record<string, unknown>;
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true });
});

Deno.test("tool calls are assembled from deltas split across chunks", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{
      text: "Let me look.",
      toolCalls: [
        { id: "call_a", name: "read_file", arguments: { path: "docs/plan.md", lines: [1, 20] } },
        { id: "call_b", name: "web_fetch", arguments: { url: "https://example.com/a?b=c" } },
        { id: "call_c", name: "list_dir", arguments: "{}" },
      ],
    }],
  });
  const deltas: string[] = [];
  const result = await createChatProvider(fakeConfig(llm.url)).chat({
    messages: ASK,
    onText: (d) => deltas.push(d),
  });
  assert.equal(result.content, "Let me look.");
  assert.equal(deltas.join(""), "Let me look.");
  assert.equal(result.finishReason, "tool_calls");
  assert.deepEqual(result.toolCalls, [
    { id: "call_a", name: "read_file", arguments: '{"path":"docs/plan.md","lines":[1,20]}' },
    { id: "call_b", name: "web_fetch", arguments: '{"url":"https://example.com/a?b=c"}' },
    { id: "call_c", name: "list_dir", arguments: "{}" },
  ]);
});

Deno.test("aborting mid-stream rejects at once with an AbortError", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ hang: true, text: "I will never finish" }] });
  const controller = new AbortController();
  const deltas: string[] = [];
  const started = performance.now();
  await assert.rejects(
    createChatProvider(fakeConfig(llm.url)).chat({
      messages: ASK,
      signal: controller.signal,
      onText: (d) => {
        deltas.push(d);
        if (deltas.length === 2) setTimeout(() => controller.abort(), 20);
      },
    }),
    (error: unknown) => {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "AbortError");
      return true;
    },
  );
  assert.ok(performance.now() - started < 500, "the abort took too long");
  assert.equal(deltas.join(""), "I will never finish");
  assert.equal(llm.chatRequests().length, 1, "an aborted call is not retried");
});

Deno.test("aborting before any answer rejects at once with the signal's reason", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ hang: true }] });
  const reason = new DOMException("The user pressed Ctrl-C", "AbortError");
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), 30);
  const started = performance.now();
  await assert.rejects(
    createChatProvider(fakeConfig(llm.url)).chat({ messages: ASK, signal: controller.signal }),
    (error: unknown) => error === reason,
  );
  assert.ok(performance.now() - started < 500);
});

Deno.test("an already aborted signal sends no request", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "never asked" }] });
  await assert.rejects(
    createChatProvider(fakeConfig(llm.url)).chat({ messages: ASK, signal: AbortSignal.abort() }),
    { name: "AbortError" },
  );
  assert.equal(llm.requests.length, 0);
});

Deno.test("a stream that closes before its finish chunk is retried", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ truncate: true }, { text: "complete" }] });
  const { retry, delays } = instantRetry();
  const deltas: string[] = [];
  const result = await createChatProvider(fakeConfig(llm.url), { retry }).chat({
    messages: ASK,
    onText: (d) => deltas.push(d),
  });
  assert.equal(result.content, "complete");
  assert.deepEqual(deltas, ["complete"]);
  assert.equal(llm.chatRequests().length, 2);
  assert.equal(delays.length, 1);
});

Deno.test("a stream that breaks after text went out is not retried, so no text repeats", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ text: "half an answer", truncate: true }, { text: "never sent" }],
  });
  const deltas: string[] = [];
  await assert.rejects(
    createChatProvider(fakeConfig(llm.url), instantRetry()).chat({
      messages: ASK,
      onText: (d) => deltas.push(d),
    }),
    (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.kind, "interrupted");
      assert.equal(
        error.message,
        `openai/gpt-a at ${llm.url} stopped answering after part of the answer was streamed ` +
          "(the stream ended before the answer was complete)",
      );
      return true;
    },
  );
  assert.equal(deltas.join(""), "half an answer");
  assert.equal(llm.chatRequests().length, 1);
});

Deno.test("a stream that stalls before any text times out and is retried", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ hang: true }, { text: "awake" }] });
  const { retry } = instantRetry();
  const started = performance.now();
  const result = await createChatProvider(fakeConfig(llm.url), { retry, timeoutMs: 80 }).chat({
    messages: ASK,
    onText: () => {},
  });
  assert.equal(result.content, "awake");
  assert.equal(llm.chatRequests().length, 2);
  assert.ok(performance.now() - started < 800);
});
