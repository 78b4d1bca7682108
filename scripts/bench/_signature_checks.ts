/**
 * Signature checks in chunks for the bench's pool of Web Workers (`_signature_pool.ts`): a chunk
 * packs its signatures, signed bytes and raw public keys into a few buffers, which move to the
 * worker without a copy, and is answered with one verdict byte per signature.
 */
import { createPublicKey, KeyObject, verify } from "node:crypto";

/** One signature to check: `signature` over `signed` by `publicKey`. */
export interface SignatureJob {
  readonly publicKey: CryptoKey;
  readonly signature: Uint8Array;
  readonly signed: Uint8Array;
}

/** A chunk of jobs as it crosses to a worker. */
export interface CheckChunk {
  readonly id: number;
  /** The distinct public keys of the chunk, base64url of their raw 32 bytes. */
  readonly keys: readonly string[];
  /** Per job, the index of its key in `keys`. */
  readonly keyOf: Uint16Array;
  /** Per job, its 64 signature bytes. */
  readonly signatures: Uint8Array;
  /** The jobs' signed bytes, one after the other. */
  readonly signed: Uint8Array;
  /** Per job, where its signed bytes end in `signed`. */
  readonly ends: Uint32Array;
}

/** Verdicts: the signature holds, does not, or could not be checked (a key that does not import). */
export const VERDICT = { fails: 0, holds: 1, unchecked: 2 } as const;

const rawKeys = new WeakMap<CryptoKey, string>();

/** The base64url raw bytes of an Ed25519 public key, exported once per key. */
export function rawPublicKey(key: CryptoKey): string {
  let raw = rawKeys.get(key);
  if (raw === undefined) {
    raw = KeyObject.from(key).export({ format: "jwk" }).x as string;
    rawKeys.set(key, raw);
  }
  return raw;
}

/** Packs jobs into one chunk. */
export function packChunk(id: number, jobs: readonly SignatureJob[]): CheckChunk {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const keyOf = new Uint16Array(jobs.length);
  const signatures = new Uint8Array(jobs.length * 64);
  const ends = new Uint32Array(jobs.length);
  let size = 0;
  for (const [i, job] of jobs.entries()) {
    const key = rawPublicKey(job.publicKey);
    let k = index.get(key);
    if (k === undefined) index.set(key, k = keys.push(key) - 1);
    keyOf[i] = k;
    signatures.set(job.signature, i * 64);
    ends[i] = size += job.signed.length;
  }
  const signed = new Uint8Array(size);
  for (const [i, job] of jobs.entries()) signed.set(job.signed, i === 0 ? 0 : ends[i - 1]);
  return { id, keys, keyOf, signatures, signed, ends };
}

const imported = new Map<string, KeyObject | undefined>();

function importRaw(x: string): KeyObject | undefined {
  if (!imported.has(x)) {
    try {
      imported.set(x, createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }));
    } catch {
      imported.set(x, undefined);
    }
  }
  return imported.get(x);
}

/** Checks a chunk's signatures: one verdict each. */
export function checkChunk(chunk: CheckChunk): Uint8Array {
  const verdicts = new Uint8Array(chunk.ends.length);
  const keys = chunk.keys.map(importRaw);
  let start = 0;
  for (const [i, end] of chunk.ends.entries()) {
    const key = keys[chunk.keyOf[i]!];
    const signature = chunk.signatures.subarray(i * 64, i * 64 + 64);
    const signed = chunk.signed.subarray(start, end);
    verdicts[i] = key === undefined
      ? VERDICT.unchecked
      : verify(null, signed, key, signature)
      ? VERDICT.holds
      : VERDICT.fails;
    start = end;
  }
  return verdicts;
}
