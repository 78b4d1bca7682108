/** Shared fixtures of the protocol tests: golden files, sample envelopes, keys. */

import { decodeBase64Url } from "../../../../core/protocol/mod.ts";

/** The folder of the protocol's golden records. */
export const GOLDEN = new URL("../../../golden/protocol/", import.meta.url);

/** One case of `index.json`. */
export interface GoldenCase {
  readonly file: string;
  readonly description: string;
  readonly topic: string;
  readonly key?: string | null;
  readonly key_base64?: string;
  readonly max_bytes?: number;
  readonly expect:
    | { readonly ok: true; readonly payload?: unknown; readonly fields?: Record<string, unknown> }
    | {
      readonly ok: false;
      readonly code: string;
      readonly path: unknown[];
      readonly message: string;
    };
}

/** Every case of the golden index. */
export function goldenCases(): GoldenCase[] {
  return JSON.parse(Deno.readTextFileSync(new URL("index.json", GOLDEN))).cases;
}

/** The bytes of a golden file. */
export function goldenBytes(file: string): Uint8Array {
  return Deno.readFileSync(new URL(file, GOLDEN));
}

/** The record key of a golden case, as a consumer would receive it. */
export function goldenKey(c: GoldenCase): string | Uint8Array | null {
  return c.key_base64 === undefined
    ? c.key as string | null
    : decodeBase64Url(c.key_base64) as Uint8Array;
}

/** A golden value file parsed as plain JSON, to be changed by a test. */
export function goldenJson(
  file: string,
): Record<string, unknown> & { payload: Record<string, unknown> } {
  return JSON.parse(new TextDecoder().decode(goldenBytes(file)));
}

/** The broker clock of the signed vectors: 2026-01-15T10:00:00Z. */
export const NOW = Date.UTC(2026, 0, 15, 10);

/** A valid audit envelope, with fields replaced as given. */
export function audit(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "audit",
    correlation_id: "a-1",
    sender_id: "alice",
    timestamp: "2026-01-15T10:00:00Z",
    payload: { event_type: "poison_record", detail: "x", agent_id: "alice" },
    ...changes,
  };
}

/** A valid request envelope from alice for task `t-9`, with payload fields replaced as given. */
export function request(payload: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "request",
    correlation_id: "t-9",
    sender_id: "alice",
    timestamp: "2026-01-15T10:00:00Z",
    payload: { task_id: "t-9", description: "d", content: "c", requester_id: "alice", ...payload },
  };
}

/** JSON text of a value. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** One signed vector of `signed/vectors.json`. */
export interface SignedVector {
  readonly name: string;
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly now: number;
  readonly append_time?: number;
  readonly certificates?: Record<string, { cert: string; cert_sig: string }>;
  readonly revoked?: string[];
  readonly expect: { ok: boolean; code?: string; signer?: string; vouched?: boolean };
}

/** One record of `signed/vectors.json` delivered several times to one receiver. */
export interface ReplayVector extends Omit<SignedVector, "now" | "append_time" | "expect"> {
  readonly deliveries: readonly {
    readonly now: number;
    readonly append_time?: number;
    readonly expect: { ok: boolean; code?: string };
  }[];
}

/** The signed vectors made by make_vectors.py, and the keys they use. */
export function signedVectors(): {
  keys: Record<string, { seed_hex: string; public_key: string }>;
  vectors: SignedVector[];
  replays: ReplayVector[];
} {
  return JSON.parse(Deno.readTextFileSync(new URL("signed/vectors.json", GOLDEN)));
}

/** Bytes from hex. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) as string[], (byte) => parseInt(byte, 16));
}
