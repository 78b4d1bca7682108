/**
 * A whole record: topic, key and value (PROTOCOL.md, Records). On top of the envelope's rules,
 * `parseRecord` refuses a topic that is not one of this protocol's names (so none with a newline),
 * a type that does not go on its topic, a key with a newline or invalid UTF-8, a key that does not
 * match the envelope, and a key that names another agent than the sender.
 *
 * @module
 */

import {
  type Envelope,
  type EnvelopeResult,
  type EnvelopeType,
  parseEnvelope,
} from "./envelope.ts";
import { type ParseErrorCode, protocolError, quote, type Result } from "./errors.ts";
import { requiredKey } from "./record_keys.ts";
import { isLegalTopicName, parseTopic, type TopicInfo } from "./topics.ts";

/** A record as a consumer receives it (a transport's inbound record fits). */
export interface RecordInput {
  readonly topic: string;
  readonly key: string | Uint8Array | null;
  readonly value: Uint8Array | string;
  /** Not read by parsing; `verifyRecord` reads them. */
  readonly headers?: Readonly<Record<string, string | Uint8Array>>;
  /** With `offset`, names the record in messages: `topic@partition:offset`. */
  readonly partition?: number;
  readonly offset?: string | number;
}

/** Options of {@link parseRecord}. */
export interface ParseRecordOptions {
  /** The largest value accepted, in bytes. Default 1 MiB. */
  readonly maxBytes?: number;
}

/** A parsed record: its envelope and its key as text. */
export type RecordResult = Result<{ readonly envelope: Envelope; readonly key: string | null }>;

const KEY_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const TASK_STATUS: readonly EnvelopeType[] = ["task_status"];
const RESPONSES: readonly EnvelopeType[] = ["response", "skill_response"];

/** The types that go on each topic (PROTOCOL.md, Topics). An inbox takes targeted work and grants. */
const TYPES_BY_ROLE: Readonly<Record<string, readonly EnvelopeType[]>> = {
  announce: ["announce"],
  roster: ["roster"],
  onboarding: ["onboard"],
  heartbeats: ["heartbeat"],
  requests: ["request"],
  responses: RESPONSES,
  tasksStatus: TASK_STATUS,
  traces: ["trace"],
  audit: ["audit"],
  memoryShared: ["memory"],
  memoryContext: ["memory"],
  orchestrator: ["orchestrator"],
  skills: ["skill"],
  deadLetter: [],
  skillRequests: ["skill_request"],
  inbox: ["request", "skill_request", "task_status"],
  "zone requests": ["request", "skill_request"],
  "zone inbox": ["request", "skill_request", "task_status"],
  "zone responses": RESPONSES,
  "zone tasks.status": TASK_STATUS,
  "zone traces": ["trace"],
  "zone memory": ["memory"],
  "zone dead-letter": [],
};

/** The types that may go on a topic. */
export function typesForTopic(topic: TopicInfo): readonly EnvelopeType[] {
  return TYPES_BY_ROLE[topic.role === "zone" ? `zone ${topic.kind}` : topic.role] as EnvelopeType[];
}

// Keys that name an agent; such a key must name the sender.
const AGENT_KEY = /^(?:agent|node):(.*)$/s;

/**
 * Parses a record and checks that its topic and key fit its envelope. Never throws.
 *
 * @example
 * ```ts
 * import { parseRecord } from "./record.ts";
 * const result = parseRecord({ topic: "group.g1.requests", key: "t-1", value: "{}", partition: 3, offset: 17 });
 * if (!result.ok) console.log(result.error.code); // "missing_field"
 * ```
 */
export function parseRecord(record: RecordInput, options: ParseRecordOptions = {}): RecordResult {
  // A record goes through several layers (a stream's sender check, then its handler, or a status
  // to both the requester and the intake): each parses it, and all but the first get the result
  // of the first. Only with the default limit: another limit may judge the same bytes otherwise.
  // That result is deep-frozen: a layer that changed it would change what the next one reads.
  if (options.maxBytes !== undefined) return parseOnce(record, options);
  let result = PARSED.get(record);
  if (result === undefined) PARSED.set(record, result = deepFreeze(parseOnce(record, options)));
  return result;
}

/**
 * Freezes `value` and every object and array in it. A parse result holds only those and
 * primitives (JSON, checked by the schemas), and no cycle.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Each record's result with the default options, by the record object (see parseRecord). */
const PARSED = new WeakMap<RecordInput, RecordResult>();

function parseOnce(record: RecordInput, options: ParseRecordOptions): RecordResult {
  const { topic } = record;
  const source = recordSource(record);
  const fail = (code: ParseErrorCode, detail: string): RecordResult => ({
    ok: false,
    error: protocolError(code, detail, { action: "parse record", source }),
  });
  if (!isLegalTopicName(topic)) {
    return fail("invalid_topic", `topic ${quote(topic)} is not a legal topic name`);
  }
  const info = parseTopic(topic);
  if (info === undefined) {
    return fail("invalid_topic", `topic ${quote(topic)} is not a topic of kafclaw/1`);
  }
  let key: string | null;
  try {
    key = record.key instanceof Uint8Array ? KEY_DECODER.decode(record.key) : record.key;
  } catch {
    return fail("invalid_key", "the key is not valid UTF-8");
  }
  if (key?.includes("\n")) return fail("invalid_key", `key ${quote(key)} contains a newline`);
  const parsed: EnvelopeResult = parseEnvelope(record.value, { ...options, source, key });
  if (!parsed.ok) return parsed;
  const { envelope } = parsed;
  if (!typesForTopic(info).includes(envelope.type)) {
    return {
      ok: false,
      error: protocolError(
        "wrong_topic",
        `"type" is ${quote(envelope.type)}, which does not go on this topic`,
        { action: "parse record", source, path: ["type"] },
      ),
    };
  }
  const expected = requiredKey(envelope, key);
  if (expected !== undefined && key !== expected) {
    const needs = quote(expected);
    return fail(
      "key_mismatch",
      key === null
        ? `the record has no key; the envelope needs ${needs}`
        : `key ${quote(key)} does not match the envelope, which needs ${needs}`,
    );
  }
  const named = key === null ? undefined : AGENT_KEY.exec(key)?.[1];
  if (named !== undefined && named !== envelope.sender_id) {
    return fail(
      "key_mismatch",
      `key ${quote(key as string)} names another agent than "sender_id" ${
        quote(envelope.sender_id)
      }`,
    );
  }
  return { ok: true, envelope, key };
}

/** How messages name a record: `topic@partition:offset`, or the topic alone. */
export function recordSource(record: RecordInput): string {
  return record.offset === undefined
    ? record.topic
    : `${record.topic}@${record.partition}:${record.offset}`;
}
