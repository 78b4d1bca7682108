/**
 * Shared memory between two agents, record by record: what one shares, the other indexes and
 * recalls with its content, author and taint; context items expire; quotas, sizes, hashes and
 * senders are checked by the receiver, and every refusal is audited. The same over the real
 * broker is in tests/integration/core/group/shared_memory_kafka_test.ts.
 */
import assert from "node:assert/strict";
import {
  contentHash,
  type MemoryRefusal,
  openTrust,
  SharedMemory,
  type SharedMemoryDeps,
  type Trust,
} from "../../../../core/group/mod.ts";
import { Memory, openWithVectors } from "../../../../core/memory/mod.ts";
import { topicsFor, zoneTopic } from "../../../../core/protocol/mod.ts";
import { recallTool, type ToolContext } from "../../../../core/tools/mod.ts";
import type {
  HandlerResult,
  InboundRecord,
  OutboundRecord,
} from "../../../../core/transport/mod.ts";
import { waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

const GROUP = "g1";
const TOPICS = topicsFor(GROUP);
const CTX: ToolContext = {
  sessionKey: "local:test",
  workspace: "/fake",
  signal: new AbortController().signal,
};
const vouched: Trust = () => Promise.resolve({ ok: true, vouched: true });

/** An agent's shared memory over its own memory; `sent` holds what it produced. */
function agent(agentId: string, more: Partial<SharedMemoryDeps> = {}) {
  const { timeline } = openWithVectors(":memory:", { sqliteVec: false });
  const memory = new Memory(timeline);
  const sent: OutboundRecord[] = [];
  const refused: MemoryRefusal[] = [];
  const shared = new SharedMemory({
    group: GROUP,
    agentId,
    send: (records) => (sent.push(...records), Promise.resolve()),
    trust: openTrust,
    memory,
    audit: (r) => refused.push(r),
    ...more,
  });
  return {
    shared,
    memory,
    timeline,
    sent,
    refused,
    [Symbol.dispose]: () => timeline.close(),
  };
}

let offset = 0;
function inbound(record: OutboundRecord): InboundRecord {
  return {
    topic: record.topic,
    partition: 0,
    offset: String(offset++),
    key: record.key,
    value: typeof record.value === "string" ? new TextEncoder().encode(record.value) : record.value,
    headers: {},
    timestamp: Date.now(),
  };
}

/** Hands records to an agent as its consumer would, running the work it hands back. */
async function deliver(to: ReturnType<typeof agent>, records: readonly OutboundRecord[]) {
  const results: HandlerResult[] = [];
  for (const record of records) {
    const result = await to.shared.handle(inbound(record));
    if (result && "work" in result) await result.work();
    results.push(result);
  }
  return results;
}

/** A memory record as a foreign producer might write it. */
async function rawRecord(
  payload: Record<string, unknown>,
  options: { topic?: string; sender?: string; key?: string } = {},
): Promise<OutboundRecord> {
  const content = typeof payload.content === "string" ? payload.content : "";
  const full = {
    item_id: "it-1",
    author_id: options.sender ?? "ann",
    title: "note",
    content_type: "text/plain",
    sha256: await contentHash(content),
    tags: [],
    created_at: new Date().toISOString(),
    ...payload,
  };
  return {
    topic: options.topic ?? TOPICS.memoryShared,
    key: options.key ?? String(full.item_id),
    value: JSON.stringify({
      type: "memory",
      correlation_id: full.item_id,
      sender_id: options.sender ?? "ann",
      timestamp: new Date().toISOString(),
      payload: full,
    }),
  };
}

Deno.test("an item ann shares is recalled by bob with its content and author, untrusted in an open group", async () => {
  using ann = agent("ann");
  using bob = agent("bob");
  const id = await ann.shared.share(
    { title: "Staging", content: "The staging database listens on port 5433", tags: ["db"] },
    CTX,
  );
  assert.equal(ann.sent.length, 1);
  assert.equal(ann.sent[0]!.topic, TOPICS.memoryShared);
  assert.equal(ann.sent[0]!.key, id);
  await deliver(bob, ann.sent);
  assert.equal(bob.shared.indexed, 1);
  const found = await bob.memory.search("staging database port");
  assert.equal(found.hits.length, 1);
  const [hit] = found.hits;
  assert.equal(hit!.content, "Staging\n\nThe staging database listens on port 5433");
  assert.equal(hit!.source, "group:ann");
  assert.equal(hit!.taint, "untrusted");
  assert.ok(hit!.tags.includes(`item:${id}`) && hit!.tags.includes("db"), String(hit!.tags));
  assert.equal(found.taint, "untrusted");
  assert.deepEqual(bob.refused, []);
  // The agent's recall tool shows it with its author, and marks the result untrusted.
  const recall = recallTool(bob.memory, { scope: () => ({ taint: "trusted", zones: [] }) });
  const result = await recall.run({ query: "staging database port" }, CTX);
  assert.equal(result.untrusted, true);
  assert.match(result.content, /\[group:ann, untrusted, public, [0-9-]+\] Staging The staging/);
});

Deno.test("a vouched sender's item is trusted, unless the turn that shared it was tainted", async () => {
  using ann = agent("ann");
  using bob = agent("bob", { trust: vouched });
  await ann.shared.share({ title: "a", content: "vouched fact alpha", tags: [] }, CTX);
  await ann.shared.share(
    { title: "b", content: "tainted fact beta", tags: [] },
    { ...CTX, taint: "untrusted" },
  );
  await deliver(bob, ann.sent);
  assert.equal((await bob.memory.search("alpha")).hits[0]?.taint, "trusted");
  assert.equal((await bob.memory.search("beta")).hits[0]?.taint, "untrusted");
});

Deno.test("an item larger than a part goes as parts keyed item_id#n and comes back whole in any order", async () => {
  const limits = {
    partBytes: 16,
    itemBytes: 400,
    maxParts: 30,
    pendingItems: 10,
    partsWaitMs: 60_000,
  };
  using ann = agent("ann", { limits });
  using bob = agent("bob", { limits });
  const content = "Rollout plan: canary first ✓, then half of the fleet, then everyone else.";
  const id = await ann.shared.share({ title: "plan", content, tags: [] }, CTX);
  assert.ok(ann.sent.length > 4);
  assert.deepEqual(ann.sent.map((r) => r.key), ann.sent.map((_, n) => `${id}#${n}`));
  const results = await deliver(bob, [...ann.sent].reverse());
  assert.deepEqual(results.slice(0, -1), ann.sent.slice(1).map(() => undefined));
  assert.equal(bob.shared.indexed, 1);
  assert.equal((await bob.memory.search("canary fleet")).hits[0]?.content, `plan\n\n${content}`);
});

Deno.test("a context item goes to memory.context, is recalled until it expires, then never, and the sweep deletes it", async () => {
  using ann = agent("ann");
  using bob = agent("bob");
  await ann.shared.share({
    title: "ctx",
    content: "deploy freeze until noon",
    tags: [],
    ttlSeconds: 1,
  }, CTX);
  assert.equal(ann.sent[0]!.topic, TOPICS.memoryContext);
  const payload = JSON.parse(String(ann.sent[0]!.value)).payload;
  assert.ok(Date.parse(payload.expires_at) > Date.now());
  await deliver(bob, ann.sent);
  assert.equal((await bob.memory.search("deploy freeze")).hits.length, 1);
  assert.equal(bob.shared.sweep(), 0, "not expired yet");
  await waitFor(
    async () => (await bob.memory.search("deploy freeze")).hits.length === 0,
    "the context item to be past its expiry",
  );
  assert.equal(bob.timeline.memory.count(), 1, "recall hides it before the sweep deletes it");
  assert.equal(bob.shared.sweep(), 1);
  assert.equal(bob.timeline.memory.count(), 0);
});

Deno.test("a context item already expired, or without expires_at, is refused on receipt and audited", async () => {
  using bob = agent("bob");
  const past = new Date(Date.now() - 1_000).toISOString();
  const late = await rawRecord({ content: "old news", expires_at: past }, {
    topic: TOPICS.memoryContext,
  });
  const bare = await rawRecord({ item_id: "it-2", content: "no end" }, {
    topic: TOPICS.memoryContext,
  });
  const results = await deliver(bob, [late, bare]);
  assert.equal(results[0], undefined, "a valid record, refused: not poison");
  assert.deepEqual(results[1], { poison: 'a context item without "expires_at"' });
  assert.equal(bob.timeline.memory.count(), 0);
  assert.deepEqual(bob.refused.map((r) => [r.eventType, r.itemId]), [
    ["memory_refused", "it-1"],
    ["poison_record", "it-2"],
  ]);
  assert.match(bob.refused[0]!.detail, /expired at .* before it came/);
});

Deno.test("the receiver refuses an author over its quota, whatever the sender counted", async () => {
  using bob = agent("bob", { quota: { items: 2, bytes: 1_000, windowMs: 60_000 } });
  const records = await Promise.all(
    ["one", "two", "three"].map((word, n) => rawRecord({ item_id: `q${n}`, content: word })),
  );
  const cara = await rawRecord({ item_id: "c1", content: "from cara" }, { sender: "cara" });
  await deliver(bob, [...records, cara]);
  assert.equal(bob.shared.indexed, 3);
  assert.equal((await bob.memory.search("three")).hits.length, 0);
  assert.deepEqual(bob.refused.map((r) => [r.eventType, r.authorId, r.itemId]), [
    ["memory_refused", "ann", "q2"],
  ]);
  assert.match(bob.refused[0]!.detail, /over quota: ann already shared 2 items/);
});

Deno.test("the sender refuses an item over the item size or over its own quota, saying why", async () => {
  using ann = agent("ann", {
    limits: { partBytes: 8, itemBytes: 20, maxParts: 3, pendingItems: 5, partsWaitMs: 1_000 },
    quota: { items: 1, bytes: 1_000, windowMs: 60_000 },
  });
  await assert.rejects(
    ann.shared.share({ title: "t", content: "x".repeat(21), tags: [] }, CTX),
    { message: "Cannot share 21 bytes: an item holds at most 20" },
  );
  await ann.shared.share({ title: "t", content: "short", tags: [] }, CTX);
  await assert.rejects(
    ann.shared.share({ title: "t", content: "again", tags: [] }, CTX),
    /Cannot share now: ann already shared 1 items/,
  );
  assert.equal(ann.sent.length, 1);
});

Deno.test("a mis-hashed, oversized or malformed item is refused as poison and audited once", async () => {
  using bob = agent("bob", {
    limits: { partBytes: 8, itemBytes: 16, maxParts: 4, pendingItems: 5, partsWaitMs: 1_000 },
  });
  const wrong = await rawRecord({ item_id: "h1", content: "abc", sha256: "0".repeat(64) });
  const huge = await rawRecord({ item_id: "o1", content: "x".repeat(17) });
  const parts = [0, 1, 2].map((part) =>
    rawRecord({ item_id: "p1", content: "y".repeat(8), part, parts: 3 }, { key: `p1#${part}` })
  );
  const forged = await rawRecord({ item_id: "f1", content: "hi", author_id: "cara" });
  const lfs = await rawRecord({
    item_id: "l1",
    content: { kfs_lfs: 1, bucket: "b", key: "k", size: 3, sha256: "0".repeat(64) },
  });
  const junk: OutboundRecord = { topic: TOPICS.memoryShared, key: "x", value: "{not json" };
  const p1 = await Promise.all(parts);
  const results = await deliver(bob, [wrong, huge, ...p1, forged, lfs, junk]);
  assert.equal(bob.timeline.memory.count(), 0);
  // The third part of p1 takes it past 16 bytes: the first two wait, the third refuses it.
  assert.deepEqual(results.map((r) => Boolean(r && "poison" in r)), [
    true,
    true,
    false,
    false,
    true,
    true,
    false,
    true,
  ]);
  assert.deepEqual(bob.refused.map((r) => [r.eventType, r.itemId]), [
    ["poison_record", "h1"],
    ["poison_record", "o1"],
    ["poison_record", "p1"],
    ["poison_record", "f1"],
    ["memory_refused", "l1"],
    ["poison_record", undefined],
  ]);
  const details = bob.refused.map((r) => r.detail);
  assert.match(details[0]!, /^mis-hashed: its content hashes to [0-9a-f]{64}, not 0{64}$/);
  assert.match(details[1]!, /^oversized: 17 bytes, more than 16$/);
  assert.match(details[2]!, /^oversized: more than 16 bytes$/);
  assert.equal(details[3], "its author_id names cara, not its sender");
  assert.equal(details[4], "it points to an LFS object, and no bucket is configured");
  // A part of a refused item, delivered again, is dropped without another audit.
  assert.deepEqual(await deliver(bob, [p1[0]!]), [undefined]);
  assert.equal(bob.refused.length, 6);
});

Deno.test("an item shared in a zone's task goes to that zone's memory topic and is found only by a search in the zone", async () => {
  using ann = agent("ann");
  using bob = agent("bob");
  const scope = { zone: "ops", zones: ["ops"] };
  await ann.shared.share(
    { title: "vault", content: "the ops vault rotates on fridays", tags: [] },
    {
      ...CTX,
      scope,
    },
  );
  assert.equal(ann.sent[0]!.topic, zoneTopic(GROUP, "ops", "memory"));
  assert.equal(JSON.parse(String(ann.sent[0]!.value)).payload.zone, "ops");
  await deliver(bob, ann.sent);
  assert.equal(bob.shared.indexed, 1);
  assert.equal((await bob.memory.search("vault fridays")).hits.length, 0, "public search");
  const inZone = await bob.memory.search("vault fridays", { zones: ["ops"] });
  assert.equal(inZone.hits[0]?.zone, "ops");
});

Deno.test("a zone is taken from the topic, never from the payload's zone field", async () => {
  using bob = agent("bob");
  const claimed = await rawRecord({ content: "claims the ops zone", zone: "ops" });
  await deliver(bob, [claimed]);
  const found = await bob.memory.search("claims zone");
  assert.equal(found.hits.length, 1, "a public search finds it");
  assert.equal(found.hits[0]?.zone, undefined);
});

Deno.test("a record of another type on a memory topic is poison, and so is one its sender's trust drops", async () => {
  const dropped: string[] = [];
  const checked: Trust = (_record, envelope) => {
    if (envelope.sender_id !== "mallory") return Promise.resolve({ ok: true, vouched: false });
    dropped.push(envelope.sender_id);
    return Promise.resolve({ ok: false, reason: "signature does not verify" });
  };
  using bob = agent("bob", { trust: checked });
  const heartbeat: OutboundRecord = {
    topic: TOPICS.memoryShared,
    key: "agent:ann",
    value: heartbeatJson("ann"),
  };
  const forged = await rawRecord({ content: "trust me" }, { sender: "mallory" });
  const results = await deliver(bob, [heartbeat, forged]);
  assert.deepEqual(results, [
    {
      poison: `Cannot parse record from ${TOPICS.memoryShared}@0:${offset - 2}: "type" is ` +
        '"heartbeat", which does not go on this topic',
    },
    { poison: "signature does not verify" },
  ]);
  assert.deepEqual(dropped, ["mallory"]);
  // The trust audits what it drops: the shared memory audits only the misplaced record.
  assert.deepEqual(bob.refused.map((r) => [r.eventType, r.authorId, r.detail]), [
    ["poison_record", "unknown", results[0] && "poison" in results[0] && results[0].poison],
  ]);
  assert.equal(bob.timeline.memory.count(), 0);
});

Deno.test("parts that wait past their time are given up at the sweep and audited", async () => {
  let now = 1_000_000;
  const limits = { partBytes: 8, itemBytes: 64, maxParts: 8, pendingItems: 5, partsWaitMs: 1_000 };
  using bob = agent("bob", { limits, now: () => now });
  const first = await rawRecord(
    { item_id: "slow", content: "abcdefgh", part: 0, parts: 2 },
    { key: "slow#0" },
  );
  assert.deepEqual(await deliver(bob, [first]), [undefined]);
  assert.equal(bob.shared.sweep(), 0);
  assert.deepEqual(bob.refused, [], "still within its time");
  now += 1_001;
  bob.shared.sweep();
  assert.deepEqual(bob.refused, [{
    eventType: "memory_refused",
    authorId: "ann",
    itemId: "slow",
    topic: "",
    detail: "its parts did not all come within 1000 ms",
  }]);
  // The second part alone starts the item again: it waits rather than making a half item.
  const second = await rawRecord(
    { item_id: "slow", content: "ijklmnop", part: 1, parts: 2 },
    { key: "slow#1" },
  );
  assert.deepEqual(await deliver(bob, [second]), [undefined]);
  assert.equal(bob.timeline.memory.count(), 0);
});

Deno.test("the refused items remembered are bounded: past a thousand, the oldest one's parts are audited again", async () => {
  using bob = agent("bob");
  const forged = (n: number) =>
    rawRecord({ item_id: `f${n}`, content: "x", author_id: "cara" }, { key: `f${n}` });
  const first = await forged(0);
  await deliver(bob, [first]);
  await deliver(bob, [first]);
  assert.equal(bob.refused.length, 1, "a refused item's records are dropped quietly");
  for (let n = 1; n <= 1_000; n++) await deliver(bob, [await forged(n)]);
  assert.equal(bob.refused.length, 1_001);
  await deliver(bob, [first]);
  assert.equal(bob.refused.length, 1_002, "f0 was forgotten to make room");
  assert.equal(bob.refused.at(-1)?.itemId, "f0");
});

Deno.test("an agent restarted between two parts of an item puts it together from the parts it kept", async () => {
  const limits = { partBytes: 8, itemBytes: 64, maxParts: 8, pendingItems: 5, partsWaitMs: 60_000 };
  using bob = agent("bob", { limits });
  const deps = { limits, parts: bob.timeline.memoryParts };
  const before = agent("bob", deps);
  const content = "abcdefghijklmnop";
  const sha256 = await contentHash(content);
  const parts = await Promise.all([0, 1].map((part) =>
    rawRecord(
      { item_id: "kept", content: content.slice(part * 8, part * 8 + 8), part, parts: 2, sha256 },
      { key: `kept#${part}` },
    )
  ));
  await deliver(before, [parts[0]!]);
  before[Symbol.dispose]();
  const after = new SharedMemory({
    group: GROUP,
    agentId: "bob",
    send: () => Promise.resolve(),
    trust: openTrust,
    memory: bob.memory,
    audit: (r) => bob.refused.push(r),
    ...deps,
  });
  assert.equal(await after.restore(), 1);
  const result = await after.handle(inbound(parts[1]!));
  assert.ok(result && "work" in result);
  await result.work();
  assert.equal(after.indexed, 1);
  assert.equal((await bob.memory.search(content)).hits[0]?.content, `note\n\n${content}`);
  assert.deepEqual(bob.refused, []);
});

Deno.test("an item of 1 MiB of 3-byte characters, in 17 parts of 64 KiB, comes back whole with the default limits", async () => {
  using ann = agent("ann");
  using bob = agent("bob");
  // 349,525 × 3 bytes: just under 1 MiB; a cut moves back to a character, so parts hold 65,535.
  const content = "€".repeat(349_525);
  await ann.shared.share({ title: "euros", content, tags: [] }, CTX);
  assert.equal(ann.sent.length, 17);
  await deliver(bob, ann.sent);
  assert.deepEqual(bob.refused, []);
  assert.equal(bob.shared.indexed, 1);
});
