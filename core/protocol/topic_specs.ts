/**
 * How each topic is meant to be configured, for the transport's creation and start-up
 * verification (PROTOCOL.md, Topics), and the consumer group names (semantics 1).
 *
 * | role | kind | partitions | cleanup |
 * |---|---|---|---|
 * | announce, control.roster, orchestrator, skills | state | 1 | compact, segment.ms 1 h, LogAppendTime |
 * | heartbeats | stream | 3 | delete, 6 h |
 * | requests, skill.<s>.requests, zone.<z>.requests | work | 12 | delete, 7 days |
 * | control.onboarding | work | 3 | delete, 7 days |
 * | agent.<id>.inbox | work | 1 | delete, 7 days |
 * | zone.<z>.inbox | work | 3 | delete, 7 days |
 * | responses, tasks.status, traces (and the zones') | stream | 3 | delete, 7 days |
 * | observe.audit | stream | 3 | delete, 30 days |
 * | memory.shared, zone.<z>.memory | stream | 3 | delete, 90 days |
 * | memory.context | stream | 3 | delete, 1 day |
 * | dead-letter (and the zones') | stream | 3 | delete, 14 days |
 *
 * State topics are small and read whole by every agent: one partition keeps them in one order.
 * Work topics have 12 partitions, enough for the expected workers of one shared group; the
 * onboarding topic has few sponsors and little traffic; an inbox has one reader. A zone's inbox is read by each member through its own group, as a stream
 * is. Streams have 3.
 * Partition counts never change after creation (that would move keys to other partitions). Every
 * topic allows 2 MiB per record, above the 1 MiB value limit plus headers and certificates.
 *
 * @module
 */

import {
  agentInbox,
  type GroupTopic,
  isAgentId,
  isGroupId,
  isId,
  parseTopic,
  skillRequests,
  type TopicInfo,
  topicsFor,
  ZONE_TOPIC_KINDS,
  zoneTopic,
  type ZoneTopicKind,
} from "./topics.ts";
import { quote } from "./errors.ts";

/** How a topic is consumed: see the Transport's subscription kinds. */
export type TopicKind = "state" | "stream" | "work";

/** A topic with its intended configuration. */
export interface TopicSpec {
  readonly name: string;
  readonly kind: TopicKind;
  readonly partitions: number;
  /** Absent: the broker's default. */
  readonly replicationFactor?: number;
  /** Topic-level configs, e.g. `{"cleanup.policy": "compact"}`. */
  readonly config: Readonly<Record<string, string>>;
}

