import assert from "node:assert/strict";
import {
  type CertificateBundle,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  issueCertificate,
  MemoryReplayStore,
  parseRecord,
  type RecordInput,
  type RecordToSign,
  replayId,
  type ReplayStore,
  signedBytes,
  signRecord,
  type VerifyOptions,
  verifyRecord,
} from "../../../../core/protocol/mod.ts";
import { goldenBytes, json, NOW, request, signedVectors } from "./_helpers.ts";

const { keys, vectors, replays } = signedVectors();
const ownerKey = await importPublicKey(keys.owner!.public_key);

for (const vector of vectors) {
  Deno.test(`Python vector: ${vector.name}`, async () => {
    const record = {
      topic: vector.topic,
      key: vector.key,
      value: vector.value,
      headers: vector.headers,
    };
    const parsed = parseRecord(record);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
    const certificates = vector.certificates ?? {};
    const result = await verifyRecord(record, parsed.envelope, {
      ownerKey,
      now: vector.now,
      lookupCertificate: (id) => certificates[id],
      revoked: new Set(vector.revoked ?? []),
      ...(vector.append_time === undefined ? {} : { appendTime: vector.append_time }),
    });
    if (vector.expect.ok) {
      assert.ok(result.ok, result.ok ? "" : result.error.message);
      assert.equal(result.verified.signer, vector.expect.signer);
      if (vector.expect.vouched !== undefined) {
        assert.equal(result.verified.certificate?.certificate.vouched, vector.expect.vouched);
      }
    } else {
      assert.ok(!result.ok, "verified");
      assert.equal(result.error.code, vector.expect.code, result.error.message);
    }
  });
}

for (const vector of replays) {
  Deno.test(`Python replay vector: ${vector.name}`, async () => {
    const record = { topic: vector.topic, key: vector.key, value: vector.value };
    const parsed = parseRecord(record);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
    const replay = new MemoryReplayStore();
    for (const [i, delivery] of vector.deliveries.entries()) {
      const result = await verifyRecord({ ...record, headers: vector.headers }, parsed.envelope, {
        ownerKey,
        now: delivery.now,
        replay,
        ...(delivery.append_time === undefined ? {} : { appendTime: delivery.append_time }),
      });
      const outcome = result.ok ? { ok: true } : { ok: false, code: result.error.code };
      assert.deepEqual(outcome, delivery.expect, `delivery ${i + 1}`);
    }
  });
}

// Records made here, by the TypeScript side.
const owner = await generateKeyPair();
const alice = await generateKeyPair();
const aliceCert: CertificateBundle = await issueCertificate({
  agent_id: "alice",
  public_key: await exportPublicKey(alice.publicKey),
  zones: ["public"],
  vouched: false,
  issuer: false,
  not_after: "2027-01-01T00:00:00Z",
  issuer_id: "owner",
}, owner.privateKey);

async function signedRecord(value = json(request()), key = "t-9"): Promise<RecordInput> {
  const record = { topic: "group.g1.requests", key, value };
  const headers = await signRecord(record, {
    keyId: "alice",
    privateKey: alice.privateKey,
    certificate: aliceCert,
  }, {
    attachCertificate: true,
  });
  return { ...record, headers, partition: 2, offset: 40 };
}

async function verify(record: RecordInput, changes: Partial<VerifyOptions> = {}) {
  const parsed = parseRecord(record);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
  return await verifyRecord(record, parsed.envelope, {
    ownerKey: owner.publicKey,
    now: NOW,
    ...changes,
  });
}

Deno.test("verifyRecord accepts a record signed here, with headers and key as bytes", async () => {
  const record = await signedRecord();
  const encoder = new TextEncoder();
  const headers = Object.fromEntries(
    Object.entries(record.headers!).map(([k, v]) => [k, encoder.encode(v as string)]),
  );
  const result = await verify({
    ...record,
    key: encoder.encode("t-9"),
    value: encoder.encode(record.value as string),
    headers,
  });
  assert.ok(result.ok);
  assert.equal(result.verified.signer, "alice");
  assert.equal(
    result.verified.replayId,
    await replayId(signedBytes({ ...record, key: "t-9" })),
  );
});

Deno.test("verifyRecord drops a replay within the window, and remembers nothing that failed", async () => {
  const replay = new MemoryReplayStore();
  const record = await signedRecord();
  assert.equal((await verify(record, { replay })).ok, true);
  // The same bytes appended again: another offset.
  const copy = { ...record, offset: 41 };
  const again = await verify(copy, { replay, now: NOW + 1000 });
  assert.ok(!again.ok);
  assert.equal(again.error.code, "replay");
  assert.equal(
    again.error.message,
    'Cannot verify record from group.g1.requests@2:41: "alice" sent this record before',
  );
  assert.equal((await verify(copy, { replay, now: NOW + 200_000 })).ok, false);
  const skewed = await verify(
    await signedRecord(json({ ...request(), timestamp: "2026-01-15T11:00:00Z" })),
    { replay },
  );
  assert.ok(!skewed.ok && skewed.error.code === "clock_skew");
  assert.equal(replay.size, 1);
});

