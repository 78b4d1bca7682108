/**
 * Ed25519 keys and record signatures (PROTOCOL.md, Records, Headers). A signature covers the bytes
 * `"kafclaw/1\n" + topic + "\n" + key + "\n" + value`, the value exactly as sent, so no language
 * has to re-serialise JSON the same way.
 *
 * @module
 */

import { KeyObject, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { concatBytes, decodeBase64Url, encodeBase64Url } from "./bytes.ts";
import { quote } from "./errors.ts";
import type { CertificateBundle } from "./payloads_group.ts";

/** The header names of signed mode. */
export const HEADERS = {
  /** The signer's agent id (or `owner`). */
  keyId: "kc-key-id",
  /** base64url of the Ed25519 signature over {@link signedBytes}. */
  signature: "kc-sig",
  /** base64url of the signer's certificate JSON. */
  cert: "kc-cert",
  /** base64url of the issuer's signature over `"kafclaw-cert/1\n"` + the certificate bytes. */
  certSig: "kc-cert-sig",
} as const;

/** What every record signature starts with. */
export const RECORD_DOMAIN = "kafclaw/1\n";

const ED25519 = { name: "Ed25519" } as const;

// PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410): the seed follows these 16 bytes.
const PKCS8_PREFIX = new Uint8Array([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

/** Makes a new key pair; both keys can be exported, to be stored. */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]) as CryptoKeyPair;
}

/** A public key as the protocol writes it: base64url of its raw 32 bytes. */
export async function exportPublicKey(key: CryptoKey): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.exportKey("raw", key)));
}

/** Reads a public key written by {@link exportPublicKey}. Throws a TypeError for anything else. */
export async function importPublicKey(text: string): Promise<CryptoKey> {
  const raw = decodeBase64Url(text);
  if (raw?.length !== 32) {
    throw new TypeError(
      `Cannot import public key: ${quote(text)} is not 32 bytes of base64url`,
    );
  }
  return await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, ED25519, true, [
    "verify",
  ]);
}

/** A private key as PKCS #8 bytes, to be stored (0600). */
export async function exportPrivateKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
}

/**
 * Reads a key pair from a PKCS #8 private key; the public key is derived from it. The private key
 * of the pair cannot be exported again. Throws a TypeError when the bytes are not an Ed25519 key.
 */
export async function importKeyPair(pkcs8: Uint8Array): Promise<CryptoKeyPair> {
  let probe: CryptoKey;
  try {
    probe = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8 as Uint8Array<ArrayBuffer>,
      ED25519,
      true,
      ["sign"],
    );
  } catch {
    throw new TypeError("Cannot import key pair: the bytes are not an Ed25519 PKCS #8 private key");
  }
  const { x } = await crypto.subtle.exportKey("jwk", probe);
  const publicKey = await importPublicKey(x as string);
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    pkcs8 as Uint8Array<ArrayBuffer>,
    ED25519,
    false,
    ["sign"],
  );
  return { publicKey, privateKey };
}

/** The key pair of a 32-byte RFC 8032 seed (fixed test keys, keys shared with other languages). */
export async function keyPairFromSeed(seed: Uint8Array): Promise<CryptoKeyPair> {
  if (seed.length !== 32) {
    throw new TypeError(`Cannot make key pair: the seed has ${seed.length} bytes, not 32`);
  }
  return await importKeyPair(concatBytes(PKCS8_PREFIX, seed));
}

/** The record to sign: what will be sent, exactly. */
export interface RecordToSign {
  readonly topic: string;
  readonly key: string;
  readonly value: Uint8Array | string;
}

/**
 * The bytes a record signature covers: `"kafclaw/1\n" + topic + "\n" + key + "\n" + value`.
 * Throws a TypeError when the topic or key has a newline (such a record is poison, and the bytes
 * would be ambiguous).
 */
export function signedBytes(record: RecordToSign): Uint8Array {
  const { topic, key } = record;
  if (topic.includes("\n") || key.includes("\n")) {
    throw new TypeError(
      `Cannot sign: the topic ${quote(topic)} or the key ${quote(key)} has a newline`,
    );
  }
  return recordBytes(record);
}

/** {@link signedBytes} without the newline check, for records already parsed; the key may be bytes. */
export function recordBytes(
  record: {
    readonly topic: string;
    readonly key: string | Uint8Array;
    readonly value: Uint8Array | string;
  },
): Uint8Array {
  const { topic, key, value } = record;
  const prefix = topicPrefix(topic);
  // One array with room for the parts (a string's UTF-8 is at most 3 bytes per UTF-16 unit),
  // written in place and cut to what was written: no intermediate copies of the parts (a record's
  // value is most of its bytes), and no node Buffer, which costs more to make.
  const room = (part: string | Uint8Array) =>
    typeof part === "string" ? part.length * 3 : part.length;
  const out = new Uint8Array(prefix.length + room(key) + 1 + room(value));
  out.set(prefix);
  let at = prefix.length;
  const put = (part: string | Uint8Array) => {
    if (typeof part === "string") {
      at += UTF8.encodeInto(part, out.subarray(at)).written;
    } else {
      out.set(part, at);
      at += part.length;
    }
  };
  put(key);
  out[at++] = NEWLINE;
  put(value);
  return out.subarray(0, at);
}