/** Options of {@link topicSpec} and {@link topicSpecs}. */
export interface TopicSpecOptions {
  /** Partitions of the shared work topics (requests, skill and zone requests). Default 12. */
  readonly workPartitions?: number;
  readonly replicationFactor?: number;
  /** Sets `min.insync.replicas` on every topic. */
  readonly minInsyncReplicas?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The largest record a topic takes, in bytes. */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

type Role = GroupTopic | "skillRequests" | "inbox" | `zone.${ZoneTopicKind}`;

interface RoleSpec {
  readonly kind: TopicKind;
  readonly partitions: number | "work";
  readonly retentionMs?: number;
}

const STATE: RoleSpec = { kind: "state", partitions: 1 };
const SHARED_WORK: RoleSpec = { kind: "work", partitions: "work", retentionMs: 7 * DAY };
const stream = (retentionMs: number): RoleSpec => ({ kind: "stream", partitions: 3, retentionMs });

const ROLE_SPECS: Readonly<Record<Role, RoleSpec>> = {
  announce: STATE,
  roster: STATE,
  orchestrator: STATE,
  skills: STATE,
  heartbeats: stream(6 * HOUR),
  onboarding: { kind: "work", partitions: 3, retentionMs: 7 * DAY },
  requests: SHARED_WORK,
  skillRequests: SHARED_WORK,
  inbox: { kind: "work", partitions: 1, retentionMs: 7 * DAY },
  responses: stream(7 * DAY),
  tasksStatus: stream(7 * DAY),
  traces: stream(7 * DAY),
  audit: stream(30 * DAY),
  memoryShared: stream(90 * DAY),
  memoryContext: stream(DAY),
  deadLetter: stream(14 * DAY),
  "zone.requests": SHARED_WORK,
  // Every member reads it through a group of its own, as streams are read.
  "zone.inbox": { kind: "work", partitions: 3, retentionMs: 7 * DAY },
  "zone.responses": stream(7 * DAY),
  "zone.tasks.status": stream(7 * DAY),
  "zone.traces": stream(7 * DAY),
  "zone.memory": stream(90 * DAY),
  "zone.dead-letter": stream(14 * DAY),
};

/** The kind of a topic of this protocol (state, stream or work), or undefined for another name. */
export function topicKind(name: string): TopicKind | undefined {
  const info = parseTopic(name);
  if (info === undefined) return undefined;
  return ROLE_SPECS[roleOf(info)].kind;
}

function roleOf(info: TopicInfo): Role {
  return info.role === "zone" ? `zone.${info.kind}` : info.role;
}

/**
 * The intended spec of one topic of this protocol. Throws a TypeError for any other name.
 *
 * @example
 * ```ts
 * import { topicSpec } from "./topic_specs.ts";
 * topicSpec("group.g1.control.roster").config["cleanup.policy"]; // "compact"
 * ```
 */
export function topicSpec(name: string, options: TopicSpecOptions = {}): TopicSpec {
  const info = parseTopic(name);
  if (info === undefined) {
    throw new TypeError(`Cannot make a topic spec: ${quote(name)} is not a KafClaw topic`);
  }
  const { kind, partitions, retentionMs } = ROLE_SPECS[roleOf(info)];
  const config: Record<string, string> = { "max.message.bytes": String(MAX_MESSAGE_BYTES) };
  if (kind === "state") {
    config["cleanup.policy"] = "compact";
    config["segment.ms"] = String(HOUR);
    config["message.timestamp.type"] = "LogAppendTime";
  } else {
    config["cleanup.policy"] = "delete";
    config["retention.ms"] = String(retentionMs);
  }
  if (options.minInsyncReplicas !== undefined) {
    config["min.insync.replicas"] = String(options.minInsyncReplicas);
  }
  const spec = {
    name,
    kind,
    partitions: partitions === "work" ? options.workPartitions ?? 12 : partitions,
    config,
  };
  return options.replicationFactor === undefined
    ? spec
    : { ...spec, replicationFactor: options.replicationFactor };
}

/** What {@link topicSpecs} should include beyond the group-wide topics. */
export interface GroupTopicSpecOptions extends TopicSpecOptions {
  readonly skills?: readonly string[];
  readonly zones?: readonly string[];
  /** Agents whose inboxes to include. */
  readonly agents?: readonly string[];
}

/** The specs of a group's topics: the group-wide ones, plus those of the given skills, zones and agents. */
export function topicSpecs(group: string, options: GroupTopicSpecOptions = {}): TopicSpec[] {
  const { skills = [], zones = [], agents = [] } = options;
  const names = [
    ...Object.values(topicsFor(group)),
    ...skills.map((skill) => skillRequests(group, skill)),
    ...zones.flatMap((zone) => ZONE_TOPIC_KINDS.map((kind) => zoneTopic(group, zone, kind))),
    ...agents.map((agent) => agentInbox(group, agent)),
  ];
  return names.map((name) => topicSpec(name, options));
}

function prefix(group: string): string {
  if (!isGroupId(group)) {
    throw new TypeError(`Cannot name a consumer group: group id ${quote(group)} is not valid`);
  }
  return `kafclaw.${group}`;
}

/**
 * The words after `kafclaw.<g>.` that begin the names of consumer groups several agents share:
 * `workers`, `sponsors` and `skill.<s>` (PROTOCOL.md), and this implementation's `zone.<z>` (a
 * zone's requests) and `reader` (a one-shot reader of the state topics). An agent with one of them
 * as its id would have its own groups (`kafclaw.<g>.<id>`, `kafclaw.<g>.<id>.inbox`, …) named as,
 * or under, a shared one: a skill or zone called `inbox` would share its group with that agent's
 * inbox, and the agent's ACLs (prefixed by its groups' names) would reach every skill's or zone's.
 */
export const SHARED_GROUP_WORDS = ["workers", "sponsors", "skill", "zone", "reader"] as const;

/**
 * Whether `id` may be a member's id in a group of ours: an agent id (PROTOCOL.md reserves `owner`,
 * `workers` and `sponsors`) that is none of {@link SHARED_GROUP_WORDS} either. An agent joins, is
 * admitted, sponsored, given ACLs and collected only under such an id; a record from another agent
 * id is still read as the protocol says.
 */
export function isMemberId(id: string): boolean {
  return isAgentId(id) && !(SHARED_GROUP_WORDS as readonly string[]).includes(id);
}

/** What {@link isMemberId} asks, in words for an error. */
export const MEMBER_ID_RULE = "a-z, 0-9, _ and - (starting with a letter or digit), at most 64, " +
  "and not owner, workers, sponsors, skill, zone or reader";

/** An agent's own consumer group, for streams: `kafclaw.<g>.<agent_id>`. */
export function agentConsumerGroup(group: string, agentId: string): string {
  if (!isMemberId(agentId)) {
    throw new TypeError(`Cannot name a consumer group: agent id ${quote(agentId)} is not valid`);
  }
  return `${prefix(group)}.${agentId}`;
}

/** The shared group of the workers on `requests`: `kafclaw.<g>.workers`. */
export function workersConsumerGroup(group: string): string {
  return `${prefix(group)}.workers`;
}

/** The shared group of a skill's workers: `kafclaw.<g>.skill.<s>`. */
export function skillConsumerGroup(group: string, skill: string): string {
  if (!isId(skill)) {
    throw new TypeError(`Cannot name a consumer group: skill ${quote(skill)} is not valid`);
  }
  return `${prefix(group)}.skill.${skill}`;
}

/** The shared group of the sponsors on `control.onboarding`: `kafclaw.<g>.sponsors`. */
export function sponsorsConsumerGroup(group: string): string {
  return `${prefix(group)}.sponsors`;
}
