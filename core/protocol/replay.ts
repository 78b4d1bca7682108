/**
 * The replay table (PROTOCOL.md, Membership and trust, Replay): per sender, the replay ids seen
 * within the timestamp window. A record's replay id is the SHA-256 of its signed bytes.
 *
 * A replay is the same bytes appended again; the same record delivered again is not one. Kafka
 * delivers at least once: after a crash or a rebalance, what was taken but not yet committed comes
 * again, from the same topic, partition and offset, and the agent that took it (restarted on the
 * same home, whose table is kept in SQLite) must handle it, or the task it carries is lost. So
 * each id is remembered with where its record was (`topic@partition:offset`, its place): the id
 * met again at that place is a redelivery and passes; at any other place, or without a place, it
 * is a replay. Kafka gives each record of a partition an offset of its own, so a copy appended
 * again always lands at another place.
 *
 * @module
 */

import { sha256Hex } from "./bytes.ts";

/** When a replay id expires, and the receiver's clock now (both ms since the epoch). */
export interface ReplayTimes {
  readonly expiresAt: number;
  readonly now: number;
}

/** Remembers replay ids per sender for a while. SQLite will hold them in production. */
export interface ReplayStore {
  /**
   * Remembers `id` from `sender` until `expiresAt` (ms since the epoch), met at `place` (see the
   * module documentation). Returns false when the id was already remembered and has not expired at
   * `now`, unless it was remembered at this same place: the record is a replay.
   */
  remember(
    sender: string,
    id: string,
    times: ReplayTimes,
    place?: string,
  ): boolean | Promise<boolean>;
}

/**
 * A {@link ReplayStore} in memory. Expired ids are dropped as new ones arrive, oldest first.
 *
 * @example
 * ```ts
 * import { MemoryReplayStore } from "./replay.ts";
 * const store = new MemoryReplayStore();
 * store.remember("alice", "ab12", { expiresAt: 2_000, now: 1_000 }, "t@0:7"); // true
 * store.remember("alice", "ab12", { expiresAt: 2_000, now: 1_200 }, "t@0:7"); // true: redelivered
 * store.remember("alice", "ab12", { expiresAt: 2_000, now: 1_500 }, "t@0:9"); // false: a replay
 * ```
 */
export class MemoryReplayStore implements ReplayStore {
  #senders = new Map<string, Map<string, { until: number; place: string | undefined }>>();

  /** How many ids are remembered, expired ones not yet dropped included. */
  get size(): number {
    let total = 0;
    for (const seen of this.#senders.values()) total += seen.size;
    return total;
  }

  /** See {@link ReplayStore.remember}. */
  remember(sender: string, id: string, { expiresAt, now }: ReplayTimes, place?: string): boolean {
    let seen = this.#senders.get(sender);
    if (seen === undefined) {
      seen = new Map();
      this.#senders.set(sender, seen);
    }
    // Ids arrive roughly in time order, so the oldest entries expire first.
    for (const [old, { until }] of seen) {
      if (until > now) break;
      seen.delete(old);
    }
    const known = seen.get(id);
    if (known !== undefined && known.until > now) {
      return place !== undefined && known.place === place;
    }
    seen.set(id, { until: expiresAt, place });
    return true;
  }
}

/** The replay id of a record: the SHA-256 (hex) of its signed bytes. */
export function replayId(signed: Uint8Array): Promise<string> {
  return sha256Hex(signed);
}
