/**
 * The field types the envelope and the payloads share: ids, timestamps, trace-context ids, keys.
 *
 * Ids that end up in topic names, consumer group names or record keys (agents, skills, zones,
 * groups) have a small charset, so that a name built from them can never smuggle a `.` and pose
 * as another topic:
 *
 * - agent, skill and zone ids: `^[a-z0-9][a-z0-9_-]{0,63}$` — lower case only, because Kafka names
 *   are case-sensitive while people (and case-insensitive file systems under a broker's log dirs)
 *   are not;
 * - group ids: `^[a-z0-9][a-z0-9-]{0,63}$` — no `_` either: Kafka refuses a topic whose name equals
 *   an existing one after `.` → `_`, so `group.a_skill_x.requests` would block
 *   `group.a.skill.x.requests` on a shared cluster.
 *
 * @module
 */

import { z } from "zod";

/** Agent, skill and zone ids. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Group ids: like {@link ID_PATTERN}, without `_`. */
export const GROUP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

const ID_RULE = "is not an id (1-64 of a-z 0-9 _ -, starting with a letter or digit)";

/** An agent id. */
export const AgentId = z.string().regex(ID_PATTERN, ID_RULE).meta({
  id: "AgentId",
  description: "An agent id: 1-64 of a-z 0-9 _ -, starting with a letter or digit",
});

/** A skill name. */
export const SkillName = z.string().regex(ID_PATTERN, ID_RULE).meta({
  id: "SkillName",
  description: "A skill name, with the charset of an agent id",
});

/** A zone id. */
export const ZoneId = z.string().regex(ID_PATTERN, ID_RULE).meta({
  id: "ZoneId",
  description: "A zone id, with the charset of an agent id",
});

/** A group id. */
export const GroupId = z.string().regex(
  GROUP_ID_PATTERN,
  "is not a group id (1-64 of a-z 0-9 -, starting with a letter or digit)",
).meta({
  id: "GroupId",
  description: "A group id: 1-64 of a-z 0-9 -, starting with a letter or digit",
});

/** An agent or zone id, or `""` for none (a root node's parent, a top-level zone's parent). */
export const OptionalId = z.string().regex(/^(?:[a-z0-9][a-z0-9_-]{0,63})?$/, `${ID_RULE} or ""`);

/** The control characters (Unicode category Cc), as the inside of a regex character class. */
export const CONTROL_CHARACTERS = "\\u0000-\\u001f\\u007f-\\u009f";

/** An opaque id that can serve as a record key: 1-256 characters, none of them a control character. */
export const OpaqueId = z.string().regex(
  new RegExp(`^[^${CONTROL_CHARACTERS}]{1,256}$`, "u"),
  "must be 1-256 characters without control characters",
).meta({
  id: "OpaqueId",
  description: "An id that can be a record key: 1-256 characters, no control characters",
});

/** Lower-case hex ids, not all zero; with `emptyFor`, also `""` (which then means none). */
function hexId(digits: number, what: string, emptyFor?: string) {
  const hex = `[0-9a-f]{${digits}}`;
  const rule = emptyFor === undefined ? "" : `, or "" for ${emptyFor}`;
  return z.string()
    .regex(
      new RegExp(emptyFor === undefined ? `^${hex}$` : `^(?:${hex})?$`),
      `is not a ${what} (${digits} lower-case hex digits${rule})`,
    )
    .refine((id) => id === "" || /[^0]/.test(id), `is not a ${what} (all zero)`)
    .meta({ not: { const: "0".repeat(digits) } });
}

/** A W3C trace id: 32 lower-case hex digits, not all zero. */
export const TraceId = hexId(32, "trace id").meta({
  id: "TraceId",
  description: "A W3C trace id: 32 lower-case hex digits, not all zero",
});

/** A W3C span id: 16 lower-case hex digits, not all zero. */
export const SpanId = hexId(16, "span id").meta({
  id: "SpanId",
  description: "A W3C span id: 16 lower-case hex digits, not all zero",
});

/** A span id, or `""` for none (a root span's parent). */
export const ParentSpanId = hexId(16, "span id", "a root span");

/** A SHA-256 digest: 64 lower-case hex digits. */
export const Sha256Hex = z.string().regex(
  /^[0-9a-f]{64}$/,
  "is not a SHA-256 digest (64 lower-case hex digits)",
).meta({ id: "Sha256Hex", description: "A SHA-256 digest as 64 lower-case hex digits" });

