/**
 * Signature checks started ahead for a fetched batch (`verifyAhead`), then each record verified
 * alone: the same verdicts as without them, a forgery or a revocation in the middle of a batch
 * included.
 */
import assert from "node:assert/strict";
import {
  AHEAD_LANES,
  type CertificateBundle,
  generateKeyPair,
  HEADERS,
  importPublicKey,
  MemoryReplayStore,
  parseRecord,
  type RecordInput,
  signRecord,
  verifyAhead,
  type VerifyOptions,
  verifyRecord,
} from "../../../../core/protocol/mod.ts";
import { memberCertificate } from "../../../_support/certificates.ts";
import { audit, json, NOW, request, signedVectors } from "./_helpers.ts";

const owner = await generateKeyPair();
const alice = await generateKeyPair();

function certificateFor(key: CryptoKey): Promise<CertificateBundle> {
  return memberCertificate(owner.privateKey, "alice", key, "2027-01-01T00:00:00Z");
}

const aliceCert = await certificateFor(alice.publicKey);

/** Records alice signed, keys t-0 … t-(n-1), as a consumer receives them (headers as bytes). */
async function batch(n = 10): Promise<RecordInput[]> {
  const encoder = new TextEncoder();
  return await Promise.all(Array.from({ length: n }, async (_, i) => {
    const key = `t-${i}`;
    const record = { topic: "group.g1.requests", key, value: value(key) };
    const headers = await signRecord(record, { keyId: "alice", privateKey: alice.privateKey });
    return {
      ...record,
      value: encoder.encode(record.value),
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, encoder.encode(v)])),
      partition: 0,
      offset: i,
    };
  }));
}

/** A request of task `key` from `sender`. */
function value(key: string, sender = "alice"): string {
  return json({ ...request({ task_id: key }), correlation_id: key, sender_id: sender });
}

function trust(changes: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    ownerKey: owner.publicKey,
    now: NOW,
    lookupCertificate: (id) => id === "alice" ? aliceCert : undefined,
    ...changes,
  };
}

/** Verifies each record in order, as a subscription delivers them; the codes, "ok" for a pass. */
async function verdicts(
  records: readonly RecordInput[],
  options: (i: number) => VerifyOptions = () => trust(),
): Promise<string[]> {
  const replay = new MemoryReplayStore();
  const out: string[] = [];
  for (const [i, record] of records.entries()) {
    const parsed = parseRecord(record);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
    const result = await verifyRecord(record, parsed.envelope, { ...options(i), replay });
    out.push(result.ok ? "ok" : result.error.code);
  }
  return out;
}

Deno.test("a batch checked ahead verifies as it does record by record", async () => {
  const records = await batch();
  await verifyAhead(records, trust());
  assert.deepEqual(await verdicts(records), Array(10).fill("ok"));
  // Each check is taken once: the same records again are verified afresh (and still hold).
  assert.deepEqual(await verdicts(records), Array(10).fill("ok"));
});

Deno.test("a forged record in the middle of a batch checked ahead is the only one dropped", async () => {
  const records = await batch();
  const forged = {
    ...records[4]!,
    value: new TextEncoder().encode(value("t-4", "alice") + " "),
  };
  records[4] = forged;
  await verifyAhead(records, trust());
  const expected = Array(10).fill("ok");
  expected[4] = "bad_signature";
  assert.deepEqual(await verdicts(records), expected);
});

Deno.test("a batch larger than the checks that run at once is checked whole", async () => {
  const n = AHEAD_LANES + 6;
  const records = await batch(n);
  const forged = new TextEncoder().encode(value(`t-${n - 2}`) + " ");
  records[n - 2] = { ...records[n - 2]!, value: forged };
  await verifyAhead(records, trust());
  const result = await verdicts(records);
  assert.equal(result.filter((v) => v === "ok").length, n - 1);
  assert.equal(result[n - 2], "bad_signature");
});

Deno.test("a revocation in the middle of a batch checked ahead takes effect at once", async () => {
  const records = await batch();
  await verifyAhead(records, trust());
  const revoked = new Set<string>();
  const result = await verdicts(records, (i) => {
    if (i === 6) revoked.add("alice");
    return trust({ revoked });
  });
  assert.deepEqual(result, [...Array(6).fill("ok"), ...Array(4).fill("certificate_revoked")]);
});

