import assert from "node:assert/strict";
import { chunkId } from "../../../../core/memory/mod.ts";
import {
  MAX_RECALL,
  type MemoryScope,
  memoryTools,
  recallTool,
  rememberTool,
  ToolRegistry,
} from "../../../../core/tools/mod.ts";
import { testContext } from "./_context.ts";
import { tempMemory } from "../memory/_helpers.ts";

/** A registry with both tools, whose scope is set per session by the test. */
function registryFor(memory: Parameters<typeof memoryTools>[0]) {
  const scopes = new Map<string, MemoryScope>();
  const registry = new ToolRegistry().register(
    ...memoryTools(memory, { scope: (ctx) => scopes.get(ctx.sessionKey)! }),
  );
  return { registry, scopes };
}

Deno.test("remember is tier 1 and recall tier 0, with the arguments of the brief", async () => {
  await using t = await tempMemory();
  const scope = () => ({ taint: "trusted" as const, zones: [] });
  const remember = rememberTool(t.memory, { scope });
  const recall = recallTool(t.memory, { scope });
  assert.deepEqual([remember.name, remember.tier, recall.name, recall.tier], [
    "remember",
    1,
    "recall",
    0,
  ]);
  assert.deepEqual(Object.keys(remember.parameters.properties as object), ["content", "tags"]);
  assert.deepEqual(Object.keys(recall.parameters.properties as object), ["query", "limit"]);
  assert.deepEqual(remember.parameters.required, ["content"]);
  assert.deepEqual(recall.parameters.required, ["query"]);
});

Deno.test("remember then recall round trip through the registry", async () => {
  await using t = await tempMemory();
  const { registry, scopes } = registryFor(t.memory);
  scopes.set("cli:default", { taint: "trusted", zones: [] });
  const ctx = testContext({ sessionKey: "cli:default" });
  const stored = await registry.run(
    "remember",
    JSON.stringify({ content: "Anna's train arrives at 18:40 on platform 7", tags: ["travel"] }),
    ctx,
  );
  assert.deepEqual(stored, { content: "Remembered" });
  const again = await registry.run(
    "remember",
    JSON.stringify({ content: "Anna's train arrives at 18:40 on platform 7" }),
    ctx,
  );
  assert.equal(again.content, "Already remembered");
  const found = await registry.run("recall", JSON.stringify({ query: "Anna train platform" }), ctx);
  assert.equal(found.untrusted, undefined);
  assert.equal(
    found.content,
    "1 memory (keyword search only: no embedding model is set):\n" +
      "1. [user, trusted, public, 2026-11-25] Anna's train arrives at 18:40 on platform 7",
  );
  const chunk = t.timeline.memory.get(
    chunkId("user", "Anna's train arrives at 18:40 on platform 7"),
  )!;
  assert.deepEqual([chunk.source, chunk.tags, chunk.taint], ["user", ["travel"], "trusted"]);
});

Deno.test("a tainted turn remembers untrusted into its zone; recall of it taints the reader", async () => {
  await using t = await tempMemory({ chunkChars: 60 });
  const { registry, scopes } = registryFor(t.memory);
  scopes.set("group:task-1", { taint: "untrusted", zone: "ops", zones: ["ops"] });
  scopes.set("cli:default", { taint: "trusted", zones: [] });
  scopes.set("owner:all", { taint: "trusted", zones: "all" });
  const task = testContext({ sessionKey: "group:task-1" });
  const stored = await registry.run(
    "remember",
    JSON.stringify({
      content: "The ops runbook says to restart the broker first.\n\nThen clear the cache.",
    }),
    task,
  );
  assert.equal(stored.content, "Remembered in 2 parts");
  const inZone = await registry.run("recall", JSON.stringify({ query: "broker runbook" }), task);
  assert.equal(inZone.untrusted, true);
  assert.match(inZone.content, /\[user, untrusted, ops, 2026-11-25\]/);
  const outside = await registry.run(
    "recall",
    JSON.stringify({ query: "broker runbook" }),
    testContext({ sessionKey: "cli:default" }),
  );
  assert.deepEqual(outside, {
    content: 'No memories match "broker runbook" (keyword search only: no embedding model is set)',
  });
  const owner = await registry.run(
    "recall",
    JSON.stringify({ query: "cache", limit: 1 }),
    testContext({ sessionKey: "owner:all" }),
  );
  assert.equal(owner.untrusted, true);
});

Deno.test("remember says when it stored without vectors; bad arguments are refused", async () => {
  await using t = await tempMemory({
    embedder: {
      model: "fake/down",
      embed: () => Promise.reject(new Error("fake/down is unreachable")),
    },
  });
  const { registry, scopes } = registryFor(t.memory);
  scopes.set("s", { taint: "trusted", zones: [] });
  const ctx = testContext({ sessionKey: "s" });
  const stored = await registry.run("remember", JSON.stringify({ content: "x y z" }), ctx);
  assert.equal(stored.content, "Remembered (stored without vectors: fake/down is unreachable)");
  const blank = await registry.run("remember", JSON.stringify({ content: "   " }), ctx);
  assert.equal(blank.isError, true);
  const tooMany = await registry.run(
    "recall",
    JSON.stringify({ query: "x", limit: MAX_RECALL + 1 }),
    ctx,
  );
  assert.equal(tooMany.isError, true);
  const extra = await registry.run("recall", JSON.stringify({ query: "x", zones: "all" }), ctx);
  assert.match(extra.content, /Invalid arguments for recall/);
});

Deno.test("remember stores what the redactor leaves of a secret, in content and tags", async () => {
  await using t = await tempMemory();
  const remember = rememberTool(t.memory, {
    scope: () => ({ taint: "trusted", zones: [] }),
    redact: (text) => text.replaceAll("hunter2", "[REDACTED]"),
  });
  const ctx = testContext({ sessionKey: "cli:default" });
  const stored = await remember.run(
    { content: "the wifi password is hunter2", tags: ["hunter2"] },
    ctx,
  );
  assert.equal(stored.isError, undefined);
  const found = await t.memory.search("wifi password", { zones: [] });
  assert.equal(found.hits[0]?.content, "the wifi password is [REDACTED]");
  assert.deepEqual(found.hits[0]?.tags, ["[REDACTED]"]);
});
