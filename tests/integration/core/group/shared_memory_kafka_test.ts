/**
 * Shared memory on the real broker, in a signed group: what one member shares, another recalls
 * with its content and author, trusted only when the author's certificate is vouched; a context
 * item leaves recall when it expires and the sweep deletes it; a mis-hashed or oversized item,
 * signed and produced as a foreign agent might, is refused and audited, and junk is poison.
 */
import assert from "node:assert/strict";
import {
  admit,
  certificateRecord,
  contentHash,
  DEFAULT_SHARED_MEMORY_LIMITS,
  type Membership,
  SharedMemory,
  type SharedMemoryLimits,
} from "../../../../core/group/mod.ts";
import { Memory } from "../../../../core/memory/mod.ts";
import { agentConsumerGroup, topicsFor } from "../../../../core/protocol/mod.ts";
import type { ToolContext } from "../../../../core/tools/mod.ts";
import { loadKafka, type Subscription } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import {
  type AgentHome,
  agentHome,
  makeGroup,
  startMember,
  type TestGroup,
} from "../../../_support/group_member.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const LIMITS: SharedMemoryLimits = {
  ...DEFAULT_SHARED_MEMORY_LIMITS,
  partBytes: 64,
  itemBytes: 512,
};
const CTX: ToolContext = {
  sessionKey: "local:test",
  workspace: "/fake",
  signal: new AbortController().signal,
};

/** A member of `g` with its shared memory read from the topics, as the gateway runs it. */
async function member(g: TestGroup, home: AgentHome, vouched: boolean) {
  const transport = new KafkaTransport({ brokers, clientId: `kafclaw-${home.agentId}` });
  const certificate = await admit(g.ownerKey.privateKey, {
    agentId: home.agentId,
    publicKey: home.key.publicKeyText,
    vouched,
  });
  await transport.produce([
    await certificateRecord(g.group, g.ownerKey.privateKey, home.agentId, certificate),
  ]);
  const membership: Membership = await startMember(transport, g, home, certificate);
  const memory = new Memory(home.timeline);
  const shared = new SharedMemory({
    group: g.group,
    agentId: home.agentId,
    send: (records) => membership.send(records),
    trust: membership.trust,
    memory,
    audit: (r) =>
      home.timeline.events.record({
        kind: "GROUP",
        sender: r.authorId,
        contentText: r.detail,
        metadata: { event_type: r.eventType, item_id: r.itemId ?? "" },
      }),
    limits: LIMITS,
  });
  const topics = topicsFor(g.group);
  const reader: Subscription = await transport.subscribe({
    kind: "stream",
    topics: [topics.memoryShared, topics.memoryContext],
    groupId: `${agentConsumerGroup(g.group, home.agentId)}.memory`,
    fromBeginning: true,
    handler: membership.guard(shared.handle),
  });
  return {
    transport,
    membership,
    memory,
    shared,
    reader,
    refusals: () =>
      home.timeline.events.list({ kind: "GROUP" }).items
        .filter((e) => e.metadata.item_id !== undefined)
        .map((e) => `${e.metadata.event_type}/${e.metadata.item_id}: ${e.contentText}`).reverse(),
    async [Symbol.asyncDispose]() {
      await reader.close();
      await membership.leave();
      await transport.close();
    },
  };
}

