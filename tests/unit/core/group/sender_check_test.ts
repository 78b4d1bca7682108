/**
 * The sender check in front of a task stream's handlers (core/group `senderChecked`): a record
 * signed with a key its sender's certificate does not hold never reaches the handler, and a
 * handler that checks the same record again (the intake's grants, the spans) gets the same
 * verdict instead of taking the record for its own replay.
 */
import assert from "node:assert/strict";
import { type Dropped, GroupTrust, senderChecked } from "../../../../core/group/mod.ts";
import * as protocol from "../../../../core/protocol/mod.ts";
import type { InboundRecord, RecordHandler } from "../../../../core/transport/mod.ts";
import { memberCertificate } from "../../../_support/certificates.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";
import { signedInboundOf } from "./_records.ts";

const owner = await protocol.generateKeyPair();
const ben = await protocol.generateKeyPair();
const forger = await protocol.generateKeyPair();
const benCert = await memberCertificate(owner.privateKey, "ben", ben.publicKey);

/** A heartbeat in ben's name signed with `privateKey`, as a consumer receives it. */
function record(privateKey: CryptoKey, offset = "0"): Promise<InboundRecord> {
  const topic = protocol.topicsFor("t1").heartbeats;
  const value = heartbeatJson("ben", { capacity: 1 });
  return signedInboundOf({ topic, key: "agent:ben", value }, { keyId: "ben", privateKey }, offset);
}

async function setUp() {
  const dropped: Dropped[] = [];
  const trust = new GroupTrust({
    ownerKey: owner.publicKey,
    replay: new protocol.MemoryReplayStore(),
    audit: (d) => dropped.push(d),
  });
  assert.equal(await trust.learn(benCert), undefined);
  const seen: string[] = [];
  // The handler checks each record again, as the intake does with a grant.
  const inner: RecordHandler = async (r) => {
    const parsed = protocol.parseRecord(r);
    if (!parsed.ok) return void seen.push(`unparsed@${r.offset}`);
    const verdict = await trust.trust(r, parsed.envelope);
    seen.push(verdict.ok ? `ok@${r.offset}` : `refused@${r.offset}: ${verdict.reason}`);
  };
  return { trust, dropped, seen, inner };
}

Deno.test("a forged record never reaches the handler: it is poison, and audited", async () => {
  const { trust, dropped, seen, inner } = await setUp();
  const handler = senderChecked(trust.trust, inner);
  const result = await handler(await record(forger.privateKey));
  assert.ok(result && "poison" in result, JSON.stringify(result));
  assert.match(result.poison, /does not verify/);
  assert.deepEqual(seen, []);
  assert.deepEqual(dropped.map((d) => `${d.code}@${d.agentId}`), ["bad_signature@ben"]);
});

Deno.test("a genuine record is verified once: the handler's own check is not a replay", async () => {
  const { trust, dropped, seen, inner } = await setUp();
  const handler = senderChecked(trust.trust, inner);
  const genuine = await record(ben.privateKey, "1");
  assert.equal(await handler(genuine), undefined);
  assert.deepEqual(seen, ["ok@1"]);
  assert.equal(dropped.length, 0, JSON.stringify(dropped));
  // A second copy of the same bytes, appended again at another offset, is a replay.
  const copy = { ...genuine, offset: "2" };
  const again = await handler(copy);
  assert.ok(again && "poison" in again, JSON.stringify(again));
  assert.deepEqual(dropped.map((d) => d.code), ["replay"]);
});

Deno.test("a record that does not parse is the handler's, and prepare is kept", async () => {
  const { trust, seen, inner } = await setUp();
  const prepared: number[] = [];
  const prepare = (records: readonly InboundRecord[]) => {
    prepared.push(records.length);
    return Promise.resolve();
  };
  const handler = senderChecked(trust.trust, Object.assign(inner, { prepare }));
  const broken = { ...(await record(ben.privateKey, "3")), value: new TextEncoder().encode("{") };
  assert.equal(await handler(broken), undefined);
  assert.deepEqual(seen, ["unparsed@3"]);
  await handler.prepare?.([broken, broken]);
  assert.deepEqual(prepared, [2]);
});
