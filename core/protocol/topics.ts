/**
 * Topic names of a group (PROTOCOL.md, Topics), built only from validated ids, and read back.
 * Every id has the charset of `fields.ts` ({@link ID_PATTERN}, {@link GROUP_ID_PATTERN}): none
 * holds a `.`, so a name built from input can never pose as another topic, and {@link parseTopic}
 * reads every name in exactly one way.
 *
 * @module
 */

import { quote } from "./errors.ts";
import { GROUP_ID_PATTERN, ID_PATTERN } from "./fields.ts";

/**
 * Ids no agent may have: `owner` signs as the group's owner; `workers` and `sponsors` would give
 * an agent's own consumer group (`kafclaw.<g>.<agent_id>`) the name of a shared one.
 */
export const RESERVED_AGENT_IDS = ["owner", "workers", "sponsors"] as const;

/** The id with which the group's owner signs (`kc-key-id`) and issues certificates (`issuer_id`). */
export const OWNER_ID = "owner";

/** Whether a string may be a group id. */
export function isGroupId(id: string): boolean {
  return GROUP_ID_PATTERN.test(id);
}

/** Whether a string may be a skill or zone id. */
export function isId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Whether a string may be an agent's id: an id that is not reserved. */
export function isAgentId(id: string): boolean {
  return ID_PATTERN.test(id) && !(RESERVED_AGENT_IDS as readonly string[]).includes(id);
}

/** Whether Kafka accepts a topic name: 1-249 of `a-z A-Z 0-9 . _ -`, and not `.` or `..`. */
export function isLegalTopicName(name: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== "." && name !== "..";
}

/** The group-wide topics, by role, as the suffix after `group.<g>.`. */
export const GROUP_TOPICS = {
  announce: "announce",
  roster: "control.roster",
  onboarding: "control.onboarding",
  heartbeats: "heartbeats",
  requests: "requests",
  responses: "responses",
  tasksStatus: "tasks.status",
  traces: "traces",
  audit: "observe.audit",
  memoryShared: "memory.shared",
  memoryContext: "memory.context",
  orchestrator: "orchestrator",
  skills: "skills",
  deadLetter: "dead-letter",
} as const;

/** The role of a group-wide topic. */
export type GroupTopic = keyof typeof GROUP_TOPICS;

/** A group's topic names, by role. */
export type GroupTopics = { readonly [R in GroupTopic]: string };

/**
 * The topics a zone has of its own: `group.<g>.zone.<z>.<kind>`. `inbox` is the zone's targeted
 * work: a zone task's request addressed to one member (`target_id`) and the grants and
 * revocations of a zone task (`worker_id`); every member reads it and acts on what names it.
 */
export const ZONE_TOPIC_KINDS = [
  "requests",
  "inbox",
  "responses",
  "tasks.status",
  "traces",
  "memory",
  "dead-letter",
] as const;

/** The kind of a zone topic. */
export type ZoneTopicKind = typeof ZONE_TOPIC_KINDS[number];

function checked(what: string, value: string, valid: (value: string) => boolean): string {
  if (!valid(value)) {
    throw new TypeError(`Cannot build a topic name: ${what} ${quote(value)} is not valid`);
  }
  return value;
}

/**
 * All group-wide topic names of a group. Throws a TypeError for an invalid group id.
 *
 * @example
 * ```ts
 * import { topicsFor } from "./topics.ts";
 * topicsFor("g1").tasksStatus; // "group.g1.tasks.status"
 * ```
 */
export function topicsFor(group: string): GroupTopics {
  const known = TOPICS_OF.get(group);
  if (known !== undefined) return known;
  const prefix = `group.${checked("group id", group, isGroupId)}.`;
  const entries = Object.entries(GROUP_TOPICS).map(([role, suffix]) => [role, prefix + suffix]);
  const topics = Object.freeze(Object.fromEntries(entries)) as GroupTopics;
  // A process names a group or a few, each on the way to every task record it builds: made once.
  if (TOPICS_OF.size >= TOPICS_KEPT) TOPICS_OF.clear();
  TOPICS_OF.set(group, topics);
  return topics;
}

