import assert from "node:assert/strict";
import {
  AutoIndexer,
  isGreeting,
  isRawJson,
  type MemoryInput,
  type MemorySink,
  type RememberResult,
} from "../../../../core/memory/mod.ts";
import { tempMemory } from "./_helpers.ts";

/** A sink that records batches, optionally failing or waiting on a gate. */
class Sink implements MemorySink {
  readonly batches: MemoryInput[][] = [];
  fail = false;
  rememberMany(items: readonly MemoryInput[]): Promise<RememberResult> {
    this.batches.push([...items]);
    if (this.fail) return Promise.reject(new Error("disk full"));
    return Promise.resolve({ ids: [], created: items.length, embedded: 0 });
  }
}

const LONG_Q = "What did we decide about the database migration for the billing service?";
const LONG_A =
  "We move billing to PostgreSQL 16 on the 3rd, with a dry run on the staging copy first.";

function turn(question = LONG_Q, answer = LONG_A) {
  return { channel: "telegram", chatId: "42", question, answer, taint: "trusted" as const };
}

Deno.test("greetings, thanks and bare acknowledgements are recognised", () => {
  for (
    const text of ["hi", "Hello!", "thanks 🙏", "Thank you.", "ok", "good morning :)", " Cool "]
  ) {
    assert.ok(isGreeting(text), text);
  }
  for (const text of ["hi, can you book a table for four?", "okay so what about Friday", ""]) {
    assert.ok(!isGreeting(text), text);
  }
});

Deno.test("raw JSON is an object or array that parses, nothing else", () => {
  assert.ok(isRawJson(' {"a": [1, 2]} '));
  assert.ok(isRawJson("[1, 2, 3]"));
  assert.ok(!isRawJson("{not json}"));
  assert.ok(!isRawJson('The result: {"a": 1}'));
  assert.ok(!isRawJson("42"));
});

Deno.test("conversation turns are queued as Q/A, filtered, and flushed in batches", async () => {
  const sink = new Sink();
  await using indexer = new AutoIndexer(sink, { batchSize: 2, flushIntervalMs: 60_000 });
  assert.equal(indexer.addConversation(turn("hello", LONG_A)), false);
  assert.equal(indexer.addConversation(turn("short?", "yes.")), false);
  assert.equal(indexer.addConversation(turn(LONG_Q, '{"rows": 3}')), false);
  assert.equal(indexer.addConversation({ ...turn(), zone: "ops" }), true);
  assert.deepEqual(indexer.counts, { queued: 1, dropped: 0, stored: 0 });
  assert.equal(indexer.addConversation(turn(LONG_Q + " Again.")), true);
  await indexer.flush();
  assert.equal(sink.batches.length, 1);
  assert.deepEqual(sink.batches[0]![0], {
    content: `Q: ${LONG_Q}\nA: ${LONG_A}`,
    source: "conversation:telegram",
    tags: ["42"],
    taint: "trusted",
    zone: "ops",
  });
  assert.deepEqual(indexer.counts, { queued: 0, dropped: 0, stored: 2 });
});

Deno.test("long tool results are queued; short ones, raw JSON and short errors are not", async () => {
  const sink = new Sink();
  await using indexer = new AutoIndexer(sink, { flushIntervalMs: 60_000 });
  const long = "The build log says: " + "step ok. ".repeat(30);
  const add = (result: string, path?: string) =>
    indexer.addToolResult({
      tool: path ? "read_file" : "exec",
      result,
      taint: "untrusted",
      ...(path ? { path } : {}),
    });
  assert.equal(add("done"), false);
  assert.equal(add(JSON.stringify({ items: Array(50).fill("x") })), false);
  assert.equal(add("Error: " + "no such file. ".repeat(18)), false);
  assert.equal(add("Error: " + "no such file. ".repeat(40)), true);
  assert.equal(add(long), true);
  assert.equal(add("x".repeat(900), "notes/todo.md"), true);
  await indexer.close();
  const items = sink.batches.flat();
  assert.deepEqual(items.map((i) => [i.source, i.tags, i.taint]), [
    ["tool:exec", ["exec"], "untrusted"],
    ["tool:exec", ["exec"], "untrusted"],
    ["tool:read_file", ["read_file"], "untrusted"],
  ]);
  assert.equal(items[2]!.content, `File: notes/todo.md\n${"x".repeat(500)}`);
});

Deno.test("a full queue drops new items and counts them; a closed indexer takes none", async () => {
  const sink = new Sink();
  const indexer = new AutoIndexer(sink, { maxQueue: 2, batchSize: 10, flushIntervalMs: 60_000 });
  assert.ok(indexer.addConversation(turn()));
  assert.ok(indexer.addConversation(turn(LONG_Q + " 2")));
  assert.equal(indexer.addConversation(turn(LONG_Q + " 3")), false);
  assert.deepEqual(indexer.counts, { queued: 2, dropped: 1, stored: 0 });
  await indexer.close();
  assert.equal(indexer.addConversation(turn(LONG_Q + " 4")), false);
  assert.deepEqual(indexer.counts, { queued: 0, dropped: 2, stored: 2 });
});

Deno.test("the timer flushes a partial batch after flushIntervalMs", async () => {
  const sink = new Sink();
  await using indexer = new AutoIndexer(sink, { flushIntervalMs: 20 });
  indexer.addConversation(turn());
  indexer.addConversation(turn(LONG_Q + " 2"));
  assert.equal(sink.batches.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 60));
  await indexer.flush();
  assert.deepEqual(sink.batches.map((b) => b.length), [2]);
});

Deno.test("a failed batch is reported and the next ones still go", async () => {
  const sink = new Sink();
  const errors: unknown[] = [];
  await using indexer = new AutoIndexer(sink, {
    batchSize: 1,
    flushIntervalMs: 60_000,
    onError: (e) => errors.push(e),
  });
  sink.fail = true;
  indexer.addConversation(turn());
  await indexer.flush();
  sink.fail = false;
  indexer.addConversation(turn(LONG_Q + " 2"));
  await indexer.flush();
  assert.equal((errors[0] as Error).message, "disk full");
  assert.deepEqual(indexer.counts, { queued: 0, dropped: 0, stored: 1 });
  const quiet = new AutoIndexer(sink, { batchSize: 1 });
  sink.fail = true;
  quiet.addConversation(turn());
  await quiet.close();
});

Deno.test("the indexer stores into memory: turns become searchable", async () => {
  await using t = await tempMemory();
  await using indexer = new AutoIndexer(t.memory);
  indexer.addConversation(turn());
  await indexer.flush();
  const result = await t.memory.search("billing migration");
  assert.equal(result.hits[0]?.source, "conversation:telegram");
  assert.equal(result.hits[0]?.taint, "trusted");
});
