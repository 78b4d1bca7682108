/**
 * Members that died, taken out of routing at once and off the skills' records (PROTOCOL.md,
 * semantics 3, 4 and 6, and `skill`).
 *
 * The roster already keeps a silent member out of {@link LiveWorkers.live} once it is stale (3 of
 * its intervals), and one that left at once. Two things were missing:
 *
 * - A holder whose lease lapsed is known dead to the requester before the roster says so (the
 *   lease and the heartbeats are separate streams, and a hung worker may still beat). Only that
 *   task skipped it: the next retry or declined task of another could be sent to its inbox, to
 *   wait there a whole lease again. {@link GoneWorkers.lapsed} takes it out of routing for every
 *   task until it is heard from again (a heartbeat after the lapse).
 * - A member that died without a word stayed on the `skill` records, where foreign requesters
 *   and `group skills` read providers. {@link GoneWorkers.watch} sees members leave the live set
 *   (stale, removed or left) and tells `onGone`, which takes them off the records (skills.ts,
 *   {@link Skills.drop}); a lapsed holder is told at once too. Any member may write a `skill`
 *   record (its key names no agent), and one that comes back writes itself in again.
 *
 * @module
 */
import type { RequesterAudit } from "./requester.ts";
import type { LiveWorker, LiveWorkers } from "./live_workers.ts";

/** A live member as the roster has it: what routing reads, and when it was last heard from. */
export interface HeardWorker extends LiveWorker {
  /** ms since the epoch. */
  readonly lastSeen: number;
}

/** What {@link GoneWorkers} is built from. */
export interface GoneWorkersOptions {
  /** Told of each member found gone (once per going). */
  readonly onGone?: (agentId: string) => void;
  /** ms since the epoch. */
  readonly now?: () => number;
}

/** The live members minus those found dead; see the module documentation. */
export class GoneWorkers implements LiveWorkers {
  readonly #roster: { live(): readonly HeardWorker[] };
  readonly #options: GoneWorkersOptions;
  /** Holders whose lease lapsed, and when. */
  readonly #lapsed = new Map<string, number>();
  /** Who was live at the last {@link watch}. */
  #seen = new Set<string>();

  constructor(roster: { live(): readonly HeardWorker[] }, options: GoneWorkersOptions = {}) {
    this.#roster = roster;
    this.#options = options;
    this.#seen = new Set(roster.live().map((w) => w.agentId));
  }

  /** The live members, without lapsed holders not heard from since their lapse. */
  live(): HeardWorker[] {
    return this.#roster.live().filter((worker) => {
      const at = this.#lapsed.get(worker.agentId);
      if (at === undefined) return true;
      if (worker.lastSeen <= at) return false;
      this.#lapsed.delete(worker.agentId);
      return true;
    });
  }

  /** The lease of `agentId` lapsed: out of routing until it is heard from again. */
  lapsed(agentId: string): void {
    this.#lapsed.set(agentId, (this.#options.now ?? Date.now)());
    this.#seen.delete(agentId);
    this.#options.onGone?.(agentId);
  }

  /**
   * A requester's audit that also takes the holder of a lapsed lease out of routing: `holder`
   * reads who held the task (the store still says it when the lapse is told).
   */
  lapses(
    holder: (taskId: string) => string | undefined,
    audit: (event: RequesterAudit) => void,
  ): (event: RequesterAudit) => void {
    return (event) => {
      const worker = event.event === "lease_lapsed" ? holder(event.taskId) : undefined;
      if (worker !== undefined) this.lapsed(worker);
      audit(event);
    };
  }

  /** Compares the live members with the last look: those that left it are gone. Returns them. */
  watch(): string[] {
    const now = new Set(this.live().map((w) => w.agentId));
    const gone = [...this.#seen].filter((id) => !now.has(id)).sort();
    this.#seen = now;
    for (const agentId of gone) this.#options.onGone?.(agentId);
    return gone;
  }
}
