/**
 * Payloads that observe and share: `trace`, `audit`, `memory`, and the orchestrator's `AgentNode`
 * and `Zone` records (PROTOCOL.md, Types and payloads).
 *
 * @module
 */

import { z } from "zod";
import {
  actionRequirements,
  AgentId,
  CONTROL_CHARACTERS,
  Count,
  OptionalId,
  ParentSpanId,
  requireForAction,
  Sha256Hex,
  SpanId,
  Timestamp,
  TraceId,
  ZoneId,
} from "./fields.ts";

/** The payload of `trace`: ids, timings and a hash; `content` only where the owner enabled it. */
export const TracePayload = z.looseObject({
  trace_id: TraceId,
  span_id: SpanId,
  parent_span_id: ParentSpanId,
  span_type: z.enum(["TASK", "LLM", "TOOL", "DELEGATION"]),
  title: z.string(),
  started_at: Timestamp,
  ended_at: Timestamp,
  duration_ms: Count,
  attributes: z.looseObject({}).optional(),
  content_hash: Sha256Hex.optional(),
  content: z.string().optional(),
}).meta({ id: "TracePayload" });

/** The events `audit` records. */
export const AUDIT_EVENTS = [
  "policy_decision",
  "skill_registered",
  "onboard_rejected",
  "signature_invalid",
  "replay_dropped",
  "poison_record",
  "lease_lapsed",
] as const;

/** The payload of `audit`. */
export const AuditPayload = z.looseObject({
  event_type: z.enum(AUDIT_EVENTS),
  detail: z.string(),
  agent_id: AgentId,
}).meta({ id: "AuditPayload" });

/** A KafScale LFS pointer: the content lives in a bucket (resolved only from the configured one). */
export const LfsPointer = z.looseObject({
  kfs_lfs: z.int(),
  bucket: z.string(),
  key: z.string(),
  size: Count,
  sha256: z.string(),
}).meta({ id: "LfsPointer" });

/** The payload of `memory`: an item, or one part of it (key `item_id#<part>`). */
export const MemoryPayload = z.looseObject({
  item_id: z.string().regex(
    new RegExp(`^[^${CONTROL_CHARACTERS}#]{1,256}$`, "u"),
    "must be 1-256 characters without control characters or #",
  ),
  author_id: AgentId,
  title: z.string(),
  content_type: z.string(),
  content: z.union([z.string(), LfsPointer], { error: "must be a string or an LFS pointer" }),
  part: Count.optional(),
  parts: z.int().min(1).optional(),
  sha256: Sha256Hex.meta({ description: "of the whole item, checked after reassembly" }),
  tags: z.array(z.string()),
  zone: ZoneId.optional(),
  created_at: Timestamp,
  expires_at: Timestamp.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
}).superRefine((item, ctx) => {
  if ((item.part === undefined) !== (item.parts === undefined)) {
    ctx.addIssue({ code: "custom", path: ["part"], message: 'and "parts" go together' });
  } else if (item.part !== undefined && item.part >= (item.parts as number)) {
    ctx.addIssue({ code: "custom", path: ["part"], message: 'must be less than "parts"' });
  }
}).meta({ id: "MemoryPayload", dependentRequired: { part: ["parts"], parts: ["part"] } });

/** A parsed memory payload. */
export type MemoryPayload = z.output<typeof MemoryPayload>;

/** An agent's place in the orchestrator's hierarchy (state record `node:<agent_id>`). */
export const AgentNode = z.looseObject({
  agent_id: AgentId,
  agent_name: z.string(),
  role: z.string(),
  parent_id: OptionalId,
  zones: z.array(ZoneId),
  endpoint: z.string(),
  status: z.string(),
}).meta({
  id: "AgentNode",
  description:
    'role and status are free text (e.g. "worker", "active"); PROTOCOL.md fixes no values',
});

/** A zone (state record `zone:<zone_id>`). */
export const Zone = z.looseObject({
  zone_id: ZoneId,
  name: z.string(),
  visibility: z.enum(["public", "shared", "private"]),
  owner_id: AgentId,
  parent_zone: OptionalId,
  members: z.array(AgentId),
  created_at: Timestamp,
}).meta({ id: "Zone" });

/** The fields each orchestrator action requires beyond `action`. */
export const ORCHESTRATOR_FIELDS_BY_ACTION = {
  node: ["node"],
  zone: ["zone"],
  zone_join_request: ["zone_id", "agent_id"],
  zone_join_approve: ["zone_id", "agent_id"],
  zone_join_deny: ["zone_id", "agent_id"],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** The payload of `orchestrator`: a node or zone record, or a zone membership event. */
export const OrchestratorPayload = z.looseObject({
  action: z.enum(["node", "zone", "zone_join_request", "zone_join_approve", "zone_join_deny"]),
  node: AgentNode.optional(),
  zone: Zone.optional(),
  zone_id: ZoneId.optional(),
  agent_id: AgentId.optional(),
  reason: z.string().optional(),
  /**
   * With action `zone`: the zone is deleted. Its owner's signed record, with the zone as it was
   * (a tombstone could not be signed); the id stays the owner's.
   */
  deleted: z.boolean().meta({
    description: 'with action "zone": the zone is deleted (its owner\'s last record of it)',
  }).optional(),
}).superRefine(requireForAction(ORCHESTRATOR_FIELDS_BY_ACTION)).meta({
  id: "OrchestratorPayload",
  allOf: actionRequirements(ORCHESTRATOR_FIELDS_BY_ACTION),
});

/** A parsed orchestrator payload. */
export type OrchestratorPayload = z.output<typeof OrchestratorPayload>;
