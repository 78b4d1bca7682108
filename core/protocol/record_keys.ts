/**
 * Record keys (PROTOCOL.md, Records): `task_id` for task records, entity keys for state records,
 * `item_id#<part>` for memory parts. {@link recordKey} gives the key a producer uses for an
 * envelope; {@link requiredKey} the key a reader insists on.
 *
 * @module
 */

import type { Envelope, EnvelopeType } from "./envelope.ts";
import { rosterShape } from "./payloads_group.ts";

/** The key of the roster's manifest record. */
export const MANIFEST_KEY = "manifest";

/** `agent:<id>`: an agent's announce (and, by convention, heartbeat and audit) records. */
export function agentKey(agentId: string): string {
  return `agent:${agentId}`;
}

/** `node:<id>`: an agent's node record on the orchestrator topic. */
export function nodeKey(agentId: string): string {
  return `node:${agentId}`;
}

/** `zone:<id>`: a zone's record on the orchestrator topic. */
export function zoneKey(zoneId: string): string {
  return `zone:${zoneId}`;
}

/** `zone:<zone>:<agent>`: an agent's membership events of one zone (join request, approval, denial). */
export function zoneMemberKey(zoneId: string, agentId: string): string {
  return `zone:${zoneId}:${agentId}`;
}

/** `skill:<name>`: a skill's record on the skills topic. */
export function skillKey(skill: string): string {
  return `skill:${skill}`;
}

/** `cert:<id>`: an agent's certificate or revocation on the roster. */
export function certKey(agentId: string): string {
  return `cert:${agentId}`;
}

/** `onboard:<requester>`: one newcomer's onboarding records, so they share a partition. */
export function onboardKey(requesterId: string): string {
  return `onboard:${requesterId}`;
}

/** `item_id`, or `item_id#<part>` for one part of a memory item. */
export function memoryKey(itemId: string, part?: number): string {
  return part === undefined ? itemId : `${itemId}#${part}`;
}

/** The key a producer of this project gives a record holding `envelope`. */
export function recordKey(envelope: Envelope): string {
  return keyFor(envelope, null);
}

/** The key of `envelope`; a roster record's shape is read from `key` when it tells. */
function keyFor(envelope: Envelope, key: string | null): string {
  switch (envelope.type) {
    case "request":
    case "skill_request":
    case "task_status":
    case "response":
    case "skill_response":
      return envelope.payload.task_id;
    case "announce":
      return agentKey(envelope.payload.identity.agent_id);
    case "heartbeat":
      return agentKey(envelope.payload.agent_id);
    case "audit":
      return agentKey(envelope.sender_id);
    case "roster":
      return rosterShape(envelope.payload, key) === "manifest"
        ? MANIFEST_KEY
        : certKey(envelope.payload.agent_id as string);
    case "orchestrator":
      return orchestratorKey(envelope.payload);
    case "skill":
      return skillKey(envelope.payload.skill);
    case "memory":
      return memoryKey(envelope.payload.item_id, envelope.payload.part);
    case "trace":
      return envelope.payload.trace_id;
    case "onboard":
      return onboardKey(envelope.payload.requester_id);
  }
}

function orchestratorKey(payload: Extract<Envelope, { type: "orchestrator" }>["payload"]): string {
  // The payload schema makes sure the field an action needs is there.
  if (payload.action === "node") return nodeKey((payload.node as { agent_id: string }).agent_id);
  if (payload.action === "zone") return zoneKey((payload.zone as { zone_id: string }).zone_id);
  return zoneMemberKey(payload.zone_id as string, payload.agent_id as string);
}

// The types whose key PROTOCOL.md fixes; the others (heartbeat, trace, audit, onboard) may carry
// any key, or none: foreign and Go producers set none.
const KEYED: ReadonlySet<EnvelopeType> = new Set<EnvelopeType>([
  "request",
  "skill_request",
  "task_status",
  "response",
  "skill_response",
  "announce",
  "roster",
  "orchestrator",
  "skill",
  "memory",
]);

/**
 * The key a record holding `envelope` must have, or undefined when any key will do. `key`, the
 * record's own, tells a roster manifest from a certificate as `parseEnvelope` read it.
 */
export function requiredKey(envelope: Envelope, key: string | null = null): string | undefined {
  return KEYED.has(envelope.type) ? keyFor(envelope, key) : undefined;
}
