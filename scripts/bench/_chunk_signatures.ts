/**
 * A proposal measured, not the protocol: one Ed25519 signature for each run of up to eight
 * records of one send (a chunk), instead of one per record.
 *
 * The sender hashes each record's signed bytes (`recordBytes`, the bytes a record signature covers
 * today) with SHA-256 and signs `"kafclaw/1 chunk\n"` followed by the chunk's hashes in order. Each
 * record carries the signature, the chunk's hashes (each in base64url, 43 characters, one after the
 * other) and its own place among them, so it can still be
 * checked alone, whatever else a reader has seen: after compaction, from any offset, in any
 * partition. The receiver hashes the record (the hash is its replay id already), finds that hash at
 * the record's place, and checks the chunk's signature once: the verdict is kept by signature and
 * hashes, which are all it depends on. A record changed in transit no longer matches its hash; a
 * hash moved to another chunk no longer matches that chunk's signature.
 *
 * The cost moves from a signature and a check per record to one SHA-256 per record on each side and
 * a signature and a check per chunk, for some 380 bytes more of headers per record. It would be a
 * change to PROTOCOL.md (new headers, a new signed form, the foreign agents taught to check it),
 * which is why it lives in a bench: `kafka_transport_bench.ts` measures it beside the signature per
 * record.
 */
import { createHash, KeyObject, sign, verify } from "node:crypto";
import {
  decodeBase64Url,
  encodeBase64Url,
  HEADERS,
  recordBytes,
  type RecordInput,
  type RecordToSign,
  type Signer,
} from "../../core/protocol/mod.ts";

/** The headers of a chunk-signed record, beside `kc-key-id`. */
export const CHUNK_HEADERS = {
  signature: "kc-chunk-sig",
  hashes: "kc-chunk",
  place: "kc-chunk-place",
} as const;

/** Records per chunk. */
export const CHUNK_RECORDS = 8;

const DOMAIN = new TextEncoder().encode("kafclaw/1 chunk\n");
const HASH_BYTES = 32;
const VERDICTS_KEPT = 4096;

function sha256(bytes: Uint8Array) {
  return createHash("sha256").update(bytes).digest();
}

function chunkBytes(hashes: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + hashes.length);
  out.set(DOMAIN);
  out.set(hashes, DOMAIN.length);
  return out;
}

/** Signs a send's records, a chunk at a time, and returns their headers in order. */
export function signChunks(
  records: readonly RecordToSign[],
  signer: Signer,
): Record<string, string>[] {
  const key = KeyObject.from(signer.privateKey);
  const headers: Record<string, string>[] = [];
  for (let start = 0; start < records.length; start += CHUNK_RECORDS) {
    const chunk = records.slice(start, start + CHUNK_RECORDS);
    const hashes = new Uint8Array(chunk.length * HASH_BYTES);
    chunk.forEach((record, i) => hashes.set(sha256(recordBytes(record)), i * HASH_BYTES));
    const signature = encodeBase64Url(new Uint8Array(sign(null, chunkBytes(hashes), key)));
    const hashesText = hashesAsText(hashes);
    chunk.forEach((_, place) =>
      headers.push({
        [HEADERS.keyId]: signer.keyId,
        [CHUNK_HEADERS.signature]: signature,
        [CHUNK_HEADERS.hashes]: hashesText,
        [CHUNK_HEADERS.place]: String(place),
      })
    );
  }
  return headers;
}

/** Checks chunk-signed records of one signer, each chunk's signature once. */
export class ChunkVerifier {
  readonly #key: KeyObject;
  readonly #verdicts = new Map<string, boolean>();

  constructor(publicKey: CryptoKey) {
    this.#key = KeyObject.from(publicKey);
  }

  /** The record's replay id (its hash, hex) when it is in a chunk whose signature holds. */
  check(record: RecordInput): string | undefined {
    const signature = header(record, CHUNK_HEADERS.signature);
    const hashesText = header(record, CHUNK_HEADERS.hashes);
    const place = Number(header(record, CHUNK_HEADERS.place));
    if (!Number.isInteger(place) || place < 0) return undefined;
    const own = sha256(recordBytes({ ...record, key: record.key ?? "" }));
    const at = place * HASH_TEXT;
    if (hashesText.slice(at, at + HASH_TEXT) !== encodeBase64Url(own)) return undefined;
    const memo = `${signature}.${hashesText}`;
    let holds = this.#verdicts.get(memo);
    if (holds === undefined) {
      const hashes = hashesFromText(hashesText);
      const bytes = decodeBase64Url(signature);
      holds = hashes !== undefined && bytes?.length === 64 &&
        verify(null, chunkBytes(hashes), this.#key, bytes);
      if (this.#verdicts.size >= VERDICTS_KEPT) this.#verdicts.clear();
      this.#verdicts.set(memo, holds);
    }
    return holds ? own.toString("hex") : undefined;
  }
}

function header(record: RecordInput, name: string): string {
  const value = record.headers?.[name];
  return value instanceof Uint8Array ? UTF8.decode(value) : value ?? "";
}

const UTF8 = new TextDecoder();
const HASH_TEXT = 43;

function hashesAsText(hashes: Uint8Array): string {
  let text = "";
  for (let at = 0; at < hashes.length; at += HASH_BYTES) {
    text += encodeBase64Url(hashes.subarray(at, at + HASH_BYTES));
  }
  return text;
}

function hashesFromText(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % HASH_TEXT !== 0) return undefined;
  const hashes = new Uint8Array(text.length / HASH_TEXT * HASH_BYTES);
  for (let i = 0; i * HASH_TEXT < text.length; i++) {
    const one = decodeBase64Url(text.slice(i * HASH_TEXT, (i + 1) * HASH_TEXT));
    if (one?.length !== HASH_BYTES) return undefined;
    hashes.set(one, i * HASH_BYTES);
  }
  return hashes;
}
