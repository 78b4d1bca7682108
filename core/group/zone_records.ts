/**
 * The records that make and change zones (PROTOCOL.md, `orchestrator`), on the group's
 * orchestrator state topic beside the orchestrator's `node:<id>` records:
 *
 * - `zone:<id>`, action `zone`: the zone as its owner says it is now (`Zone {zone_id, name,
 *   visibility, owner_id, parent_zone, members, created_at}`); its `members` are the zone's
 *   membership. A deleted zone is its owner's last record with `deleted: true` beside `zone`
 *   (a tombstone could not be signed, so anyone could write one).
 * - `zone:<zone>:<agent>`, actions `zone_join_request` (signed by the agent that asks),
 *   `zone_join_approve` and `zone_join_deny` (signed by the zone's owner; a deny of a member
 *   removes it). One key per agent and zone: the latest word on each application survives
 *   compaction. The owner sends an approval or a denial together with the zone record that
 *   lists the members after it, so a reader that sees only the zone record knows as much.
 *
 * A zone's own topics (`group.<g>.zone.<z>.<kind>`, PROTOCOL.md Topics) are made with the
 * group's topic settings when it is created ({@link createZoneTopics}).
 *
 * The rules that readers apply to them are in zones.ts.
 *
 * @module
 */
import {
  PROTOCOL_VERSION,
  topicsFor,
  topicSpec,
  type TopicSpecOptions,
  ZONE_TOPIC_KINDS,
  zoneKey,
  zoneMemberKey,
  zoneTopic,
} from "../protocol/mod.ts";
import type { OutboundRecord, TopicSpec, Transport } from "../transport/mod.ts";

/** A zone as its record holds it (PROTOCOL.md `Zone`). */
export interface ZoneInfo {
  readonly zone_id: string;
  readonly name: string;
  readonly visibility: "public" | "shared" | "private";
  readonly owner_id: string;
  /** The enclosing zone, or `""` for a top-level zone. */
  readonly parent_zone: string;
  readonly members: readonly string[];
  readonly created_at: string;
}

/** The membership events of a zone. */
export type ZoneEventAction = "zone_join_request" | "zone_join_approve" | "zone_join_deny";

/** One membership event: who asks or is answered, about which zone. */
export interface ZoneEvent {
  readonly action: ZoneEventAction;
  readonly zoneId: string;
  readonly agentId: string;
  readonly reason?: string | undefined;
}

/**
 * An `orchestrator` record keyed `key` on the group's orchestrator topic (a zone's, a zone event's,
 * or a node's: core/orchestrator), sent by `sender`; its correlation id is `<kind>-<uuid>`.
 */
export function orchestratorRecord(
  group: string,
  sender: string,
  key: string,
  payload: Record<string, unknown>,
  now: Date,
  kind: "zone" | "node" = "zone",
): OutboundRecord {
  return {
    topic: topicsFor(group).orchestrator,
    key,
    value: JSON.stringify({
      type: "orchestrator",
      correlation_id: `${kind}-${crypto.randomUUID()}`,
      sender_id: sender,
      timestamp: now.toISOString(),
      protocol: PROTOCOL_VERSION,
      payload,
    }),
  };
}

/**
 * The `zone:<id>` record of `zone` sent by `sender` (its owner), its members sorted and the owner
 * among them; with `deleted`, the record that deletes it.
 */
export function zoneRecord(
  group: string,
  sender: string,
  zone: ZoneInfo & { readonly deleted?: boolean },
  now = new Date(),
): OutboundRecord {
  const { deleted, ...fields } = zone;
  const members = [...new Set([zone.owner_id, ...zone.members])].sort();
  return orchestratorRecord(group, sender, zoneKey(zone.zone_id), {
    action: "zone",
    zone: { ...fields, members },
    ...(deleted ? { deleted: true } : {}),
  }, now);
}

/** The `zone:<zone>:<agent>` record of a membership event, sent by `sender`. */
export function zoneEventRecord(
  group: string,
  sender: string,
  event: ZoneEvent,
  now = new Date(),
): OutboundRecord {
  return orchestratorRecord(group, sender, zoneMemberKey(event.zoneId, event.agentId), {
    action: event.action,
    zone_id: event.zoneId,
    agent_id: event.agentId,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
  }, now);
}

/** The specs of a zone's own topics, made as the group's (partitions, replication). */
export function zoneTopicSpecs(
  group: string,
  zoneId: string,
  options: TopicSpecOptions = {},
): TopicSpec[] {
  return ZONE_TOPIC_KINDS.map((kind) => topicSpec(zoneTopic(group, zoneId, kind), options));
}

/**
 * Makes the zone's topics that do not exist yet; throws when one exists configured otherwise.
 * Returns the names made.
 */
export async function createZoneTopics(
  transport: Transport,
  place: { readonly group: string; readonly zoneId: string },
  options: TopicSpecOptions = {},
): Promise<string[]> {
  const specs = zoneTopicSpecs(place.group, place.zoneId, options);
  const made = await transport.createTopics(specs);
  const problems = await transport.verifyTopics(specs);
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new Error(
      `Cannot use the topics of zone "${place.zoneId}": ${p.topic} has ${p.setting} ${p.actual}, expected ${p.expected}`,
    );
  }
  return made;
}