/** The topic names of the groups named last (at most {@link TOPICS_KEPT}), by group id. */
const TOPICS_OF = new Map<string, GroupTopics>();
const TOPICS_KEPT = 64;

/** The work topic of a skill: `group.<g>.skill.<s>.requests`. */
export function skillRequests(group: string, skill: string): string {
  return `group.${checked("group id", group, isGroupId)}.skill.${
    checked("skill", skill, isId)
  }.requests`;
}

/** An agent's inbox (targeted work and grants): `group.<g>.agent.<id>.inbox`. */
export function agentInbox(group: string, agentId: string): string {
  return `group.${checked("group id", group, isGroupId)}.agent.${
    checked("agent id", agentId, isAgentId)
  }.inbox`;
}

/** One of a zone's own topics: `group.<g>.zone.<z>.<kind>`. */
export function zoneTopic(group: string, zone: string, kind: ZoneTopicKind): string {
  checked(
    "zone topic kind",
    kind,
    (value) => (ZONE_TOPIC_KINDS as readonly string[]).includes(value),
  );
  return `group.${checked("group id", group, isGroupId)}.zone.${
    checked("zone id", zone, isId)
  }.${kind}`;
}

/** What a topic name says: its group and its role, with the skill, agent or zone it belongs to. */
export type TopicInfo =
  | { readonly group: string; readonly role: GroupTopic }
  | { readonly group: string; readonly role: "skillRequests"; readonly skill: string }
  | { readonly group: string; readonly role: "inbox"; readonly agent: string }
  | {
    readonly group: string;
    readonly role: "zone";
    readonly zone: string;
    readonly kind: ZoneTopicKind;
  };

const SUFFIX_ROLES = new Map<string, GroupTopic>(
  Object.entries(GROUP_TOPICS).map(([role, suffix]) => [suffix, role as GroupTopic]),
);

const TOPIC = /^group\.([^.]+)\.(.+)$/;
const SKILL = /^skill\.([^.]+)\.requests$/;
const INBOX = /^agent\.([^.]+)\.inbox$/;
const ZONE = /^zone\.([^.]+)\.(requests|inbox|responses|tasks\.status|traces|memory|dead-letter)$/;

/**
 * Reads a topic name of this protocol, or returns undefined for any other name.
 *
 * @example
 * ```ts
 * import { parseTopic } from "./topics.ts";
 * parseTopic("group.g1.zone.lab.tasks.status"); // { group: "g1", role: "zone", zone: "lab", kind: "tasks.status" }
 * ```
 */
export function parseTopic(name: string): TopicInfo | undefined {
  const m = TOPIC.exec(name);
  if (m === null || !isGroupId(m[1] as string)) return undefined;
  const group = m[1] as string;
  const rest = m[2] as string;
  const role = SUFFIX_ROLES.get(rest);
  if (role !== undefined) return { group, role };
  const skill = SKILL.exec(rest)?.[1];
  if (skill !== undefined) return isId(skill) ? { group, role: "skillRequests", skill } : undefined;
  const agent = INBOX.exec(rest)?.[1];
  if (agent !== undefined) return isAgentId(agent) ? { group, role: "inbox", agent } : undefined;
  const zone = ZONE.exec(rest);
  if (zone === null || !isId(zone[1] as string)) return undefined;
  return { group, role: "zone", zone: zone[1] as string, kind: zone[2] as ZoneTopicKind };
}

/** The zone a topic of this protocol belongs to, when it is one of a zone's own topics. */
export function topicZone(name: string): string | undefined {
  const where = parseTopic(name);
  return where?.role === "zone" ? where.zone : undefined;
}

/**
 * Where a work consumer writes the dead-letter record of a poison record read from `topic`: the
 * zone's dead-letter topic for a zone topic, the group's otherwise; undefined for a name that is
 * not of this protocol.
 */
export function deadLetterTopicFor(topic: string): string | undefined {
  const info = parseTopic(topic);
  if (info === undefined) return undefined;
  return info.role === "zone"
    ? zoneTopic(info.group, info.zone, "dead-letter")
    : topicsFor(info.group).deadLetter;
}
