/**
 * The envelope: one UTF-8 JSON object per record value (PROTOCOL.md, Envelope). `parseEnvelope`
 * applies the poison rules, the envelope's and the payload's schema, the Go aliases and the
 * defaults, and returns a value or a {@link ProtocolError}; it never throws.
 *
 * @module
 */

import { z } from "zod";
import {
  type PathSegment,
  type ProtocolError,
  protocolError,
  quote,
  type Result,
  subject,
} from "./errors.ts";
import { AgentId, SpanId, Taint, Timestamp, TraceId } from "./fields.ts";
import { describeIssue, type IssueDescription } from "./issues.ts";
import { DEFAULT_MAX_BYTES, guardJson } from "./json_guard.ts";
import {
  AnnouncePayload,
  HeartbeatPayload,
  OnboardPayload,
  ROSTER_SCHEMAS,
  RosterPayload,
  rosterShape,
  SkillPayload,
} from "./payloads_group.ts";
import {
  AuditPayload,
  MemoryPayload,
  OrchestratorPayload,
  TracePayload,
} from "./payloads_observe.ts";
import {
  applyGoAliases,
  RequestPayload,
  ResponsePayload,
  TaskStatusPayload,
} from "./payloads_tasks.ts";

/** The protocol this module speaks, as the envelope's optional `protocol` field names it. */
export const PROTOCOL_VERSION = "kafclaw/1";

/** The envelope types, each with its payload schema. */
export const PAYLOAD_SCHEMAS = {
  announce: AnnouncePayload,
  heartbeat: HeartbeatPayload,
  roster: RosterPayload,
  request: RequestPayload,
  skill_request: RequestPayload,
  task_status: TaskStatusPayload,
  response: ResponsePayload,
  skill_response: ResponsePayload,
  trace: TracePayload,
  audit: AuditPayload,
  memory: MemoryPayload,
  skill: SkillPayload,
  onboard: OnboardPayload,
  orchestrator: OrchestratorPayload,
} as const;

/** An envelope type. */
export type EnvelopeType = keyof typeof PAYLOAD_SCHEMAS;

/** Every envelope type. */
export const ENVELOPE_TYPES = Object.keys(PAYLOAD_SCHEMAS) as readonly EnvelopeType[];

/** The types of task records: keyed by `task_id`, which is also their `correlation_id`. */
export const TASK_TYPES = [
  "request",
  "skill_request",
  "task_status",
  "response",
  "skill_response",
] as const;

const ENVELOPE_FIELDS = {
  type: z.string(),
  correlation_id: z.string().min(1),
  sender_id: AgentId,
  timestamp: Timestamp,
  payload: z.looseObject({}),
  protocol: z.literal(PROTOCOL_VERSION).optional(),
  trace_id: TraceId.optional(),
  span_id: SpanId.optional(),
  parent_span_id: SpanId.optional(),
  taint: Taint.optional(),
};

const EnvelopeBase = z.looseObject(ENVELOPE_FIELDS);

function variant<T extends EnvelopeType>(type: T) {
  return z.looseObject({
    ...ENVELOPE_FIELDS,
    type: z.literal(type),
    payload: PAYLOAD_SCHEMAS[type],
  });
}

/** The envelope of every type, as one schema (the JSON Schema export is made from it). */
export const EnvelopeSchema = z.discriminatedUnion("type", [
  variant("announce"),
  variant("heartbeat"),
  variant("roster"),
  variant("request"),
  variant("skill_request"),
  variant("task_status"),
  variant("response"),
  variant("skill_response"),
  variant("trace"),
  variant("audit"),
  variant("memory"),
  variant("skill"),
  variant("onboard"),
  variant("orchestrator"),
]).meta({ id: "Envelope" });

/** A parsed envelope; `type` tells the payload's shape. Unknown fields are kept. */
export type Envelope = z.output<typeof EnvelopeSchema>;

/** The envelope of one type. */
export type EnvelopeOf<T extends EnvelopeType> = Extract<Envelope, { type: T }>;

/** Options of {@link parseEnvelope}. */
export interface ParseEnvelopeOptions {
  /** The largest value accepted, in bytes. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Where the value came from, for messages: `topic@partition:offset`. */
  readonly source?: string | undefined;
  /**
   * The record's key, when known: it tells a roster manifest (`manifest`) from a certificate entry
   * or revocation (`cert:<id>`), so that a field a later manifest adds never changes its shape.
   */
  readonly key?: string | null;
}

/** An envelope, or why there is none. */
export type EnvelopeResult = Result<{ readonly envelope: Envelope }>;

