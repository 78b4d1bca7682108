/**
 * A zone's streams get the checks the group's streams get (core/group zone_subscriptions.ts,
 * core/transport handlers.ts), whatever handlers they are given: every record's sender is
 * verified before the handler sees it, so a forged one is dropped and audited; and the Kafka
 * transport's fetched batches reach the guard's `prepare`, so a signed member starts the signature
 * checks of a zone's statuses together, each record still judged alone.
 */
import assert from "node:assert/strict";
import {
  createZoneTopics,
  type Dropped,
  GroupTrust,
  TaskRecords,
  ZoneDirectory,
  zoneRecord,
  ZoneSubscriptions,
} from "../../../../core/group/mod.ts";
import {
  generateKeyPair,
  MemoryReplayStore,
  parseRecord,
  type RecordInput,
} from "../../../../core/protocol/mod.ts";
import {
  type InboundRecord,
  MemoryTransport,
  type SubscribeOptions,
  type Subscription,
} from "../../../../core/transport/mod.ts";
import { memberCertificate } from "../../../_support/certificates.ts";
import { inboundOf, LAB_ZONE, signedInboundOf } from "./_records.ts";

/** An in-process transport that keeps the options of each subscription. */
class Recording extends MemoryTransport {
  readonly subscribed: SubscribeOptions[] = [];

  override subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.subscribed.push(options);
    return super.subscribe(options);
  }
}

Deno.test("a zone's streams verify every record before a bare handler sees it, a batch's signatures together; a forged status is dropped and audited", async () => {
  const owner = await generateKeyPair();
  const alice = await generateKeyPair();
  const mallory = await generateKeyPair();
  const dropped: Dropped[] = [];
  const trust = new GroupTrust({
    ownerKey: owner.publicKey,
    replay: new MemoryReplayStore(),
    audit: (d) => dropped.push(d),
  });
  assert.equal(
    await trust.learn(await memberCertificate(owner.privateKey, "alice", alice.publicKey)),
    undefined,
  );
  const ahead: number[] = [];
  const verifyAhead = trust.verifyAhead.bind(trust);
  trust.verifyAhead = (records: readonly RecordInput[]) => {
    ahead.push(records.length);
    return verifyAhead(records);
  };
  const statuses: string[] = [];
  const others: string[] = [];
  const transport = new Recording();
  await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
  const zones = new ZoneDirectory();
  const zone = parseRecord(inboundOf(zoneRecord("g1", "ann", { ...LAB_ZONE, members: ["alice"] })));
  assert.ok(zone.ok && zone.envelope.type === "orchestrator");
  zones.apply(zone.envelope, "ann");
  const seen = (into: string[]) => (record: InboundRecord) => {
    const parsed = parseRecord(record);
    into.push(parsed.ok ? `${parsed.envelope.correlation_id}@${record.offset}` : "?");
  };
  // The handlers as given, checking nothing: the subscriptions put each behind the checks.
  const ann = new ZoneSubscriptions({
    group: "g1",
    agentId: "ann",
    transport,
    zones,
    handlers: { status: seen(statuses), traces: seen(others), memory: seen(others) },
    trust: trust.trust,
    guard: (handler) => trust.guard(handler),
    concurrency: 1,
  });
  try {
    await ann.follow();
    assert.deepEqual(ann.joined(), ["lab"]);
    const stream = transport.subscribed.find((o) => o.kind === "stream");
    assert.ok(stream?.handler.prepare !== undefined, "the zone's streams prepare batches");
    const records = new TaskRecords("alice");
    const status = (taskId: string) =>
      records.status({ group: "g1", zone: "lab" }, {
        taskId,
        attempt: 1,
        workerId: "alice",
        status: "claimed",
      })[0]!;
    const batch = [
      await signedInboundOf(status("t-1"), { keyId: "alice", privateKey: alice.privateKey }, "0"),
      await signedInboundOf(status("t-2"), { keyId: "alice", privateKey: mallory.privateKey }, "1"),
      await signedInboundOf(status("t-3"), { keyId: "alice", privateKey: alice.privateKey }, "2"),
    ];
    // What the Kafka transport does with a fetched batch: prepare, then each record in turn.
    await stream.handler.prepare(batch);
    assert.deepEqual(ahead, [3], "the batch's signature checks started together");
    const results = [];
    for (const record of batch) results.push(await stream.handler(record));
    assert.deepEqual(statuses, ["t-1@0", "t-3@2"]);
    assert.deepEqual(others, []);
    assert.match(JSON.stringify(results[1]), /"poison":.*does not verify/);
    assert.deepEqual(dropped.map((d) => `${d.eventType}/${d.code}@${d.agentId}`), [
      "signature_invalid/bad_signature@alice",
    ]);
    // A batch of a topic that has no handler here prepares nothing.
    await stream.handler.prepare([{ ...batch[0]!, topic: "g1.elsewhere" }]);
    assert.deepEqual(ahead, [3]);
  } finally {
    await ann.close();
  }
});
