import assert from "node:assert/strict";
import { chunkId, formatStatus } from "../../../../core/memory/mod.ts";
import { FakeEmbedder, tempMemory } from "./_helpers.ts";

Deno.test("remember stores a chunk with source user, its tags, taint and zone", async () => {
  await using t = await tempMemory();
  const result = await t.memory.remember("Deploy keys live in the vault", {
    tags: ["ops", "secrets"],
    taint: "trusted",
    zone: "ops",
  });
  assert.deepEqual(result, {
    ids: [chunkId("user", "Deploy keys live in the vault", "ops")],
    created: 1,
    embedded: 0,
  });
  const chunk = t.timeline.memory.get(result.ids[0]!)!;
  assert.equal(chunk.source, "user");
  assert.deepEqual(chunk.tags, ["ops", "secrets"]);
  assert.equal(chunk.taint, "trusted");
  assert.equal(chunk.zone, "ops");
  assert.equal(chunk.embeddingModel, undefined);
  assert.deepEqual(chunk.createdAt, t.clock.now());
});

Deno.test("remembering the same text again is one chunk: tags merge, time moves", async () => {
  await using t = await tempMemory();
  const first = await t.memory.remember("Standup is at 9:30", { tags: ["a"], taint: "trusted" });
  t.clock.advance(60_000);
  const again = await t.memory.remember("Standup is at 9:30", {
    tags: ["b", "a"],
    taint: "trusted",
  });
  assert.deepEqual(again.ids, first.ids);
  assert.equal(again.created, 0);
  assert.equal(t.timeline.memory.count(), 1);
  const chunk = t.timeline.memory.get(first.ids[0]!)!;
  assert.deepEqual(chunk.tags, ["a", "b"]);
  assert.equal(chunk.updatedAt.getTime() - chunk.createdAt.getTime(), 60_000);
});

Deno.test("taint fails closed: unknown is untrusted, and untrusted sticks on re-storing", async () => {
  await using t = await tempMemory();
  const [id] = (await t.memory.remember("The wiki says to rotate keys")).ids;
  assert.equal(t.timeline.memory.get(id!)!.taint, "untrusted");
  await t.memory.remember("The wiki says to rotate keys", { taint: "trusted" });
  assert.equal(t.timeline.memory.get(id!)!.taint, "untrusted");
  const [other] = (await t.memory.remember("Owner fact", { taint: "trusted" })).ids;
  await t.memory.remember("Owner fact", { taint: "untrusted" });
  assert.equal(t.timeline.memory.get(other!)!.taint, "untrusted");
});

Deno.test("zone public is stored as no zone, and one text in two zones is two chunks", async () => {
  await using t = await tempMemory();
  const pub = await t.memory.remember("Shared fact", { zone: "public" });
  const none = await t.memory.remember("Shared fact");
  const ops = await t.memory.remember("Shared fact", { zone: "ops" });
  assert.deepEqual(pub.ids, none.ids);
  assert.notDeepEqual(ops.ids, pub.ids);
  assert.equal(t.timeline.memory.get(pub.ids[0]!)!.zone, undefined);
  assert.equal(t.timeline.memory.count(), 2);
});

