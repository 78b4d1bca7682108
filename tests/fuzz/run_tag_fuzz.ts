/**
 * Fuzz target: consumer group metadata as other clients write it (the Java client's subscription
 * versions 0 to 3, which librdkafka, franz-go and kafka-python also send), our own tag, and
 * mutations of both. Reading a member's run tag and the topics it subscribes to never throws;
 * what comes out is no tag, or a tag that survives its own encoding unchanged; topics are
 * non-empty names only.
 */
import { Buffer } from "node:buffer";
import { memberRunTag } from "../../core/transport/leftover_members.ts";
import { subscribedTopics } from "../../core/transport/assignor.ts";
import { decodeRunTag, encodeRunTag, leftBehind } from "../../core/transport/run_tag.ts";
import { mutate, pick } from "./config_fuzz.ts";

/** Protocol primitives, big-endian, as the consumer protocol writes them. */
class Writer {
  readonly #parts: Buffer[] = [];
  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return this.#push(b);
  }
  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return this.#push(b);
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s);
    return this.int16(b.length).#push(b);
  }
  bytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).#push(Buffer.from(b));
  }
  done(): Buffer {
    return Buffer.concat(this.#parts);
  }
  #push(b: Buffer): this {
    this.#parts.push(b);
    return this;
  }
}

/** A subscription as the Java client writes it at `version` (0-3). */
export function javaSubscription(
  version: number,
  topics: readonly (string | null)[],
  userData: Uint8Array | null,
): Buffer {
  const w = new Writer().int16(version).int32(topics.length);
  for (const t of topics) w.string(t);
  w.bytes(userData);
  if (version >= 1) w.int32(1).string(topics[0] ?? "t").int32(2).int32(0).int32(1);
  if (version >= 2) w.int32(7);
  if (version >= 3) w.string("rack-a");
  return w.done();
}

const TAG = encodeRunTag({
  run: "0f8e2f5c-7a43-4f59-9a1e-3b2f4a1c9d7e",
  pid: 4242,
  start: "123456",
  place: "AbCdEfGhIjKlMnOpQrStUv",
  home: "wXyZ0123456789_-AbCdEf",
  dir: "sandbox-0123abcd",
});

const USER_DATA: readonly (Uint8Array | null)[] = [
  null,
  new Uint8Array(),
  TAG,
  new TextEncoder().encode('kafclaw-run:{"host":"h","pid":1,"run":"r"}'),
  new TextEncoder().encode("kafclaw-run/2:" + "[".repeat(5000)),
  new TextEncoder().encode('kafclaw-run/2:{"__proto__":{"pid":1},"run":"r","pid":2}'),
  new Uint8Array([0xff, 0xfe, 0xfd]),
  // A sticky assignor's user data (Java's: partitions and generation).
  new Writer().int32(1).string("t").int32(1).int32(0).int32(3).done(),
];

/** `b` with a few bytes changed, cut or added. */
function mutateBytes(rng: () => number, b: Uint8Array): Uint8Array {
  const out = [...b];
  const n = 1 + Math.floor(rng() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rng() * (out.length + 1));
    const op = rng();
    if (op < 0.3) out.splice(at, 1);
    else if (op < 0.6) out.splice(at, 0, Math.floor(rng() * 256));
    else if (op < 0.8 && out.length > 0) out[at % out.length] = Math.floor(rng() * 256);
    else out.length = Math.floor(rng() * out.length);
  }
  return new Uint8Array(out);
}

function userData(rng: () => number): Uint8Array | null {
  const base = pick(rng, USER_DATA);
  if (base === null || rng() < 0.3) return base;
  return rng() < 0.5
    ? mutateBytes(rng, base)
    : new TextEncoder().encode(mutate(rng, new TextDecoder().decode(base)));
}

/** Runs `iterations` metadata shapes; throws on the first broken promise. */
export async function fuzzRunTag(rng: () => number, iterations: number) {
  let tags = 0;
  const me = { host: "h", tag: { run: "me", pid: 1, place: "AbCdEfGhIjKlMnOpQrStUv" } };
  for (let i = 0; i < iterations; i++) {
    const topics = pick(rng, [["t"], [], [null], ["", "t"], ["t", "u", null]]);
    let metadata: Uint8Array = javaSubscription(Math.floor(rng() * 4), topics, userData(rng));
    if (rng() < 0.3) metadata = mutateBytes(rng, metadata);
    const buffer = Buffer.from(metadata);
    const tag = memberRunTag(buffer);
    if (tag !== undefined) {
      tags++;
      const again = decodeRunTag(encodeRunTag(tag));
      if (JSON.stringify(again) !== JSON.stringify(tag)) {
        throw new Error(`a tag did not survive its encoding: ${JSON.stringify(tag)}`);
      }
      // Deciding on it throws nothing either.
      await leftBehind(tag, me, {
        processStart: () => null,
        folderAlive: () => Promise.resolve(true),
      });
    }
    const subscribed = subscribedTopics(buffer);
    if (subscribed.some((t) => typeof t !== "string" || t.length === 0)) {
      throw new Error(`topics that are no names: ${JSON.stringify(subscribed)}`);
    }
  }
  return { iterations, tags };
}
