/**
 * Poison on a gateway's subscriptions is told to the group on its audit topic, not only
 * dead-lettered: a broken record on the requests topic (a work topic: also dead-lettered, as
 * before) and one on a state topic read while the gateway joined (before its audit existed), each
 * with where it was and why, never the record's value; shared memory, which audits its own poison
 * with whose item it was, is told once.
 */
import assert from "node:assert/strict";
import { memberTopicSpecs } from "../../../../core/group/mod.ts";
import { parseRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { MemoryBroker, MemoryTransport } from "../../../../core/transport/mod.ts";
import { gatewayOf, inProcessEnv } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";

const GROUP = "gwaudit";
const topics = topicsFor(GROUP);
const SECRET = "sk-live-do-not-tell";

/** The audit topic's records: their raw values, and their payloads. */
function audits(broker: MemoryBroker) {
  const records = broker.topics.get(topics.audit)?.log.flat() ?? [];
  return records.flatMap((record) => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "audit") return [];
    const payload: Record<string, unknown> = parsed.envelope.payload;
    const raw = new TextDecoder().decode(record.value as Uint8Array);
    return [{ raw, ...payload } as Record<string, unknown> & { raw: string }];
  });
}

Deno.test("poison on a gateway's task and state topics is on the audit topic with where and why, never its value", async () => {
  const broker = new MemoryBroker();
  const transport = new MemoryTransport({ broker });
  await transport.createTopics(memberTopicSpecs(GROUP, { workPartitions: 3 }));
  // On the announce topic before ann starts: read while it joins, before its audit exists.
  await transport.produce([{ topic: topics.announce, key: "agent:zed", value: `{"${SECRET}"` }]);
  await using ann = await gatewayOf(inProcessEnv(GROUP, "ann"), { more: { transport } });
  await transport.produce([
    { topic: topics.requests, key: "t-poison", value: `{"type":"request","key":"${SECRET}"` },
    { topic: topics.memoryShared, key: "item#0", value: `not json ${SECRET}` },
  ]);
  const poison = () => audits(broker).filter((a) => a.event_type === "poison_record");
  await waitFor(() => poison().length >= 3, "three poison records audited", {
    state: () => audits(broker),
  });
  const on = (topic: string) => poison().filter((a) => a.topic === topic);
  const [request] = on(topics.requests);
  assert.equal(request?.agent_id, "ann");
  assert.equal(request?.code, "poison");
  assert.equal(typeof request?.partition, "number");
  assert.equal(request?.offset, "0");
  assert.match(
    String(request?.detail),
    new RegExp(`^poison record at ${topics.requests}@${request?.partition}:0: `),
  );
  assert.equal(on(topics.announce).length, 1, "told once the audit existed");
  assert.equal(on(topics.memoryShared).length, 1, "shared memory's own audit, not a second");
  for (const a of audits(broker)) assert.ok(!a.raw.includes(SECRET), a.raw);
  // Dead-lettered as before: a work topic's poison.
  const letters = broker.topics.get(topics.deadLetter)?.log.flat() ?? [];
  assert.equal(letters.length, 1);
  // And kept in ann's timeline.
  const kept = ann.gateway.runtime.timeline.events.list({ kind: "GROUP" }).items
    .filter((e) => e.metadata.event_type === "poison_record");
  assert.ok(kept.length >= 2, String(kept.length));
});