/**
 * An Ed25519 public key: base64url (no padding) of its raw 32 bytes, in the one canonical spelling
 * (the last character carries two zero bits).
 */
export const PublicKey = z.string().regex(
  /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/,
  "is not an Ed25519 public key (base64url of 32 bytes)",
).meta({
  id: "PublicKey",
  description: "An Ed25519 public key: unpadded base64url of its raw 32 bytes",
});

/** Unpadded base64url text. */
export const Base64Url = z.string().regex(/^[A-Za-z0-9_-]+$/, "is not base64url");

/** A count: an integer ≥ 0. */
export const Count = z.int().min(0);

/** `"trusted"` or `"untrusted"` (PROTOCOL.md, semantics 10). */
export const Taint = z.enum(["trusted", "untrusted"]).meta({
  id: "Taint",
  description: "Absent means untrusted unless the sender's certificate says vouched",
});

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

// Date.UTC maps years 0-99 to 1900-1999; computing 400 years later (one whole Gregorian cycle,
// 146097 days) and subtracting them avoids that.
const CYCLE_MS = 146097 * 86_400_000;

/**
 * Reads an RFC 3339 timestamp with an offset (`Z` or `±hh:mm`; fractions of any length, as Go's
 * RFC3339Nano writes them) into milliseconds since the epoch, or undefined when it is not one.
 *
 * @example
 * ```ts
 * import { parseTimestamp } from "./fields.ts";
 * parseTimestamp("2026-01-15T10:00:00.123456789Z"); // 1768471200123.4568
 * parseTimestamp("2026-01-15 10:00:00"); // undefined
 * ```
 */
export function parseTimestamp(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const year = +m[1]!, month = +m[2]!, day = +m[3]!;
  const hour = +m[4]!, minute = +m[5]!, second = +m[6]!;
  const offsetHours = m[9] === undefined ? 0 : +m[9];
  const offsetMinutes = m[10] === undefined ? 0 : +m[10];
  if (
    month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 ||
    minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59
  ) {
    return undefined;
  }
  const sign = m[8] === "-" ? -1 : 1;
  const local = Date.UTC(year + 400, month - 1, day, hour, minute, second) - CYCLE_MS;
  const fraction = m[7] === undefined ? 0 : +`0${m[7]}` * 1000;
  return local + fraction - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The days of a month (1-12) of a Gregorian year. */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The shape of an RFC 3339 timestamp with offset, as the JSON Schema writes it (ASCII digits only). */
export const TIMESTAMP_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]" +
  "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)([.][0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/** An RFC 3339 timestamp with offset. */
export const Timestamp = z.string().refine(
  (text) => parseTimestamp(text) !== undefined,
  "is not RFC 3339 with an offset",
).meta({
  id: "Timestamp",
  format: "date-time",
  // `format` alone is an annotation in draft 2020-12, so the schema spells the shape out. A day
  // past the end of its month (02-30) is beyond a pattern; the parser refuses it.
  pattern: TIMESTAMP_PATTERN,
  description: "RFC 3339 with an offset (Z or ±hh:mm)",
});

/**
 * A refinement for payloads whose `action` decides which optional fields it needs: each missing
 * one is reported as `missing_field`.
 */
export function requireForAction<A extends string>(
  table: Readonly<Record<A, readonly string[]>>,
): (payload: { action: A } & Record<string, unknown>, ctx: z.core.$RefinementCtx) => void {
  return (payload, ctx) => {
    for (const field of table[payload.action]) {
      if (payload[field] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `is missing (required when "action" is ${JSON.stringify(payload.action)})`,
          params: { code: "missing_field" },
        });
      }
    }
  };
}

/**
 * What {@link requireForAction} checks, as JSON Schema: for each action that needs fields, an
 * `if` on `action` and a `then` that requires them (for `.meta({ allOf })`).
 */
export function actionRequirements(
  table: Readonly<Record<string, readonly string[]>>,
): Record<string, unknown>[] {
  return Object.entries(table).filter(([, fields]) => fields.length > 0).map((
    [action, fields],
  ) => ({
    if: { properties: { action: { const: action } }, required: ["action"] },
    then: { required: [...fields] },
  }));
}