Deno.test(
  "a shared item from ann is recalled by ben with its content and author; a context item is gone after its TTL",
  opts,
  async () => {
    const group = uniqueName("shmem").replaceAll("-", "");
    const owner = new KafkaTransport({ brokers, clientId: "kafclaw-owner" });
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using annHome = await agentHome("ann");
    await using benHome = await agentHome("ben");
    await using cyHome = await agentHome("cy");
    try {
      await using ann = await member(g, annHome, true);
      await using cy = await member(g, cyHome, false);
      // A long item goes in parts: ben, started after it was shared, reads it from the beginning.
      const long = "The release train leaves on Thursdays at 14:00 UTC. ".repeat(6).trim();
      const itemId = await ann.shared.share({ title: "Releases", content: long, tags: [] }, CTX);
      await cy.shared.share(
        { title: "Lunch", content: "Lunch is at noon on Fridays", tags: [] },
        CTX,
      );
      await using ben = await member(g, benHome, false);
      await waitFor(
        async () => (await ben.memory.search("release train Thursdays")).hits.length === 1,
        "ben to recall ann's item",
        { state: () => ben.reader.stats },
      );
      const [hit] = (await ben.memory.search("release train Thursdays")).hits;
      assert.equal(hit!.content, `Releases\n\n${long}`);
      assert.equal(hit!.source, "group:ann");
      assert.equal(hit!.taint, "trusted", "ann's certificate is vouched");
      assert.ok(hit!.tags.includes(`item:${itemId}`));
      await waitFor(
        async () => (await ben.memory.search("lunch noon")).hits.length === 1,
        "ben to recall cy's item",
      );
      const [lunch] = (await ben.memory.search("lunch noon")).hits;
      assert.equal(lunch!.source, "group:cy");
      assert.equal(lunch!.taint, "untrusted", "cy's certificate is not vouched");

      await ann.shared.share(
        { title: "Freeze", content: "Deploys are frozen for two seconds", tags: [], ttlSeconds: 2 },
        CTX,
      );
      await waitFor(
        async () => (await ben.memory.search("deploys frozen")).hits.length === 1,
        "ben to recall the context item",
      );
      await waitFor(
        async () => (await ben.memory.search("deploys frozen")).hits.length === 0,
        "the context item to leave recall at its expiry",
        { timeoutMs: 10_000 },
      );
      assert.equal(ben.shared.sweep(), 1, "the sweep deletes it");
      assert.deepEqual(ben.refusals(), []);
    } finally {
      await owner.close();
    }
  },
);

Deno.test(
  "a mis-hashed or oversized item, signed and produced raw, is refused and audited; junk is poison",
  opts,
  async () => {
    const group = uniqueName("shbad").replaceAll("-", "");
    const owner = new KafkaTransport({ brokers, clientId: "kafclaw-owner" });
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using annHome = await agentHome("ann");
    await using benHome = await agentHome("ben");
    try {
      await using ann = await member(g, annHome, true);
      await using ben = await member(g, benHome, false);
      const topic = topicsFor(group).memoryShared;
      const record = async (itemId: string, content: string, sha256?: string) => ({
        topic,
        key: itemId,
        value: JSON.stringify({
          type: "memory",
          correlation_id: itemId,
          sender_id: "ann",
          timestamp: new Date().toISOString(),
          protocol: "kafclaw/1",
          payload: {
            item_id: itemId,
            author_id: "ann",
            title: "bad",
            content_type: "text/plain",
            content,
            sha256: sha256 ?? await contentHash(content),
            tags: [],
            created_at: new Date().toISOString(),
          },
        }),
      });
      // Signed by ann, as a foreign implementation of hers might produce them.
      await ann.membership.send([
        await record("misHashed", "the moon is made of cheese", "0".repeat(64)),
        await record("oversized", "x".repeat(LIMITS.itemBytes + 1)),
        await record("fine", "a good item after the bad ones"),
      ]);
      await owner.produce([{ topic, key: "junk", value: "{not json" }]);
      await waitFor(
        async () => (await ben.memory.search("good item")).hits.length === 1,
        "ben to index the good item after the bad ones",
      );
      await waitFor(() => ben.reader.stats.poison >= 3, "three poison records at ben", {
        state: () => ben.reader.stats,
      });
      assert.equal((await ben.memory.search("moon cheese")).hits.length, 0);
      // Their keys put them on different partitions: in any order.
      const refused = ben.refusals().sort();
      assert.equal(refused.length, 3, refused.join("\n"));
      assert.match(refused[0]!, /^poison_record\/: /);
      assert.match(refused[1]!, /^poison_record\/misHashed: mis-hashed: its content hashes to/);
      assert.match(refused[2]!, /^poison_record\/oversized: oversized: 513 bytes, more than 512$/);
    } finally {
      await owner.close();
    }
  },
);
