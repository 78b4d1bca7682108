/**
 * Raw records on a group's topics, as tests write and read them without a member: a heartbeat's
 * JSON as an agent sends it, and a reader that follows topics from their beginning.
 */
import type { InboundRecord, Subscription, Transport } from "../../core/transport/mod.ts";
import { uniqueName } from "./wait.ts";

/** What a heartbeat built by {@link heartbeatJson} says besides its agent. */
export interface HeartbeatFields {
  readonly capacity?: number;
  readonly running?: number;
  readonly intervalMs?: number;
  readonly at?: Date;
}

/** The value of a `heartbeat` record of `agentId` (unsigned), as a member sends it. */
export function heartbeatJson(agentId: string, fields: HeartbeatFields = {}): string {
  return JSON.stringify({
    type: "heartbeat",
    correlation_id: `hb-${crypto.randomUUID()}`,
    sender_id: agentId,
    timestamp: (fields.at ?? new Date()).toISOString(),
    payload: {
      agent_id: agentId,
      status: "active",
      load: { running: fields.running ?? 0, capacity: fields.capacity ?? 1 },
      skills: [],
      heartbeat_interval_ms: fields.intervalMs ?? 1000,
    },
  });
}

/**
 * Follows `topics` from their beginning through `transport`, in a stream consumer group of its
 * own (named from `name`): each record goes to `handle`. Close the subscription when done (the
 * transport stays open).
 */
export function followTopic(
  transport: Transport,
  topics: string | readonly string[],
  handle: (record: InboundRecord) => void,
  name = "reader",
): Promise<Subscription> {
  return transport.subscribe({
    kind: "stream",
    topics: typeof topics === "string" ? [topics] : topics,
    groupId: uniqueName(name),
    fromBeginning: true,
    handler: (record) => void handle(record),
  });
}
