/**
 * Reads a consumer group member's subscription (the consumer protocol's `MemberMetadata`: version,
 * topics, user data, and from version 1 on fields read by nobody here). Every member's client
 * writes its own, so this is untrusted input: the one reader of it in this codebase, used by the
 * assignor (assignor.ts) and the run tag (leftover_members.ts).
 *
 * kafkajs's own decoder (`AssignerProtocol.MemberMetadata.decode`) must not see it: it believes
 * every length, so 8 bytes claiming two billion topics whose names have length -2 keep it on one
 * spot for two billion rounds while it fills an array of that size (a hang, then out of memory).
 * Here every count and length is checked against the bytes left before anything is read, and
 * whatever does not add up is no subscription.
 *
 * @module
 */

/** What a member subscribes to, and the user data its assignor sent. */
export interface Subscription {
  readonly version: number;
  /** Topic names; a null or empty name is dropped (it names no topic). */
  readonly topics: string[];
  readonly userData: Uint8Array | null;
}

/**
 * The subscription in `bytes`; undefined when they do not hold one.
 *
 * @example
 * ```ts
 * import { readSubscription } from "./member_metadata.ts";
 * // version 0, one topic "t", no user data
 * const bytes = new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);
 * readSubscription(bytes); // { version: 0, topics: ["t"], userData: null }
 * ```
 */
export function readSubscription(
  bytes: Uint8Array | null | undefined,
): Subscription | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const left = () => bytes.length - at;
  if (left() < 2 + 4) return undefined;
  const version = view.getInt16(at);
  at += 2;
  const count = view.getInt32(at);
  at += 4;
  // Each topic takes 2 bytes at least; -1 is the protocol's null array.
  if (count < -1 || count * 2 > left()) return undefined;
  const topics: string[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < count; i++) {
    if (left() < 2) return undefined;
    const length = view.getInt16(at);
    at += 2;
    if (length === -1) continue;
    if (length < 0 || length > left()) return undefined;
    let name: string;
    try {
      name = decoder.decode(bytes.subarray(at, at + length));
    } catch {
      return undefined;
    }
    at += length;
    if (name.length > 0) topics.push(name);
  }
  // A client that sends no user data at all still subscribes.
  if (left() === 0) return { version, topics, userData: null };
  if (left() < 4) return undefined;
  const size = view.getInt32(at);
  at += 4;
  if (size < -1 || size > left()) return undefined;
  // A copy, as a plain Uint8Array (a Buffer's slice would be a view).
  const userData = size === -1 ? null : new Uint8Array(bytes.subarray(at, at + size));
  return { version, topics, userData };
}
