/**
 * What a certificate check may remember. Reading a certificate (base64url, the JSON guard, the
 * schema), its issuer's signature over it, its id and its imported key depend on its bytes alone
 * (and on the issuer's key), so they are worked out once per certificate. Whether it has expired
 * and whether it is revoked depend on the clock and on the roster: those are checked on every
 * use, so a revocation takes effect on the next record.
 *
 * Both memos are bounded; what falls out is worked out again when it comes back.
 *
 * @module
 */
import { sha256Hex } from "./bytes.ts";
import { importPublicKey, verifyBytes } from "./signing.ts";

/** How many certificates are remembered (per memo), far more than a group has members. */
export const CERT_MEMO_SIZE = 1024;

/** A map that forgets its oldest entry once it holds `limit`. */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.#limit) {
      this.#map.delete(this.#map.keys().next().value as K);
    }
    this.#map.set(key, value);
  }
}

/** A certificate as read from its bundle, with what is worked out from its bytes once. */
export interface ReadCertificate<C> {
  readonly certificate: C;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
  /** `not_after`, in ms since the epoch. */
  readonly notAfter: number;
  /** The SHA-256 (hex) of the bytes, once asked for. */
  id?: Promise<string>;
  /** The certificate's public key, once imported. */
  key?: Promise<CryptoKey>;
}

/** The bundle's identity in the memos: its exact text. */
export function bundleKey(bundle: { readonly cert: string; readonly cert_sig: string }): string {
  return `${bundle.cert}.${bundle.cert_sig}`;
}

/** The certificate's id, worked out once. */
export function certificateId<C>(read: ReadCertificate<C>): Promise<string> {
  return read.id ??= sha256Hex(read.bytes);
}

/** The certificate's key, imported once. */
export function certificateKey<C>(read: ReadCertificate<C>, publicKey: string): Promise<CryptoKey> {
  const key = read.key ??= importPublicKey(publicKey);
  // A key that does not import is tried again next time, not remembered as a failure.
  key.catch(() => {
    if (read.key === key) delete read.key;
  });
  return key;
}

/** Issuer signatures found valid, per issuer key (by identity) and bundle. */
const verified = new WeakMap<CryptoKey, BoundedMap<string, true>>();

/**
 * Whether the issuer's signature over `signed` holds, remembered per issuer key and bundle when
 * it does (a forgery is checked again each time: it is no cheaper to remember).
 */
export async function issuerSignatureHolds(
  issuerKey: CryptoKey,
  key: string,
  signature: Uint8Array,
  signed: () => Uint8Array,
): Promise<boolean> {
  let known = verified.get(issuerKey);
  if (known?.get(key)) return true;
  if (!(await verifyBytes(issuerKey, signature, signed()))) return false;
  if (known === undefined) verified.set(issuerKey, known = new BoundedMap(CERT_MEMO_SIZE));
  known.set(key, true);
  return true;
}
