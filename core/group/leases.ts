/**
 * When a requester takes a task back from its holder (PROTOCOL.md, semantics 3): a lease lapses
 * only after the holder's lease of silence *and* while the requester's status consumer has no
 * lag, and a task ends `expired` at its deadline. No lag means: every status the requester sent
 * has come back to it on the stream (one not back after three leases counts as lost: a record the
 * broker never kept must not hold every lease forever), and the transport's own measure agrees
 * (the gateway's: the consumer's position against the end of each partition of the task's status
 * and response topics). The echo alone is not enough: a requester that sent nothing lately (it
 * was paused, or its consumer stalled before the holder's last renewals) has nothing to wait for,
 * and would take a silence it has not read yet for the holder's.
 *
 * @module
 */
import type { OutgoingTask } from "../timeline/mod.ts";
import type { LiveWorkers } from "./live_workers.ts";

/** What {@link Leases} are built from. */
export interface LeasesOptions {
  /** Silence after which a lease lapses, in ms. */
  readonly leaseMs: number;
  /** The live workers, whose announced intervals stretch their own leases. */
  readonly workers: LiveWorkers;
  /**
   * Whether the consumer of `task`'s statuses and responses has read everything there is (no
   * lag, as the transport measures it); default: always.
   */
  readonly statusCaughtUp?: ((task: OutgoingTask) => boolean | Promise<boolean>) | undefined;
}

/** The requester's clock on its holders' leases; see the module documentation. */
export class Leases {
  readonly #options: LeasesOptions;
  /** The seq of each status sent and not read back yet, with when it was sent. */
  readonly #out = new Map<number, number>();

  constructor(options: LeasesOptions) {
    this.#options = options;
  }

  /** A status of `seq` was sent at `at`. */
  sent(seq: number, at: number): void {
    this.#out.set(seq, at);
  }

  /** The status of `seq` came back on the stream, or was never sent after all. */
  back(seq: number): void {
    this.#out.delete(seq);
  }

  /**
   * The lease of a holder: `leaseMs`, but never less than 3 of the intervals the holder announced
   * (a slower peer renews more slowly, and stops itself only after 2 of its own intervals).
   */
  leaseOf(holder: string): number {
    const announced = this.#options.workers.live().find((w) => w.agentId === holder)
      ?.heartbeatIntervalMs;
    return Math.max(this.#options.leaseMs, 3 * (announced ?? 0));
  }

  /**
   * Why the lease of `task`'s holder lapsed at `now`, its holder silent since `lastRenewal()`;
   * undefined while it holds (no holder, not silent long enough, or the status consumer lags).
   * The silence is measured again once the consumer is found caught up: what it read meanwhile
   * (a renewal) counts.
   */
  async lapsed(
    task: OutgoingTask,
    lastRenewal: () => number,
    now: number,
  ): Promise<string | undefined> {
    const holder = task.workerId;
    const silent = () => holder !== undefined && now - lastRenewal() > this.leaseOf(holder);
    if (!silent() || !(await this.#caughtUp(task, now)) || !silent()) return undefined;
    return `${holder} sent nothing for attempt ${task.attempt} in ${now - lastRenewal()} ms`;
  }

  async #caughtUp(task: OutgoingTask, now: number): Promise<boolean> {
    for (const [seq, sentAt] of this.#out) {
      if (now - sentAt > 3 * this.#options.leaseMs) this.#out.delete(seq);
    }
    if (this.#out.size > 0) return false;
    return await (this.#options.statusCaughtUp?.(task) ?? true);
  }
}

/**
 * Why `task` ended at `now`, its deadline passed; undefined before its deadline. `absent`: the
 * agent whose inbox it waited in unclaimed, not live in the group at the end.
 */
export function expiry(task: OutgoingTask, now: number, absent?: string): string | undefined {
  if (task.deadlineAt === undefined || task.deadlineAt.getTime() > now) return undefined;
  const who = task.workerId !== undefined
    ? `${task.workerId} held attempt ${task.attempt}`
    : absent !== undefined
    ? `no worker held it; agent "${absent}" is not live in the group: it left, or has not been ` +
      "heard from lately"
    : "no worker held it";
  return `no answer before the deadline ${task.deadlineAt.toISOString()} (${who})`;
}
