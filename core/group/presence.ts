/**
 * The records by which an agent is present in a group: its `announce` (join or leave, a state
 * record keyed `agent:<id>` on the announce topic) and its `heartbeat` (on the heartbeats stream,
 * same key) with its load, skills and expertise (PROTOCOL.md, Types and payloads).
 *
 * @module
 */
import { type AgentIdentity, agentKey, PROTOCOL_VERSION, topicsFor } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";
import type { Heartbeat } from "./roster.ts";

/** An agent's load: tasks running and how many it takes at once. */
export interface Load {
  readonly running: number;
  readonly capacity: number;
}

function envelope(type: string, sender: string, payload: unknown, now: Date): string {
  return JSON.stringify({
    type,
    correlation_id: `${type}-${crypto.randomUUID()}`,
    sender_id: sender,
    timestamp: now.toISOString(),
    protocol: PROTOCOL_VERSION,
    payload,
  });
}

/** The `announce` record of an agent joining or leaving. */
export function announceRecord(
  group: string,
  action: "join" | "leave",
  identity: AgentIdentity,
  now = new Date(),
): OutboundRecord {
  return {
    topic: topicsFor(group).announce,
    key: agentKey(identity.agent_id),
    value: envelope("announce", identity.agent_id, { action, identity }, now),
  };
}

/** The `heartbeat` record of an agent. */
export function heartbeatRecord(
  group: string,
  heartbeat: Heartbeat,
  now = new Date(),
): OutboundRecord {
  return {
    topic: topicsFor(group).heartbeats,
    key: agentKey(heartbeat.agent_id),
    value: envelope("heartbeat", heartbeat.agent_id, heartbeat, now),
  };
}
