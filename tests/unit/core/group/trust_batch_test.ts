/**
 * A guarded handler's `prepare`, which the Kafka transport calls with each fetched batch: the
 * batch's signature checks start together, and each record is still judged alone when it comes,
 * so a forgery costs only itself and a revocation in the middle of a batch takes effect at once.
 */
import assert from "node:assert/strict";
import { type Dropped, GroupTrust, Roster, RosterFeed } from "../../../../core/group/mod.ts";
import {
  generateKeyPair,
  MemoryReplayStore,
  parseRecord,
  signRecord,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import type { InboundRecord, RecordHandler } from "../../../../core/transport/mod.ts";
import { memberCertificate } from "../../../_support/certificates.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

const owner = await generateKeyPair();
const alice = await generateKeyPair();
const aliceCert = await memberCertificate(owner.privateKey, "alice", alice.publicKey);
const topic = topicsFor("t1").heartbeats;
const encoder = new TextEncoder();

/** Heartbeats of `agentId` (signed with `key`) as a consumer receives them, offsets 0 … n-1. */
async function batch(n: number, agentId = "alice", key = alice.privateKey) {
  return await Promise.all(Array.from({ length: n }, async (_, i): Promise<InboundRecord> => {
    const record = {
      topic,
      key: `agent:${agentId}`,
      value: heartbeatJson(agentId, { capacity: i + 1 }),
    };
    const headers = await signRecord(record, { keyId: agentId, privateKey: key });
    return {
      ...record,
      value: encoder.encode(record.value),
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, encoder.encode(v)])),
      partition: 0,
      offset: String(i),
      timestamp: Date.now(),
    };
  }));
}

/** A trust that knows alice, and a guarded handler that verifies each record it is given. */
async function setUp(inner: Partial<Pick<RecordHandler, "prepare">> = {}) {
  const dropped: Dropped[] = [];
  const trust = new GroupTrust({
    ownerKey: owner.publicKey,
    replay: new MemoryReplayStore(),
    audit: (d) => dropped.push(d),
  });
  assert.equal(await trust.learn(aliceCert), undefined);
  const passed: string[] = [];
  const refused: string[] = [];
  const verify: RecordHandler = async (record) => {
    const parsed = parseRecord(record);
    assert.ok(parsed.ok);
    const verdict = await trust.verify(record, parsed.envelope);
    if (verdict.ok) passed.push(record.offset);
    else refused.push(verdict.code);
  };
  const handler = trust.guard(Object.assign(verify, inner));
  /** Hands a batch to `prepare`, then its records one by one, as the Kafka transport does. */
  const deliver = async (records: InboundRecord[], before?: (i: number) => void) => {
    assert.ok(handler.prepare !== undefined, "a guarded handler prepares batches");
    await handler.prepare(records);
    const work: Array<() => Promise<unknown>> = [];
    for (const [i, record] of records.entries()) {
      before?.(i);
      const result = await handler(record);
      if (result && "work" in result) work.push(result.work);
    }
    return work;
  };
  const codes = () => dropped.map((d) => `${d.code}@${d.agentId}`);
  return { trust, passed, refused, deliver, codes };
}

Deno.test("a forged record in the middle of a prepared batch is the only one dropped", async () => {
  const { passed, deliver, codes } = await setUp();
  const records = await batch(8);
  const mallory = await generateKeyPair();
  records[3] = (await batch(4, "alice", mallory.privateKey))[3]!;
  await deliver(records);
  assert.deepEqual(passed, ["0", "1", "2", "4", "5", "6", "7"]);
  assert.deepEqual(codes(), ["bad_signature@alice"]);
});

Deno.test("a revocation in the middle of a prepared batch takes effect at the next record", async () => {
  const { trust, passed, refused, deliver, codes } = await setUp();
  await deliver(await batch(6), (i) => i === 2 && trust.revoke("alice"));
  assert.deepEqual(passed, ["0", "1"]);
  // Its certificate is gone from the cache with the revocation: the records are still refused
  // as revoked, and audited, not taken for records whose certificate is on its way.
  assert.deepEqual(refused, Array(4).fill("certificate_revoked"));
  assert.deepEqual(codes(), Array(4).fill("certificate_revoked@alice"));
});

Deno.test("in a prepared batch a record whose signer is not known yet still waits for it", async () => {
  const { passed, deliver, codes } = await setUp();
  const bob = await generateKeyPair();
  const records = [...await batch(2), ...await batch(1, "bob", bob.privateKey)];
  const work = await deliver(records);
  assert.deepEqual(passed, ["0", "1"]);
  assert.equal(work.length, 1, "bob's record parks as work");
  assert.deepEqual(codes(), []);
});

Deno.test("a guarded handler's own prepare runs after the signature checks start", async () => {
  const seen: number[] = [];
  const { passed, deliver } = await setUp({
    prepare: (records) => Promise.resolve(void seen.push(records.length)),
  });
  await deliver(await batch(3));
  assert.deepEqual(seen, [3]);
  assert.deepEqual(passed, ["0", "1", "2"]);
});

Deno.test("a guarded roster feed handler's batch checks start once per record, by the feed, old heartbeats left out", async () => {
  const trust = new GroupTrust({
    ownerKey: owner.publicKey,
    replay: new MemoryReplayStore(),
    audit: () => {},
  });
  assert.equal(await trust.learn(aliceCert), undefined);
  const feed = new RosterFeed({
    roster: new Roster(),
    trust,
    audit: () => {},
    changed: () => {},
    now: () => Date.now(),
  });
  // The membership reads the heartbeats through its guard, as the gateway does.
  const handler = trust.guard(feed.onHeartbeat);
  const records = await batch(4);
  records[0] = { ...records[0]!, timestamp: Date.now() - 600_000 };
  const subtle = crypto.subtle;
  const verify = subtle.verify.bind(subtle);
  let checks = 0;
  subtle.verify = (...args: Parameters<SubtleCrypto["verify"]>) => {
    checks++;
    return verify(...args);
  };
  try {
    await handler.prepare!(records);
    assert.equal(checks, 3, "the three recent heartbeats, each once; not the old one");
    for (const record of records) await handler(record);
    assert.equal(checks, 3, "each recent heartbeat took the check started for it");
  } finally {
    subtle.verify = verify;
  }
});
