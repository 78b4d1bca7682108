/**
 * The gate every turn passes (the loop's `gate`): one session's turns run one at a time across
 * all the processes that share a KAFCLAW_HOME, not only within one process, so two `kafclaw agent`
 * runs on one session never send each other's unanswered questions as history.
 *
 * Entering: the disk must have room (a turn writes), then the session's lease in the timeline is
 * taken, waiting while another process holds it. A holder renews its lease while its turn runs;
 * a holder that died (kill -9, a crash) loses it at once when its run folder shows it dead, else
 * when its lease runs out. A turn its holder left unanswered is then closed with an interrupted
 * mark. Leaving: a turn stopped by an {@link Interruption} (SIGTERM) is marked so, and the lease
 * is given up.
 *
 * @module
 */
import { sleep } from "../provider/mod.ts";
import { requireFreeSpace, type SessionLeaseStore } from "../timeline/mod.ts";
import type { SessionStore } from "./sessions.ts";

/** Entered before a turn of `sessionKey`; disposing of what it returns leaves. */
export type TurnGate = (sessionKey: string, signal: AbortSignal) => Promise<AsyncDisposable>;

/** The reason to abort a turn with when the process is being stopped (SIGTERM), not cancelled. */
export class Interruption extends Error {
  override name = "Interruption";
}

/** What {@link sessionGate} works with. */
export interface SessionGateOptions {
  readonly leases: SessionLeaseStore;
  readonly sessions: SessionStore;
  /** Names this process to the others (its run folder). */
  readonly owner: string;
  /** Whether the process named by an owner still lives. */
  readonly alive: (owner: string) => Promise<boolean>;
  /** KAFCLAW_HOME: a turn starts only with room on its disk. */
  readonly home: string;
  /** How long a lease lasts unless renewed (default 30 s); renewed every third of it. */
  readonly leaseMs?: number;
  /** How often a waiting turn looks again (default 250 ms). */
  readonly pollMs?: number;
  /** Told once per turn that waits for another process's turn on the session. */
  readonly onWait?: (sessionKey: string) => void;
  /** Told when a lease was lost while its turn ran (the process stalled past its lease). */
  readonly onLost?: (sessionKey: string) => void;
}

/** What a turn left without an answer is marked with when the next one starts. */
export const UNANSWERED = "the turn stopped before answering (its process ended)";

/** The gate of one agent process. */
export function sessionGate(options: SessionGateOptions): TurnGate {
  const { leases, sessions, owner } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const lease = (replacing?: string) => ({
    owner,
    until: new Date(Date.now() + leaseMs),
    ...(replacing === undefined ? {} : { replacing }),
  });
  // The first try writes at once: a session's lease is mostly free, and taking it is then one
  // statement. Later tries read first: a waiting process only writes when taking may succeed.
  const take = async (key: string, first: boolean): Promise<boolean> => {
    if (first && leases.take(key, lease())) return true;
    const holder = leases.holder(key);
    if (holder === undefined || holder.owner === owner || holder.until <= new Date()) {
      return leases.take(key, lease());
    }
    if (await options.alive(holder.owner)) return false;
    return leases.take(key, lease(holder.owner));
  };
  return async (key, signal) => {
    requireFreeSpace(options.home);
    let waited = false;
    while (!await take(key, !waited)) {
      if (!waited) options.onWait?.(key);
      waited = true;
      await sleep(options.pollMs ?? 250, signal);
    }
    const renew = setInterval(() => {
      try {
        if (!leases.take(key, lease())) options.onLost?.(key);
      } catch {
        // A busy or full database: the next renewal tries again before the lease runs out.
      }
    }, leaseMs / 3);
    Deno.unrefTimer(renew);
    // Leaving never throws: a turn's own error (a full disk) is what its caller must see, and a
    // lease that cannot be given up runs out by itself.
    const leave = async () => {
      clearInterval(renew);
      if (signal.aborted && signal.reason instanceof Interruption) {
        await sessions.markInterrupted(key, signal.reason.message).catch(() => {});
      }
      try {
        leases.release(key, owner);
      } catch {
        // See above.
      }
    };
    try {
      await sessions.closeUnanswered(key, UNANSWERED);
    } catch (error) {
      await leave();
      throw error;
    }
    return { [Symbol.asyncDispose]: leave };
  };
}