const UTF8 = new TextEncoder();
const NEWLINE = 0x0a;

/** `"kafclaw/1\n" + topic + "\n"` as bytes, made once per topic (an agent reads a few). */
const prefixes = new Map<string, Uint8Array>();
const PREFIXES_KEPT = 256;

function topicPrefix(topic: string): Uint8Array {
  let prefix = prefixes.get(topic);
  if (prefix === undefined) {
    if (prefixes.size >= PREFIXES_KEPT) prefixes.clear();
    prefix = UTF8.encode(`${RECORD_DOMAIN}${topic}\n`);
    prefixes.set(topic, prefix);
  }
  return prefix;
}

/**
 * The node:crypto form of a WebCrypto key, made once per key. Signing and verifying with it runs
 * at once on the calling thread: WebCrypto's Ed25519 sends every call to a worker thread and back,
 * which costs more than the signature itself (a sign takes a fifth of the time, a verify about a
 * third, measured one after the other on a busy machine).
 */
const NODE_KEYS = new WeakMap<CryptoKey, KeyObject>();

function nodeKey(key: CryptoKey, usage: "sign" | "verify"): KeyObject {
  if (key.algorithm.name !== ED25519.name || !key.usages.includes(usage)) {
    throw new TypeError(`Cannot ${usage}: the key is not an Ed25519 key that may ${usage}`);
  }
  let found = NODE_KEYS.get(key);
  if (found === undefined) NODE_KEYS.set(key, found = KeyObject.from(key));
  return found;
}

/** Signs bytes with an Ed25519 private key. Throws a TypeError for a key that cannot sign. */
// deno-lint-ignore require-await
export async function signBytes(privateKey: CryptoKey, bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(nodeSign(null, bytes, nodeKey(privateKey, "sign")));
}

/**
 * Whether `signature` is a valid Ed25519 signature of `bytes` by `publicKey`. Throws a TypeError
 * for a key that cannot verify.
 */
// deno-lint-ignore require-await
export async function verifyBytes(
  publicKey: CryptoKey,
  signature: Uint8Array,
  bytes: Uint8Array,
): Promise<boolean> {
  const key = nodeKey(publicKey, "verify");
  return signature.length === 64 && nodeVerify(null, bytes, key, signature);
}

/** Who signs: an agent (or the owner) with its private key and, for agents, its certificate. */
export interface Signer {
  readonly keyId: string;
  readonly privateKey: CryptoKey;
  readonly certificate?: CertificateBundle;
}

/**
 * Signs a record and returns its headers. With `attachCertificate`, the signer's certificate goes
 * along (an agent's first records after start, or when a receiver may lack it).
 *
 * @example
 * ```ts
 * import { generateKeyPair, signRecord } from "./signing.ts";
 * const { privateKey } = await generateKeyPair();
 * const headers = await signRecord({ topic: "group.g1.requests", key: "t-1", value: "{}" }, {
 *   keyId: "alice",
 *   privateKey,
 * });
 * headers["kc-key-id"]; // "alice"
 * ```
 */
export async function signRecord(
  record: RecordToSign,
  signer: Signer,
  options: { readonly attachCertificate?: boolean } = {},
): Promise<Record<string, string>> {
  const signature = await signBytes(signer.privateKey, signedBytes(record));
  return signedHeaders(signer, signature, options.attachCertificate === true);
}

/** The number of records of one send from which {@link signRecords} signs on worker threads. */
export const SIGN_TOGETHER_FROM = 4;

/**
 * Signs the records of one send together and returns their headers, in order; the first
 * `attachCertificate` of them carry the signer's certificate. From {@link SIGN_TOGETHER_FROM}
 * records on, the signatures are made all at once by WebCrypto, on worker threads, which keeps a
 * stream of large sends going on both cores; fewer (a single record, a task's answer with its two
 * statuses) are signed at once on the calling thread, which after an idle moment takes half the
 * time of the threads' round trip. Throws a TypeError as {@link signRecord} does.
 */
export async function signRecords(
  records: readonly RecordToSign[],
  signer: Signer,
  options: { readonly attachCertificate?: number } = {},
): Promise<Record<string, string>[]> {
  const attach = options.attachCertificate ?? 0;
  if (records.length < SIGN_TOGETHER_FROM) {
    return await Promise.all(
      records.map((record, i) => signRecord(record, signer, { attachCertificate: i < attach })),
    );
  }
  nodeKey(signer.privateKey, "sign");
  const all = records.map(signedBytes);
  const signatures = await Promise.all(all.map(async (bytes) =>
    new Uint8Array(
      await crypto.subtle.sign("Ed25519", signer.privateKey, bytes as Uint8Array<ArrayBuffer>),
    )
  ));
  return signatures.map((signature, i) => signedHeaders(signer, signature, i < attach));
}

function signedHeaders(
  signer: Signer,
  signature: Uint8Array,
  attachCertificate: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.keyId]: signer.keyId,
    [HEADERS.signature]: encodeBase64Url(signature),
  };
  if (attachCertificate) {
    if (signer.certificate === undefined) {
      throw new TypeError(`Cannot attach a certificate: ${quote(signer.keyId)} has none`);
    }
    headers[HEADERS.cert] = signer.certificate.cert;
    headers[HEADERS.certSig] = signer.certificate.cert_sig;
  }
  return headers;
}
