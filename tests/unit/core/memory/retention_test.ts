import assert from "node:assert/strict";
import { PERMANENT_KINDS, RETENTION_DAYS, sourceKind } from "../../../../core/memory/mod.ts";
import { contents, DAY, FakeEmbedder, tempMemory } from "./_helpers.ts";

Deno.test("source kinds and the retention table", () => {
  assert.equal(sourceKind("conversation:telegram"), "conversation");
  assert.equal(sourceKind("summary:cli:default"), "summary");
  assert.equal(sourceKind("user"), "user");
  assert.deepEqual(PERMANENT_KINDS, ["soul", "user", "summary"]);
  assert.deepEqual(
    [RETENTION_DAYS.conversation, RETENTION_DAYS.tool, RETENTION_DAYS.group],
    [30, 14, 60],
  );
});

Deno.test("prune deletes each kind past its age, counted from when it was last stored", async () => {
  await using t = await tempMemory();
  const m = t.memory;
  await m.remember("chat from day 0", { source: "conversation:telegram" });
  await m.remember("tool output from day 0", { source: "tool:exec" });
  await m.remember("group note from day 0", { source: "group:agent-b" });
  await m.remember("user fact from day 0", { source: "user" });
  await m.indexSoulFile("SOUL.md", "## Tone\nWarm.");
  await m.indexSummary("cli:default", "summary fact");
  await m.remember("observation from day 0", { source: "observation:x" });

  t.clock.advance(14 * DAY);
  assert.deepEqual(m.prune(), { expired: {}, overCap: 0, remaining: 7 });
  t.clock.advance(1);
  assert.deepEqual(m.prune(), { expired: { tool: 1 }, overCap: 0, remaining: 6 });

  t.clock.advance(10 * DAY);
  await m.remember("chat from day 0", { source: "conversation:telegram" }); // stored again
  t.clock.advance(10 * DAY);
  assert.deepEqual(m.prune().expired, {}); // 34 days old, but stored again 10 days ago

  t.clock.advance(60 * DAY);
  assert.deepEqual(m.prune(), { expired: { conversation: 1, group: 1 }, overCap: 0, remaining: 4 });
  assert.deepEqual(contents(t.timeline), [
    "user fact from day 0",
    "## Tone\nWarm.",
    "summary fact",
    "observation from day 0",
  ]);
});

Deno.test("above the cap the least recently stored non-permanent chunks go first", async () => {
  await using t = await tempMemory({ maxChunks: 4 });
  const m = t.memory;
  await m.remember("soul is permanent", { source: "soul:SOUL.md" });
  for (const [i, source] of ["conversation:cli", "tool:exec", "observation:x"].entries()) {
    t.clock.advance(1000);
    await m.remember(`old ${i}`, { source });
  }
  await m.remember("user fact", { source: "user" });
  assert.deepEqual(contents(t.timeline), ["soul is permanent", "old 1", "old 2", "user fact"]);
  t.clock.advance(1000);
  await m.remember("old 1", { source: "tool:exec" }); // refreshed: now the newest
  await m.remember("fresh", { source: "conversation:cli" });
  assert.deepEqual(contents(t.timeline), ["soul is permanent", "old 1", "user fact", "fresh"]);
});

Deno.test("the cap never deletes permanent chunks, even above it", async () => {
  await using t = await tempMemory({ maxChunks: 2 });
  for (const fact of ["one", "two", "three"]) await t.memory.remember(fact, { source: "user" });
  await t.memory.remember("gone at once", { source: "tool:exec" });
  assert.deepEqual(t.memory.prune(), { expired: {}, overCap: 0, remaining: 3 });
  assert.deepEqual(contents(t.timeline), ["one", "two", "three"]);
});

Deno.test("deleted chunks take their vectors with them", async () => {
  await using t = await tempMemory({ embedder: new FakeEmbedder(), maxChunks: 1 });
  await t.memory.remember("first tool output", { source: "tool:exec" });
  await t.memory.remember("second tool output", { source: "tool:exec" });
  assert.deepEqual(contents(t.timeline), ["second tool output"]);
  assert.equal(t.timeline.memory.vectors.count("fake/embed-a"), 1);
  const hits = (await t.memory.search("first tool output", { zones: "all" })).hits;
  assert.deepEqual(hits.map((h) => h.content), ["second tool output"]);
});
