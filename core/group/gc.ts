/**
 * `kafclaw group gc`: what an agent leaves behind on the broker after it is gone (PROTOCOL.md,
 * semantics 1) — its inbox topic `group.<g>.agent.<id>.inbox` and its consumer groups
 * `kafclaw.<g>.<id>` and `kafclaw.<g>.<id>.…` — deleted once it has been gone longer than the
 * operator says; and every per-run state group (`….state.<run>`, which earlier builds made on
 * Kafka) that has no member left.
 *
 * An agent is gone since its signed `leave`, or, without one, since it was last seen (its join or
 * last heartbeat; an agent with no heartbeat on the stream counts as seen when the stream begins,
 * the latest it could have been), and only once it is stale (3 of its intervals). Never
 * collected: an agent any of whose consumer groups has a member, one the topics never name (it
 * might be joining), one whose id is a word of the shared groups' names (`skill`, `zone`, …: its
 * groups' names would cover the group's own), and the group's shared topics and groups, which are
 * never even considered.
 *
 * {@link planGc} is pure; {@link runGc} deletes what a plan says.
 *
 * @module
 */
import {
  agentInbox,
  isAgentId,
  isMemberId,
  parseTopic,
  SHARED_GROUP_WORDS,
  topicsFor,
  topicSpec,
} from "../protocol/mod.ts";
import type { GroupInfo } from "../transport/mod.ts";
import { STALE_AFTER } from "./roster.ts";
import type { Sightings } from "./sightings.ts";

/** An agent whose leftovers go. */
export interface Collected {
  readonly agentId: string;
  /** Since when it is gone (ms since the epoch). */
  readonly goneSince: number;
  readonly why: "left" | "silent";
  readonly topics: readonly string[];
  readonly groups: readonly string[];
}

/** What {@link planGc} decided. */
export interface GcPlan {
  readonly collect: readonly Collected[];
  /** Agents with leftovers that stay, and why. */
  readonly kept: readonly { readonly agentId: string; readonly reason: string }[];
  /** Per-run state groups with no member, of agents that are not collected. */
  readonly stateGroups: readonly string[];
}

/** What {@link planGc} decides on. */
export interface GcInput {
  readonly group: string;
  readonly olderThanMs: number;
  readonly now: number;
  readonly sightings: Sightings;
  /** Every topic on the broker (only this group's inboxes are looked at). */
  readonly topics: readonly string[];
  /** The consumer groups of this group (`kafclaw.<g>.…`) with their member counts. */
  readonly groups: readonly GroupInfo[];
}

const SHARED_GROUPS = new Set<string>(SHARED_GROUP_WORDS);
const STATE_RUN = /\.state\.[a-z0-9]+$/;

/** Decides what goes; see the module documentation. */
export function planGc(input: GcInput): GcPlan {
  const { group, now, sightings } = input;
  const prefix = `kafclaw.${group}.`;
  const ids = new Set<string>([...sightings.agents.keys()]);
  const inboxes = new Set<string>();
  for (const topic of input.topics) {
    const info = parseTopic(topic);
    if (info?.role !== "inbox" || info.group !== group) continue;
    inboxes.add(topic);
    ids.add(info.agent);
  }
  const ownerOf = (groupId: string) => groupId.slice(prefix.length).split(".", 1)[0]!;
  for (const g of input.groups) {
    const id = ownerOf(g.groupId);
    if (!SHARED_GROUPS.has(id)) ids.add(id);
  }
  const retention = Number(topicSpec(topicsFor(group).heartbeats).config["retention.ms"]);
  const collect: Collected[] = [];
  const kept: { agentId: string; reason: string }[] = [];
  for (const agentId of [...ids].filter(isAgentId).sort()) {
    const groups = input.groups.filter((g) => ownerOf(g.groupId) === agentId);
    const inbox = agentInbox(group, agentId);
    const topics = inboxes.has(inbox) ? [inbox] : [];
    if (topics.length === 0 && groups.length === 0) continue;
    const keep = (reason: string) => kept.push({ agentId, reason });
    if (!isMemberId(agentId)) {
      keep(`its groups' names would cover the group's shared "${agentId}" groups`);
      continue;
    }
    const busy = groups.find((g) => g.members > 0);
    if (busy !== undefined) {
      keep(`live: ${busy.groupId} has ${busy.members} member(s)`);
      continue;
    }
    const seen = sightings.agents.get(agentId);
    if (seen?.lastAnnounce === undefined) {
      keep("never announced on the group's topics (it may be joining)");
      continue;
    }
    let goneSince: number;
    let why: Collected["why"];
    if (seen.lastAnnounce.action === "leave") {
      why = "left";
      goneSince = Math.max(seen.lastAnnounce.at, seen.lastHeartbeat ?? 0);
    } else {
      why = "silent";
      const heartbeat = seen.lastHeartbeat ?? sightings.heartbeatsFrom ?? now - retention;
      goneSince = Math.max(seen.lastAnnounce.at, heartbeat);
      if (now - goneSince < STALE_AFTER * seen.heartbeatIntervalMs) {
        keep("live: heard from within 3 of its heartbeat intervals");
        continue;
      }
    }
    if (now - goneSince < input.olderThanMs) {
      keep(`${why} ${formatDuration(now - goneSince)} ago, not longer than --older-than`);
      continue;
    }
    collect.push({ agentId, goneSince, why, topics, groups: groups.map((g) => g.groupId) });
  }
  const collected = new Set(collect.flatMap((c) => c.groups));
  const stateGroups = input.groups
    .filter((g) => g.members === 0 && STATE_RUN.test(g.groupId) && !collected.has(g.groupId))
    .map((g) => g.groupId);
  return { collect, kept, stateGroups };
}

/** The deletions a {@link runGc} needs. */
export interface GcAdmin {
  deleteTopics(names: readonly string[]): Promise<void>;
  /** Returns the error of each group not deleted. */
  deleteGroups(groupIds: readonly string[]): Promise<Map<string, string>>;
}

/** Deletes what `plan` says; returns the groups Kafka refused to delete (a member came back). */
export async function runGc(admin: GcAdmin, plan: GcPlan): Promise<Map<string, string>> {
  await admin.deleteTopics(plan.collect.flatMap((c) => c.topics));
  return await admin.deleteGroups([...plan.collect.flatMap((c) => c.groups), ...plan.stateGroups]);
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as the largest unit that fits: `3d`, `5h`, `12m`, `40s`, `250ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms >= UNITS[unit]) return `${Math.floor(ms / UNITS[unit])}${unit}`;
  }
  return `${Math.max(0, Math.round(ms))}ms`;
}
