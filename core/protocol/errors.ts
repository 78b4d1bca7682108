/**
 * The errors of the protocol layer. Parsing and verification return them as values (a record from
 * the network is never a reason to throw); each carries a code a caller can branch on, a message in
 * the house style and the path of the offending field.
 *
 * @module
 */

/** Why a record could not be parsed; every one makes the record poison (PROTOCOL.md, Records). */
export const PARSE_ERROR_CODES = [
  "too_large",
  "invalid_utf8",
  "invalid_json",
  "duplicate_key",
  "too_deep",
  "missing_field",
  "wrong_type",
  "invalid_value",
  "unknown_type",
  "invalid_topic",
  "wrong_topic",
  "invalid_key",
  "key_mismatch",
] as const;

/** Why a signed record did not verify (PROTOCOL.md, Membership and trust). */
export const VERIFY_ERROR_CODES = [
  "unsigned",
  "bad_header",
  "unknown_signer",
  "bad_certificate",
  "untrusted_certificate",
  "certificate_expired",
  "certificate_revoked",
  "sender_mismatch",
  "bad_signature",
  "clock_skew",
  "replay",
] as const;

/** A parse error code. */
export type ParseErrorCode = typeof PARSE_ERROR_CODES[number];

/** A verification error code. */
export type VerifyErrorCode = typeof VERIFY_ERROR_CODES[number];

/** Any error code of the protocol layer. */
export type ProtocolErrorCode = ParseErrorCode | VerifyErrorCode;

/** One step of a path into a JSON value: an object key or an array index. */
export type PathSegment = string | number;

/** A failed parse or verification, as a value. */
export interface ProtocolError {
  /** What went wrong, for callers that branch (dead-letter reasons, audit events, counters). */
  readonly code: ProtocolErrorCode;
  /** A sentence for people, e.g. `Cannot parse envelope from t@0:5: "timestamp" is not RFC 3339`. */
  readonly message: string;
  /** Where in the value; empty for the value as a whole, the key, the topic or the headers. */
  readonly path: readonly PathSegment[];
}

/** The outcome of parsing or verifying: the value, or a {@link ProtocolError}. */
export type Result<T extends object> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly error: ProtocolError };

/**
 * Writes a path the way a reader of the JSON would: `payload.delegation.chain[2]`.
 *
 * @example
 * ```ts
 * import { formatPath } from "./errors.ts";
 * formatPath(["payload", "chain", 2]); // "payload.chain[2]"
 * ```
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const step of path) {
    out += typeof step === "number" ? `[${step}]` : out === "" ? step : `.${step}`;
  }
  return out;
}

const MAX_QUOTED = 80;

/** Quotes a value for a message: JSON string syntax (so control characters show), cut at 80. */
export function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}

/** The subject of a message about a field: the quoted path, or "the value" for the root. */
export function subject(path: readonly PathSegment[]): string {
  return path.length === 0 ? "the value" : JSON.stringify(formatPath(path));
}

/**
 * Builds an error whose message reads `Cannot <action> from <source>: <detail>`. A source with a
 * control character in it (a malformed topic) is quoted.
 */
export function protocolError(
  code: ProtocolErrorCode,
  detail: string,
  options: { action: string; source?: string | undefined; path?: readonly PathSegment[] },
): ProtocolError {
  const { action, source, path = [] } = options;
  const from = source === undefined
    ? ""
    : ` from ${/\p{Cc}/u.test(source) ? quote(source) : source}`;
  return { code, message: `Cannot ${action}${from}: ${detail}`, path };
}
