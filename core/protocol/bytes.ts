/**
 * Byte helpers of the protocol: unpadded base64url in its one canonical spelling, UTF-8, SHA-256.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { joinChunks } from "../bytes/mod.ts";

const ENCODER = new TextEncoder();

/** The UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Joins byte arrays (strings as UTF-8) into one. */
export function concatBytes(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  return joinChunks(parts.map((part) => typeof part === "string" ? utf8(part) : part));
}

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5).
 *
 * @example
 * ```ts
 * import { encodeBase64Url } from "./bytes.ts";
 * encodeBase64Url(new Uint8Array([251, 255])); // "-_8"
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * Decodes unpadded base64url, or returns undefined for anything else: padding, other characters,
 * an impossible length, or a spelling that is not the canonical one (non-zero trailing bits), so
 * that one byte string has exactly one text.
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const decoded = Buffer.from(text, "base64url");
  if (decoded.toString("base64url") !== text) return undefined;
  return new Uint8Array(decoded);
}

/**
 * The SHA-256 of bytes, as 64 lower-case hex digits. Computed at once (a replay id is taken of
 * every signed record; WebCrypto's digest costs a round trip through a worker thread each time,
 * some ten times the hash of a record), and returned as a promise, as before.
 */
export function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Promise.resolve(createHash("sha256").update(bytes).digest("hex"));
}
