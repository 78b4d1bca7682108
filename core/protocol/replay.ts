/**
 * The replay table (PROTOCOL.md, Membership and trust, Replay): per sender, the replay ids seen
 * within the timestamp window. A record's replay id is the SHA-256 of its signed bytes.
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
   * Remembers `id` from `sender` until `expiresAt` (ms since the epoch). Returns false when the id
   * was already remembered and has not expired at `now`: the record is a replay.
   */
  remember(sender: string, id: string, times: ReplayTimes): boolean | Promise<boolean>;
}

/**
 * A {@link ReplayStore} in memory. Expired ids are dropped as new ones arrive, oldest first.
 *
 * @example
 * ```ts
 * import { MemoryReplayStore } from "./replay.ts";
 * const store = new MemoryReplayStore();
 * store.remember("alice", "ab12", { expiresAt: 2_000, now: 1_000 }); // true
 * store.remember("alice", "ab12", { expiresAt: 2_000, now: 1_500 }); // false: a replay
 * ```
 */
export class MemoryReplayStore implements ReplayStore {
  #senders = new Map<string, Map<string, number>>();

  /** How many ids are remembered, expired ones not yet dropped included. */
  get size(): number {
    let total = 0;
    for (const seen of this.#senders.values()) total += seen.size;
    return total;
  }

  /** See {@link ReplayStore.remember}. */
  remember(sender: string, id: string, { expiresAt, now }: ReplayTimes): boolean {
    let seen = this.#senders.get(sender);
    if (seen === undefined) {
      seen = new Map();
      this.#senders.set(sender, seen);
    }
    // Ids arrive roughly in time order, so the oldest entries expire first.
    for (const [old, until] of seen) {
      if (until > now) break;
      seen.delete(old);
    }
    const until = seen.get(id);
    if (until !== undefined && until > now) return false;
    seen.set(id, expiresAt);
    return true;
  }
}

/** The replay id of a record: the SHA-256 (hex) of its signed bytes. */
export function replayId(signed: Uint8Array): Promise<string> {
  return sha256Hex(signed);
}