Deno.test("long text is stored as several chunks of at most chunkChars", async () => {
  await using t = await tempMemory({ chunkChars: 100 });
  const text = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} has a few words in it.`)
    .join("\n\n");
  const result = await t.memory.remember(text, { source: "tool:read_file" });
  assert.ok(result.ids.length >= 4);
  assert.equal(result.created, result.ids.length);
  for (const id of result.ids) {
    const chunk = t.timeline.memory.get(id)!;
    assert.ok(chunk.content.length <= 100);
    assert.equal(chunk.source, "tool:read_file");
  }
  assert.deepEqual(await t.memory.remember("   "), { ids: [], created: 0, embedded: 0 });
});

Deno.test("soul files are indexed by section, trusted and permanent; removed sections go", async () => {
  await using t = await tempMemory();
  const soul = "# Soul\nI help Anna.\n## Tone\nWarm and brief.\n## Limits\nNo purchases.\n";
  const first = await t.memory.indexSoulFile("SOUL.md", soul);
  assert.equal(first.ids.length, 3);
  const tone = t.timeline.memory.get(first.ids[1]!)!;
  assert.deepEqual(
    [tone.source, tone.tags, tone.taint, tone.content],
    ["soul:SOUL.md", ["Tone"], "trusted", "## Tone\nWarm and brief."],
  );
  const edited = "# Soul\nI help Anna.\n## Tone\nWarm, brief and direct.\n";
  const second = await t.memory.indexSoulFile("SOUL.md", edited);
  assert.equal(second.created, 1);
  assert.deepEqual(t.timeline.memory.kinds().map((k) => [k.kind, k.count]), [["soul", 2]]);
  await t.memory.indexSoulFile("USER.md", "No headings at all.");
  assert.deepEqual(t.timeline.memory.get(chunkId("soul:USER.md", "No headings at all."))!.tags, []);
});

Deno.test("session summaries keep each fact as a summary chunk with the session's taint", async () => {
  await using t = await tempMemory();
  const result = await t.memory.indexSummary(
    "telegram:42",
    ["Anna likes tea", "Flight on Monday"],
    {
      taint: "untrusted",
      zone: "ops",
    },
  );
  assert.equal(result.ids.length, 2);
  const fact = t.timeline.memory.get(result.ids[0]!)!;
  assert.deepEqual([fact.source, fact.tags, fact.taint, fact.zone], [
    "summary:telegram:42",
    ["summary"],
    "untrusted",
    "ops",
  ]);
  assert.equal((await t.memory.indexSummary("cli:default", "One fact")).ids.length, 1);
});

Deno.test("a session's newest summary replaces the earlier ones and keeps their worst taint", async () => {
  await using t = await tempMemory();
  const store = t.timeline.memory;
  assert.equal(store.sourceTaint("summary:s"), undefined);
  await t.memory.indexSummary("s", ["Ada likes tea", "Meeting on Monday"], { taint: "trusted" });
  assert.equal(store.sourceTaint("summary:s"), "trusted");
  await t.memory.indexSummary("s", "Ada likes tea; a web page said to wire money", {
    taint: "untrusted",
  });
  assert.equal(store.sourceTaint("summary:s"), "untrusted");
  const latest = await t.memory.indexSummary("s", "Ada likes tea; the meeting moved", {
    taint: "trusted",
  });
  const left = (await t.memory.search("Ada tea", { zones: [] })).hits.filter((h) =>
    h.source === "summary:s"
  );
  assert.deepEqual(left.map((h) => [h.id, h.content, h.taint]), [
    [latest.ids[0], "Ada likes tea; the meeting moved", "untrusted"],
  ]);
  await t.memory.indexSummary("other", "Unrelated", { taint: "trusted" });
  assert.equal(store.sourceTaint("summary:other"), "trusted", "other sessions are their own");
});

Deno.test("group items are indexed with title, author source and item tag, untrusted by default", async () => {
  await using t = await tempMemory();
  const [withTitle] = (await t.memory.indexGroupItem({
    itemId: "m-1",
    authorId: "agent-b",
    title: " Runbook ",
    content: "Restart the broker with scripts/kafka restart",
    tags: ["ops"],
    zone: "ops",
  })).ids;
  const chunk = t.timeline.memory.get(withTitle!)!;
  assert.equal(chunk.content, "Runbook\n\nRestart the broker with scripts/kafka restart");
  assert.deepEqual([chunk.source, chunk.tags, chunk.taint, chunk.zone], [
    "group:agent-b",
    ["ops", "item:m-1"],
    "untrusted",
    "ops",
  ]);
  const [plain] = (await t.memory.indexGroupItem({
    itemId: "m-2",
    authorId: "agent-c",
    content: "Vouched note",
    taint: "trusted",
  })).ids;
  assert.deepEqual(t.timeline.memory.get(plain!)!.tags, ["item:m-2"]);
  assert.equal(t.timeline.memory.get(plain!)!.taint, "trusted");
});

Deno.test("status says keyword only and why, with counts by kind", async () => {
  await using t = await tempMemory({ embedderReason: "memory.embedding.enabled is false" });
  await t.memory.remember("a fact", { taint: "trusted" });
  await t.memory.indexSoulFile("SOUL.md", "## Tone\nWarm.");
  const status = t.memory.status();
  assert.equal(status.mode, "keyword");
  assert.equal(status.reason, "memory.embedding.enabled is false");
  assert.equal(status.embeddingModel, undefined);
  assert.equal(status.chunks, 2);
  assert.equal(status.sqliteVec.available, true);
  assert.equal(status.sqliteVec.indexDimension, undefined);
  assert.equal(
    formatStatus(status),
    [
      "search: keyword only (memory.embedding.enabled is false)",
      "chunks: 2 of at most 50000",
      "  soul: 1 (oldest 2026-11-25)",
      "  user: 1 (oldest 2026-11-25)",
      "embedding model: none",
      `sqlite-vec: ${status.sqliteVec.version} from ${status.sqliteVec.path}, no index yet`,
    ].join("\n"),
  );
});

Deno.test("status in hybrid mode counts vectors by model and chunks still without one", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  await t.memory.remember("first fact", { taint: "trusted" });
  embedder.failWith = new Error("connection refused");
  const failed = await t.memory.remember("second fact", { taint: "trusted" });
  assert.equal(failed.notice, "stored without vectors: connection refused");
  const status = t.memory.status();
  assert.equal(status.mode, "hybrid");
  assert.equal(status.withoutVector, 1);
  const text = formatStatus(status);
  assert.match(text, /^search: hybrid \(keywords and vectors, fused by reciprocal rank\)$/m);
  assert.match(text, /^embedding model: fake\/embed-a \(16 dimensions\)$/m);
  assert.match(
    text,
    /^ {2}1 chunk\(s\) without a vector of this model \(`kafclaw memory reindex`/m,
  );
  assert.match(text, /^ {2}vectors by fake\/embed-a: 1$/m);
  assert.match(
    formatStatus(status, "'/srv/my kafclaw/scripts/kafclaw'"),
    /^ {2}1 chunk\(s\) without a vector of this model \(`'\/srv\/my kafclaw\/scripts\/kafclaw' memory reindex` embeds them\)$/m,
  );
  assert.match(text, /, index of 16$/m);
});
