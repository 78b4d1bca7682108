/**
 * The KafClaw wire protocol, version 1 (PROTOCOL.md): envelope and payload types with runtime
 * validation, the poison rules, topic and consumer group names, record keys, Ed25519 signatures
 * and membership certificates, the replay table, and the JSON Schema export.
 *
 * Parsing and verification never throw: they return `{ ok: true, ... }` or
 * `{ ok: false, error }` with a {@link ProtocolError}.
 *
 * @example
 * ```ts
 * import { parseRecord } from "./mod.ts";
 * const result = parseRecord({ topic: "group.g1.requests", key: "t-1", value: new Uint8Array([0xff]) });
 * result.ok || result.error.code; // "invalid_utf8"
 * ```
 *
 * @module
 */

export {
  formatPath,
  PARSE_ERROR_CODES,
  type ParseErrorCode,
  type PathSegment,
  type ProtocolError,
  type ProtocolErrorCode,
  type Result,
  VERIFY_ERROR_CODES,
  type VerifyErrorCode,
} from "./errors.ts";
export { DEFAULT_MAX_BYTES, MAX_DEPTH } from "./json_guard.ts";
export {
  AgentId,
  Base64Url,
  GROUP_ID_PATTERN,
  GroupId,
  ID_PATTERN,
  OpaqueId,
  parseTimestamp,
  PublicKey,
  Sha256Hex,
  SkillName,
  SpanId,
  Taint,
  Timestamp,
  TraceId,
  ZoneId,
} from "./fields.ts";
export * from "./payloads_tasks.ts";
export {
  AgentIdentity,
  AnnouncePayload,
  CertificateBundle,
  CertificateEntry,
  GroupManifest,
  HeartbeatPayload,
  ONBOARD_ACTIONS,
  ONBOARD_FIELDS_BY_ACTION,
  OnboardPayload,
  Revocation,
  RosterPayload,
  type RosterShape,
  rosterShape,
  SkillPayload,
} from "./payloads_group.ts";
export * from "./payloads_observe.ts";
export * from "./envelope.ts";
export * from "./record.ts";
export * from "./record_keys.ts";
export * from "./topics.ts";
export * from "./topic_specs.ts";
export { decodeBase64Url, encodeBase64Url, sha256Hex } from "./bytes.ts";
export * from "./signing.ts";
export {
  CERT_DOMAIN,
  Certificate,
  type CertificateResult,
  decodeCertificate,
  type DecodedCertificate,
  issueCertificate,
  MAX_CERT_BYTES,
  type TrustOptions,
  type VerifiedCertificate,
  verifyCertificate,
} from "./certs.ts";
export * from "./verify.ts";
export * from "./replay.ts";
export * from "./schema.ts";
export { REMOVE_AFTER, STALE_AFTER } from "./liveness.ts";