Deno.test("the same record delivered again (its topic, partition and offset) is no replay", async () => {
  const replay = new MemoryReplayStore();
  const record = await signedRecord();
  assert.equal((await verify(record, { replay })).ok, true);
  // After a crash before its commit, the record comes again from where it was, maybe twice.
  assert.equal((await verify(record, { replay, now: NOW + 1000 })).ok, true);
  assert.equal((await verify(record, { replay, now: NOW + 2000 })).ok, true);
  // The same offset of another partition is another place.
  const elsewhere = await verify({ ...record, partition: 1 }, { replay, now: NOW + 3000 });
  assert.ok(!elsewhere.ok && elsewhere.error.code === "replay", JSON.stringify(elsewhere));
  assert.equal(replay.size, 1);
  // A record whose place the transport does not tell is a replay when met again.
  const { partition: _p, offset: _o, ...placeless } = record;
  const { offset: _offset, ...offsetless } = record;
  for (const unplaced of [placeless, offsetless]) {
    const fresh = new MemoryReplayStore();
    assert.equal((await verify(unplaced, { replay: fresh })).ok, true);
    const again = await verify(unplaced, { replay: fresh });
    assert.ok(!again.ok && again.error.code === "replay", JSON.stringify(again));
  }
});

/** A replay store that answers later, as one on SQLite would. */
class SlowReplayStore implements ReplayStore {
  #seen = new Set<string>();

  async remember(sender: string, id: string): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const entry = `${sender} ${id}`;
    if (this.#seen.has(entry)) return false;
    this.#seen.add(entry);
    return true;
  }
}

Deno.test("a replay store may answer asynchronously", async () => {
  const replay = new SlowReplayStore();
  const record = await signedRecord();
  assert.equal((await verify(record, { replay })).ok, true);
  assert.equal((await verify(record, { replay })).ok, false);
});

Deno.test("the clock skew is two minutes by default, and can be set", async () => {
  const record = await signedRecord();
  assert.equal((await verify(record, { now: NOW + 120_000 })).ok, true);
  const late = await verify(record, { now: NOW + 120_001 });
  assert.ok(!late.ok && late.error.code === "clock_skew");
  assert.match(
    late.error.message,
    /"timestamp" 2026-01-15T10:00:00Z is more than 120000 ms from the receiver's clock/,
  );
  assert.equal((await verify(record, { now: NOW + 120_001, clockSkewMs: 300_000 })).ok, true);
  // Outside state topics the broker's append time is not read.
  assert.equal((await verify(record, { now: NOW, appendTime: NOW + 3_600_000 })).ok, true);
});

/** alice's skill record, a state record, signed with her certificate attached. */
async function stateRecord(timestamp = "2026-01-15T10:00:00Z"): Promise<RecordInput> {
  const value = json({
    type: "skill",
    correlation_id: "s-1",
    sender_id: "alice",
    timestamp,
    payload: { skill: "summarise", providers: [] },
  });
  return await signedByAlice({ topic: "group.g1.skills", key: "skill:summarise", value });
}

/** A record signed by alice, with her certificate attached. */
async function signedByAlice(record: RecordToSign): Promise<RecordInput> {
  const headers = await signRecord(record, {
    keyId: "alice",
    privateKey: alice.privateKey,
    certificate: aliceCert,
  }, { attachCertificate: true });
  return { ...record, headers };
}