Deno.test("a certificate replaced after the checks started is the one a record is judged by", async () => {
  const records = await batch();
  await verifyAhead(records, trust());
  const other = await generateKeyPair();
  const replaced = await certificateFor(other.publicKey);
  const result = await verdicts(
    records,
    (i) => i < 3 ? trust() : trust({ lookupCertificate: () => replaced }),
  );
  assert.deepEqual(result, [...Array(3).fill("ok"), ...Array(7).fill("bad_signature")]);
});

Deno.test("records that cannot be checked ahead are left to their verification", async () => {
  const [good, unsigned, badHeader, unknown] = await batch();
  const { [HEADERS.signature]: _, ...noSignature } = unsigned!.headers!;
  const records = [
    good!,
    { ...unsigned!, headers: noSignature },
    { ...badHeader!, headers: { ...badHeader!.headers, [HEADERS.signature]: "bm90IDY0IGJ5dGVz" } },
    unknown!,
  ];
  await verifyAhead(
    records,
    trust({ lookupCertificate: (id) => id === "x" ? aliceCert : undefined }),
  );
  assert.deepEqual(await verdicts(records), ["ok", "unsigned", "bad_header", "ok"]);
});

Deno.test("a signature spelled other than canonically is refused, checked ahead or not", async () => {
  const [record] = await batch();
  const text = new TextDecoder().decode(record!.headers![HEADERS.signature] as Uint8Array);
  // The last character carries two unused bits; setting one spells the same bytes differently.
  const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const respelled = text.slice(0, -1) + last[last.indexOf(text.at(-1)!) ^ 1];
  const copy = { ...record!, headers: { ...record!.headers, [HEADERS.signature]: respelled } };
  await verifyAhead([copy], trust());
  assert.deepEqual(await verdicts([copy]), ["bad_header"]);
});

Deno.test("an owner key that cannot verify fails the verification, as without a check ahead", async () => {
  const record = { topic: "group.g1.requests", key: "t-1", value: value("t-1", "owner") };
  const headers = await signRecord(record, { keyId: "owner", privateKey: owner.privateKey });
  const signed = { ...record, headers };
  // The private key where the public one belongs: WebCrypto refuses it, and so does verifyRecord.
  const wrong = trust({ ownerKey: owner.privateKey });
  await verifyAhead([signed], wrong);
  const parsed = parseRecord(signed);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
  await assert.rejects(
    () => verifyRecord(signed, parsed.envelope, wrong),
    /Cannot verify: the key is not an Ed25519 key that may verify/,
  );
});

Deno.test("a record without a key is checked ahead over an empty key", async () => {
  const topic = "group.g1.observe.audit";
  const value = json(audit());
  const headers = await signRecord({ topic, key: "", value }, {
    keyId: "alice",
    privateKey: alice.privateKey,
  });
  const keyless = { topic, key: null, value, headers };
  await verifyAhead([keyless], trust());
  assert.deepEqual(await verdicts([keyless]), ["ok"]);
});

Deno.test("the Python vectors verify as they do without checks ahead (WebCrypto agrees with node:crypto)", async () => {
  const { keys, vectors } = signedVectors();
  const pythonOwner = await importPublicKey(keys.owner!.public_key);
  for (const vector of vectors) {
    const record = {
      topic: vector.topic,
      key: vector.key,
      value: vector.value,
      headers: vector.headers,
    };
    const certificates = vector.certificates ?? {};
    const options = {
      ownerKey: pythonOwner,
      now: vector.now,
      lookupCertificate: (id: string) => certificates[id],
      revoked: new Set(vector.revoked ?? []),
      ...(vector.append_time === undefined ? {} : { appendTime: vector.append_time }),
    };
    await verifyAhead([record], options);
    const parsed = parseRecord(record);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
    const result = await verifyRecord(record, parsed.envelope, options);
    const outcome = result.ok ? "ok" : result.error.code;
    assert.equal(outcome, vector.expect.ok ? "ok" : vector.expect.code, vector.name);
  }
});
