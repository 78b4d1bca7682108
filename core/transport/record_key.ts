/**
 * How a consumer hands on a record's key (PROTOCOL.md, Records): as text when it is UTF-8, and
 * otherwise as its bytes, untouched, so that `parseRecord` sees what was sent and refuses it. A
 * decoding that put replacement characters in its place would turn two different keys into one
 * and let a record with an invalid key pass.
 *
 * @module
 */

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A record key as Kafka delivered it (null for none), as text when it is valid UTF-8 and as a
 * copy of its bytes otherwise.
 *
 * @example
 * ```ts
 * import { decodeRecordKey } from "./record_key.ts";
 * decodeRecordKey(new TextEncoder().encode("t-1")); // "t-1"
 * decodeRecordKey(new Uint8Array([0x74, 0xff])); // Uint8Array [0x74, 0xff]
 * ```
 */
export function decodeRecordKey(key: Uint8Array | null): string | Uint8Array | null {
  if (key === null) return null;
  try {
    return DECODER.decode(key);
  } catch {
    return new Uint8Array(key);
  }
}
