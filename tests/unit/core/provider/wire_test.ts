import assert from "node:assert/strict";
import type OpenAI from "openai";
import { StreamAssembler } from "../../../../core/provider/_wire.ts";
import { backoffDelay, parseRetryAfter, redact, sleep } from "../../../../core/provider/mod.ts";
import { resolveRetry } from "../../../../core/provider/retry.ts";

type Delta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta;

function chunk(delta: Delta, finish: string | null = null): OpenAI.Chat.ChatCompletionChunk {
  return {
    id: "c",
    object: "chat.completion.chunk",
    created: 0,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish as "stop" | null }],
  };
}

Deno.test("tool-call pieces are joined by index, even when calls interleave", () => {
  const a = new StreamAssembler();
  a.add(chunk({ role: "assistant", content: "" }));
  a.add(
    chunk({
      tool_calls: [{
        index: 0,
        id: "c0",
        type: "function",
        function: { name: "a", arguments: "" },
      }],
    }),
  );
  a.add(
    chunk({
      tool_calls: [{
        index: 1,
        id: "c1",
        type: "function",
        function: { name: "b", arguments: '{"y"' },
      }],
    }),
  );
  a.add(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }));
  a.add(chunk({ tool_calls: [{ index: 1, function: { arguments: ":2}" } }] }));
  a.add(chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }));
  assert.equal(a.finished, false);
  a.add(chunk({}, "tool_calls"));
  assert.equal(a.finished, true);
  assert.deepEqual(a.result().toolCalls, [
    { id: "c0", name: "a", arguments: '{"x":1}' },
    { id: "c1", name: "b", arguments: '{"y":2}' },
  ]);
});

Deno.test("tool calls without an index are told apart by their ids; missing ids are made up", () => {
  const a = new StreamAssembler();
  const piece = (p: Record<string, unknown>) =>
    a.add(
      chunk({
        tool_calls: [p as unknown as OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall],
      }),
    );
  piece({ id: "x", function: { name: "first", arguments: "{}" } });
  piece({ id: "y", function: { name: "second", arguments: '{"a"' } });
  piece({ function: { arguments: ":1}" } });
  a.add(chunk({ tool_calls: [{ index: 2, function: { name: "third", arguments: "[]" } }] }));
  assert.deepEqual(a.result().toolCalls, [
    { id: "x", name: "first", arguments: "{}" },
    { id: "y", name: "second", arguments: '{"a":1}' },
    { id: "call_2", name: "third", arguments: "[]" },
  ]);
  assert.equal(a.result().finishReason, "tool_calls");
});

Deno.test("usage comes from the chunk that carries it, text deltas are returned as they come", () => {
  const a = new StreamAssembler();
  assert.equal(a.add(chunk({ content: "Hi" })), "Hi");
  assert.equal(a.add(chunk({ content: " there" }, "stop")), " there");
  assert.equal(
    a.add({
      ...chunk({}),
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    }),
    "",
  );
  assert.deepEqual(a.result(), {
    content: "Hi there",
    toolCalls: [],
    finishReason: "stop",
    usage: { promptTokens: 3, completionTokens: 2 },
  });
});

Deno.test("backoff doubles, jitters between half and all of it, and stays under the cap", () => {
  const at = (random: number) =>
    resolveRetry({ baseDelayMs: 100, maxDelayMs: 1000, random: () => random });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, at(0))), [
    50,
    100,
    200,
    400,
    500,
    500,
  ]);
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, at(0.999))), [
    100,
    200,
    400,
    800,
    1000,
  ]);
  assert.equal(backoffDelay(1, at(0), 700), 700);
  assert.equal(backoffDelay(1, at(0), 60_000), 1000);
});

Deno.test("retry options refuse negative or fractional numbers", () => {
  assert.throws(() => resolveRetry({ retries: -1 }), {
    name: "RangeError",
    message: "Cannot use retry.retries -1: expected an integer >= 0",
  });
  assert.throws(() => resolveRetry({ baseDelayMs: 1.5 }), RangeError);
});

Deno.test("Retry-After is read as seconds or as an HTTP date", () => {
  assert.equal(parseRetryAfter("2"), 2000);
  assert.equal(parseRetryAfter("0.25"), 250);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter("soon"), null);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now), 3000);
});

Deno.test("redaction removes keys and bearer tokens and cuts long texts", () => {
  assert.equal(redact("bad key sk-abcdef123 here", ["sk-abcdef123"]), "bad key **** here");
  assert.equal(
    redact("Authorization: Bearer abc.def-ghi, retry", []),
    "Authorization: Bearer ****, retry",
  );
  assert.equal(redact("x", ["x"]), "x"); // too short to be a key
  assert.equal(redact("line\n  two", []), "line two");
  const long = redact("y".repeat(1000), []);
  assert.equal(long.length, 240);
  assert.ok(long.endsWith("…"));
});

Deno.test("sleep rejects with the signal's reason when aborted", async () => {
  const controller = new AbortController();
  const waiting = sleep(10_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, { message: "stop" });
  await sleep(1);
});