Deno.test("a state record is judged by the broker's append time, which it must come with", async () => {
  const record = await stateRecord();
  const late = await verify(record, { now: NOW, appendTime: NOW + 120_001 });
  assert.ok(!late.ok);
  assert.match(late.error.message, /more than 120000 ms from the broker's append time$/);
  assert.equal((await verify(record, { now: NOW + 3_600_000, appendTime: NOW })).ok, true);
  await assert.rejects(
    () => verify(record, { now: NOW }),
    new TypeError("Cannot verify a record of group.g1.skills without its append time"),
  );
});

Deno.test("a sender's ids on a state topic expire by that topic's append times alone", async () => {
  // Catching up, another topic's later append time must not make the copy look new.
  const replay = new MemoryReplayStore();
  const skill = await stateRecord();
  const announce = await signedAnnounce();
  const catchUp = { now: NOW + 3_600_000, replay };
  assert.equal((await verify(skill, { ...catchUp, appendTime: NOW })).ok, true);
  assert.equal((await verify(announce, { ...catchUp, appendTime: NOW + 1_800_000 })).ok, true);
  const copy = await verify(skill, { ...catchUp, appendTime: NOW + 60_000 });
  assert.ok(!copy.ok && copy.error.code === "replay");
});

async function signedAnnounce(): Promise<RecordInput> {
  const identity = JSON.parse(
    new TextDecoder().decode(goldenBytes("valid/announce_join.json")),
  ).payload.identity;
  const value = json({
    type: "announce",
    correlation_id: "join-1",
    sender_id: "alice",
    timestamp: "2026-01-15T10:30:00Z",
    payload: { action: "join", identity },
  });
  return await signedByAlice({ topic: "group.g1.announce", key: "agent:alice", value });
}

Deno.test("a certificate for another agent does not cover a record", async () => {
  const bob = await generateKeyPair();
  const bobCert = await issueCertificate({
    agent_id: "bob",
    public_key: await exportPublicKey(bob.publicKey),
    zones: [],
    vouched: false,
    issuer: false,
    not_after: "2027-01-01T00:00:00Z",
    issuer_id: "owner",
  }, owner.privateKey);
  const record = await signedRecord();
  const result = await verify({
    ...record,
    headers: { ...record.headers, "kc-cert": bobCert.cert, "kc-cert-sig": bobCert.cert_sig },
  });
  assert.ok(!result.ok);
  assert.equal(result.error.code, "sender_mismatch");
});

Deno.test("a certificate failure is worded for the record", async () => {
  const record = await signedRecord();
  const result = await verify(record, { revoked: new Set(["alice"]) });
  assert.ok(!result.ok);
  assert.equal(
    result.error.message,
    'Cannot verify record from group.g1.requests@2:40: the certificate of "alice" is revoked',
  );
});

Deno.test("the owner signs with the pinned key and has no certificate", async () => {
  const value = json({ ...request(), sender_id: "owner" });
  const record = { topic: "group.g1.requests", key: "t-9", value };
  const headers = await signRecord(record, { keyId: "owner", privateKey: owner.privateKey });
  const result = await verify({ ...record, headers });
  assert.ok(result.ok);
  assert.equal(result.verified.signer, "owner");
  assert.equal(result.verified.certificate, undefined);
  const forged = await signRecord(record, { keyId: "owner", privateKey: alice.privateKey });
  const refused = await verify({ ...record, headers: forged });
  assert.ok(!refused.ok && refused.error.code === "bad_signature");
});

Deno.test("a record without a key is verified over an empty key", async () => {
  const value = json({
    type: "audit",
    correlation_id: "a",
    sender_id: "alice",
    timestamp: "2026-01-15T10:00:00Z",
    payload: { event_type: "poison_record", detail: "x", agent_id: "alice" },
  });
  const topic = "group.g1.observe.audit";
  const headers = await signRecord({ topic, key: "", value }, {
    keyId: "alice",
    privateKey: alice.privateKey,
    certificate: aliceCert,
  }, { attachCertificate: true });
  assert.equal((await verify({ topic, key: null, value, headers })).ok, true);
});

Deno.test("missing or malformed signature headers are refused", async () => {
  const record = await signedRecord();
  const { "kc-sig": _, ...noSig } = record.headers as Record<string, string>;
  const unsigned = await verify({ ...record, headers: noSig });
  assert.ok(!unsigned.ok && unsigned.error.code === "unsigned");
  const { headers: __, ...noHeaders } = record;
  const none = await verify(noHeaders);
  assert.ok(!none.ok && none.error.code === "unsigned");
  const short = await verify({ ...record, headers: { ...record.headers, "kc-sig": "AQID" } });
  assert.ok(!short.ok && short.error.code === "bad_header");
  const mismatch = await verify({ ...record, headers: { ...record.headers, "kc-key-id": "bob" } });
  assert.ok(!mismatch.ok && mismatch.error.code === "sender_mismatch");
});

Deno.test("a signature is read only in its one canonical spelling of 86 characters", async () => {
  const record = await signedRecord();
  const sig = (record.headers as Record<string, string>)["kc-sig"]!;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const codeWith = async (text: string) => {
    const result = await verify({ ...record, headers: { ...record.headers, "kc-sig": text } });
    return result.ok ? "ok" : result.error.code;
  };
  // Every last character: the four whose unused bits are zero spell 64 bytes (one of them these,
  // the others a signature that does not hold); the other sixty spell none.
  const codes = new Map<string, string[]>();
  for (const last of alphabet) {
    const code = await codeWith(sig.slice(0, -1) + last);
    codes.set(code, [...(codes.get(code) ?? []), last]);
  }
  assert.deepEqual(codes.get("ok"), [sig.at(-1)]);
  assert.deepEqual([...codes.get("bad_signature")!, sig.at(-1)].sort(), ["A", "Q", "g", "w"]);
  assert.equal(codes.get("bad_header")!.length, 60);
  // Padding, a character outside base64url, one character more or fewer: not a signature.
  for (const text of [`${sig}==`, `${sig.slice(0, -2)}+${sig.at(-1)}`, `${sig}A`, sig.slice(1)]) {
    assert.equal(await codeWith(text), "bad_header", text);
  }
});
