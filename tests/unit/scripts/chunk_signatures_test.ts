/**
 * The bench's proposal of one signature per chunk of records (scripts/bench/_chunk_signatures.ts):
 * what it measures must be a check that refuses what a record signature refuses.
 */
import assert from "node:assert/strict";
import {
  CHUNK_HEADERS,
  CHUNK_RECORDS,
  ChunkVerifier,
  signChunks,
} from "../../../scripts/bench/_chunk_signatures.ts";
import { generateKeyPair, recordBytes, replayId } from "../../../core/protocol/mod.ts";

const TOPIC = "group.g1.requests";

async function signedSend(n: number) {
  const keys = await generateKeyPair();
  const records = Array.from({ length: n }, (_, i) => ({
    topic: TOPIC,
    key: `t-${i}`,
    value: JSON.stringify({ n: i }),
  }));
  const headers = signChunks(records, { keyId: "alice", privateKey: keys.privateKey });
  const sent = records.map((r, i) => ({ ...r, headers: headers[i]! }));
  return { keys, sent };
}

Deno.test("every record of a send checks alone, with its replay id, a signature per chunk", async () => {
  const { keys, sent } = await signedSend(CHUNK_RECORDS * 2 + 3);
  assert.equal(new Set(sent.map((r) => r.headers[CHUNK_HEADERS.signature])).size, 3);
  const verifier = new ChunkVerifier(keys.publicKey);
  for (const record of [...sent].reverse()) {
    assert.equal(verifier.check(record), await replayId(recordBytes(record)));
  }
});

Deno.test("a changed record, a moved place, a hash list from another chunk or another key are refused", async () => {
  const { keys, sent } = await signedSend(CHUNK_RECORDS * 2);
  const verifier = new ChunkVerifier(keys.publicKey);
  const [first, second] = [sent[0]!, sent[1]!];
  assert.ok(verifier.check(first) !== undefined);
  assert.equal(verifier.check({ ...first, value: JSON.stringify({ n: 99 }) }), undefined);
  assert.equal(verifier.check({ ...first, key: "t-1" }), undefined);
  assert.equal(
    verifier.check({ ...first, headers: { ...first.headers, [CHUNK_HEADERS.place]: "1" } }),
    undefined,
  );
  // The second chunk's signature over the first chunk's hashes.
  const other = sent[CHUNK_RECORDS]!;
  assert.equal(
    verifier.check({
      ...second,
      headers: {
        ...second.headers,
        [CHUNK_HEADERS.signature]: other.headers[CHUNK_HEADERS.signature]!,
      },
    }),
    undefined,
  );
  const stranger = new ChunkVerifier((await generateKeyPair()).publicKey);
  assert.equal(stranger.check(first), undefined);
});
