/**
 * What a signed record costs each side, stage by stage, without Kafka
 * (`deno bench -P=test scripts/bench/signing_bench.ts`): 100 request envelopes of the size the
 * Kafka benches send, each figure against `JSON.parse` of the same values, which any reader of
 * them pays anyway.
 *
 * - the receiver: `parseRecord` (the JSON guard and the envelope's schema; and its first parse of
 *   a record, which caches and deep-freezes the result, against one that does neither),
 *   `verifyRecord` with the sender's certificate known (the certificate's checks remembered,
 *   expiry and revocation judged, the signature, the timestamp window and the replay table), and
 *   the Ed25519 check of a signature alone;
 * - the sender: `signRecord`;
 * - WebCrypto's Ed25519 on the same bytes, one call after the other as a handler makes them and
 *   all at once, the measure behind checking and making signatures with node:crypto instead
 *   (core/protocol/signing.ts).
 */
import {
  decodeBase64Url,
  MemoryReplayStore,
  parseRecord,
  recordBytes,
  type RecordInput,
  signRecord,
  signRecords,
  verifyAhead,
  verifyBytes,
  verifyRecord,
} from "../../core/protocol/mod.ts";
import { requestValue } from "./_kafka_pairs.ts";
import { benchSigner } from "./_signer.ts";

const N = 100;
const TOPIC = "group.bench.requests";
const { owner, agent, certificate, signer } = await benchSigner();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const outbound = Array.from({ length: N }, (_, i) => {
  const key = `t-${i}`;
  return { topic: TOPIC, key, value: requestValue(key) };
});
const records = await Promise.all(outbound.map(async (record, offset) => {
  const headers = await signRecord(record, signer);
  return {
    ...record,
    partition: 0,
    offset,
    value: encoder.encode(record.value),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, encoder.encode(v)])),
  } satisfies RecordInput;
}));
const envelopes = records.map((record) => {
  const parsed = parseRecord(record);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.envelope;
});
// WebCrypto takes only bytes over an ArrayBuffer; these are.
const signed = records.map((record) => ({
  bytes: recordBytes(record) as Uint8Array<ArrayBuffer>,
  signature: decodeBase64Url(decoder.decode(record.headers["kc-sig"]))! as Uint8Array<ArrayBuffer>,
}));

const group = "signed record, 100";
Deno.bench("JSON.parse of the values", { group, baseline: true }, () => {
  for (const record of records) JSON.parse(decoder.decode(record.value));
});
Deno.bench("parseRecord", { group }, () => {
  for (const record of records) if (!parseRecord(record).ok) throw new Error("refused");
});
// The first parse of each record object: the one a record's later layers share is cached and
// deep-frozen (core/protocol/record.ts); with an explicit limit it is neither, the same parse.
const first = "parseRecord, first parse of 100";
const MIB = 1024 * 1024;
Deno.bench(
  "parseRecord with a limit: not cached, not frozen",
  { group: first, baseline: true },
  () => {
    for (const record of records) {
      if (!parseRecord({ ...record }, { maxBytes: MIB }).ok) throw new Error("refused");
    }
  },
);
Deno.bench("parseRecord: cached and deep-frozen", { group: first }, () => {
  for (const record of records) if (!parseRecord({ ...record }).ok) throw new Error("refused");
});
Deno.bench("verifyRecord, certificate known", { group }, async () => {
  // A fresh replay table each time: the same records again would be replays.
  const replay = new MemoryReplayStore();
  for (const [i, record] of records.entries()) {
    const verified = await verifyRecord(record, envelopes[i]!, {
      ownerKey: owner.publicKey,
      now: Date.now(),
      lookupCertificate: () => certificate,
      replay,
    });
    if (!verified.ok) throw new Error(verified.error.message);
  }
});
Deno.bench("verifyAhead of the 100, then verifyRecord", { group }, async () => {
  const replay = new MemoryReplayStore();
  const options = () => ({
    ownerKey: owner.publicKey,
    now: Date.now(),
    lookupCertificate: () => certificate,
  });
  await verifyAhead(records, options());
  for (const [i, record] of records.entries()) {
    const verified = await verifyRecord(record, envelopes[i]!, { ...options(), replay });
    if (!verified.ok) throw new Error(verified.error.message);
  }
});
Deno.bench("Ed25519 verify alone", { group }, async () => {
  for (const { bytes, signature } of signed) {
    if (!(await verifyBytes(agent.publicKey, signature, bytes))) throw new Error("bad signature");
  }
});
Deno.bench("WebCrypto verify, one after the other", { group }, async () => {
  for (const { bytes, signature } of signed) {
    await crypto.subtle.verify("Ed25519", agent.publicKey, signature, bytes);
  }
});
Deno.bench("WebCrypto verify, all at once", { group }, async () => {
  await Promise.all(
    signed.map(({ bytes, signature }) =>
      crypto.subtle.verify("Ed25519", agent.publicKey, signature, bytes)
    ),
  );
});
Deno.bench("signRecord", { group }, async () => {
  for (const record of outbound) await signRecord(record, signer);
});
Deno.bench("signRecords of the 100", { group }, async () => {
  await signRecords(outbound, signer);
});
Deno.bench("WebCrypto sign, one after the other", { group }, async () => {
  for (const { bytes } of signed) await crypto.subtle.sign("Ed25519", agent.privateKey, bytes);
});