// Fields that must name the same thing, per type: [field, the field it must equal].
const MUST_EQUAL: Partial<
  Record<EnvelopeType, readonly [readonly PathSegment[], readonly PathSegment[]]>
> = {
  announce: [["payload", "identity", "agent_id"], ["sender_id"]],
  heartbeat: [["payload", "agent_id"], ["sender_id"]],
  ...Object.fromEntries(
    TASK_TYPES.map((type) => [type, [["correlation_id"], ["payload", "task_id"]]]),
  ),
};

/**
 * Parses a record value into an envelope. Poison (too large, invalid UTF-8, invalid JSON, a
 * duplicate key, nesting deeper than 32, a missing field, a wrong type or value, an unknown type)
 * comes back as an error with a code, a message and the path of the field.
 *
 * @example
 * ```ts
 * import { parseEnvelope } from "./envelope.ts";
 * const result = parseEnvelope('{"type":"audit"}', { source: "group.g1.observe.audit@0:7" });
 * if (!result.ok) console.log(result.error.message);
 * // Cannot parse envelope from group.g1.observe.audit@0:7: "correlation_id" is missing
 * ```
 */
export function parseEnvelope(
  input: Uint8Array | string,
  options: ParseEnvelopeOptions = {},
): EnvelopeResult {
  const { maxBytes = DEFAULT_MAX_BYTES, ...rest } = options;
  const guarded = guardJson(input, maxBytes);
  if (!guarded.ok) return failure(guarded.failure, options.source);
  return validate(guarded.value, rest, guarded.protoKey === true);
}

/**
 * Validates a value already read from JSON (for example by an in-process transport) as an
 * envelope. `source` and `key` are those of {@link ParseEnvelopeOptions}.
 */
export function validateEnvelope(
  value: unknown,
  options: Omit<ParseEnvelopeOptions, "maxBytes"> = {},
): EnvelopeResult {
  return validate(value, options, true);
}

function validate(
  value: unknown,
  options: Omit<ParseEnvelopeOptions, "maxBytes">,
  protoKey: boolean,
): EnvelopeResult {
  const { source, key } = options;
  const base = EnvelopeBase.safeParse(value, { reportInput: true });
  if (!base.success) {
    return failure(describeIssue(base.error.issues[0] as z.core.$ZodIssue), source);
  }
  const type = base.data.type;
  if (!isEnvelopeType(type)) {
    return failure({
      code: "unknown_type",
      path: ["type"],
      detail: `"type" is ${quote(type)}, which is not a type of ${PROTOCOL_VERSION}`,
    }, source);
  }
  const payload = applyGoAliases(type, base.data.payload);
  const schema = type === "roster"
    ? ROSTER_SCHEMAS[rosterShape(payload, key)]
    : PAYLOAD_SCHEMAS[type];
  const parsed = schema.safeParse(payload, { reportInput: true });
  if (!parsed.success) {
    return failure(describeIssue(parsed.error.issues[0] as z.core.$ZodIssue, ["payload"]), source);
  }
  const envelope = { ...base.data, type, payload: parsed.data } as Envelope;
  const pair = MUST_EQUAL[type];
  if (pair !== undefined && at(envelope, pair[0]) !== at(envelope, pair[1])) {
    const detail = `${subject(pair[0])} must equal ${subject(pair[1])}`;
    return failure({ code: "invalid_value", path: pair[0], detail }, source);
  }
  if (protoKey) keepProtoKeys(value, envelope);
  return { ok: true, envelope };
}

/**
 * Gives back, as own fields, the `__proto__` keys of `raw` that validation dropped: an unknown
 * field like any other, kept (PROTOCOL.md, Envelope), and never a prototype. Paths through
 * `raw` and `parsed` match, as validation only adds defaults and renames Go aliases.
 */
function keepProtoKeys(raw: unknown, parsed: unknown): void {
  if (typeof raw !== "object" || raw === null || typeof parsed !== "object" || parsed === null) {
    return;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (name !== "__proto__") {
      keepProtoKeys(value, (parsed as Record<string, unknown>)[name]);
      continue;
    }
    Object.setPrototypeOf(parsed, Object.prototype);
    Object.defineProperty(parsed, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

/** Whether a string names an envelope type. */
export function isEnvelopeType(type: string): type is EnvelopeType {
  return Object.hasOwn(PAYLOAD_SCHEMAS, type);
}

function at(value: unknown, path: readonly PathSegment[]): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<PathSegment, unknown>)[step], value);
}

function failure(
  description: IssueDescription,
  source: string | undefined,
): { ok: false; error: ProtocolError } {
  return {
    ok: false,
    error: protocolError(description.code, description.detail, {
      action: "parse envelope",
      source,
      path: description.path,
    }),
  };
}
