/**
 * The roster: who is in the group and how each member is doing (PROTOCOL.md, semantics 6). An
 * agent is known from its `announce` join (its identity) until its signed `leave`; it is live
 * while its heartbeats come. Each member is judged by the interval it announced: silent for 3 of
 * its intervals it is `stale`, for 6 it is removed from the live roster, though its identity is
 * kept, so a heartbeat brings it back. A heartbeat that arrives before the announce (nothing is
 * ordered across topics) is held until the announce comes.
 *
 * Pure logic on times given by the caller; the membership (membership.ts) feeds it records and
 * keeps SQLite in step with what {@link Roster.sweep} and the updates report.
 *
 * @module
 */
import { type AgentIdentity, type EnvelopeOf, REMOVE_AFTER, STALE_AFTER } from "../protocol/mod.ts";

/** The payload of a `heartbeat` record. */
export type Heartbeat = EnvelopeOf<"heartbeat">["payload"];

/** A member as the roster knows it. */
export interface Member {
  readonly agentId: string;
  readonly identity: AgentIdentity;
  /** `active` while heartbeats come; `stale` after 3 silent intervals. */
  readonly status: "active" | "stale";
  readonly heartbeatIntervalMs: number;
  /** When it was last heard from (ms since the epoch). */
  readonly lastSeen: number;
  readonly load: { readonly running: number; readonly capacity: number };
  readonly skills: readonly string[];
  readonly expertise: Readonly<Record<string, number>>;
}

/** What changed in the roster. */
export interface RosterChange {
  readonly agentId: string;
  /** `updated`: joined, heard from again, or back from stale or removal. */
  readonly kind: "updated" | "stale" | "removed" | "left";
}

// The protocol's counts of silent intervals, exported with the roster that applies them.
export { REMOVE_AFTER, STALE_AFTER };

/** Who is in the group; see the module documentation. */
export class Roster {
  readonly #identities = new Map<string, AgentIdentity>();
  readonly #members = new Map<string, Member>();
  readonly #early = new Map<string, { heartbeat: Heartbeat; at: number }>();

  /** An agent joined (or announced itself again) at `at`. */
  join(identity: AgentIdentity, at: number): RosterChange {
    const agentId = identity.agent_id;
    this.#identities.set(agentId, identity);
    const old = this.#members.get(agentId);
    const early = this.#early.get(agentId);
    this.#early.delete(agentId);
    const member: Member = {
      agentId,
      identity,
      status: "active",
      heartbeatIntervalMs: identity.heartbeat_interval_ms,
      lastSeen: Math.max(at, old?.lastSeen ?? at),
      load: old?.load ?? { running: 0, capacity: 0 },
      skills: old?.skills ?? identity.skills,
      expertise: old?.expertise ?? {},
    };
    this.#members.set(agentId, member);
    if (early !== undefined) this.heartbeat(early.heartbeat, early.at);
    return { agentId, kind: "updated" };
  }

  /** An agent left: it is gone at once, identity and all. Undefined when it was unknown. */
  leave(agentId: string): RosterChange | undefined {
    this.#early.delete(agentId);
    const known = this.#identities.delete(agentId);
    this.#members.delete(agentId);
    return known ? { agentId, kind: "left" } : undefined;
  }

  /** A heartbeat sent at `at`. Undefined when its agent has not announced itself yet. */
  heartbeat(heartbeat: Heartbeat, at: number): RosterChange | undefined {
    const agentId = heartbeat.agent_id;
    const identity = this.#identities.get(agentId);
    if (identity === undefined) {
      const held = this.#early.get(agentId);
      if (held === undefined || held.at < at) this.#early.set(agentId, { heartbeat, at });
      return undefined;
    }
    const old = this.#members.get(agentId);
    if (old !== undefined && old.lastSeen > at) return undefined;
    this.#members.set(agentId, {
      agentId,
      identity,
      status: "active",
      heartbeatIntervalMs: heartbeat.heartbeat_interval_ms,
      lastSeen: at,
      load: { running: heartbeat.load.running, capacity: heartbeat.load.capacity },
      skills: heartbeat.skills,
      expertise: heartbeat.expertise ?? {},
    });
    return { agentId, kind: "updated" };
  }

  /** Marks members silent for 3 of their intervals stale, and removes those silent for 6. */
  sweep(now: number): RosterChange[] {
    const changes: RosterChange[] = [];
    for (const member of [...this.#members.values()]) {
      const silent = now - member.lastSeen;
      if (silent >= REMOVE_AFTER * member.heartbeatIntervalMs) {
        this.#members.delete(member.agentId);
        changes.push({ agentId: member.agentId, kind: "removed" });
      } else if (member.status === "active" && silent >= STALE_AFTER * member.heartbeatIntervalMs) {
        this.#members.set(member.agentId, { ...member, status: "stale" });
        changes.push({ agentId: member.agentId, kind: "stale" });
      }
    }
    return changes;
  }

  /** A member on the roster (active or stale), if any. */
  get(agentId: string): Member | undefined {
    return this.#members.get(agentId);
  }

  /** Every member on the roster, active and stale, by id. */
  members(): Member[] {
    return [...this.#members.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
  }
}
