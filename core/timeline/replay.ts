/**
 * The protocol's replay table in SQLite (PROTOCOL.md, Membership and trust, Replay): per sender,
 * the replay ids seen within the timestamp window, shared by every process on one KAFCLAW_HOME
 * and kept across restarts. Times are milliseconds since the epoch, as in the protocol.
 *
 * @module
 */
import type { ReplayStore, ReplayTimes } from "../protocol/mod.ts";
import type { Db } from "./_db.ts";
import { int } from "./_row.ts";

/** The `replay` repository of a Timeline: a {@link ReplayStore}. */
export class ReplayTable implements ReplayStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Remembers `id` from `sender` until `expiresAt`, met at `place`. Returns false when the id is
   * already remembered and has not expired at `now`, unless at this same place (a redelivery,
   * core/protocol replay.ts): the record is a replay. One statement, so of two processes that
   * meet one id at two places at once, only one accepts it.
   */
  remember(sender: string, id: string, { expiresAt, now }: ReplayTimes, place?: string): boolean {
    // A place of NULL equals nothing, not even another NULL: without one, a repeat is a replay.
    return this.#db.run(
      `INSERT INTO replay_ids (sender, id, expires_at, place) VALUES (?1, ?2, ?3, ?5)
        ON CONFLICT (sender, id) DO UPDATE SET expires_at = ?3, place = ?5
        WHERE expires_at <= ?4 OR place = ?5`,
      sender,
      id,
      expiresAt,
      now,
      place ?? null,
    ) === 1;
  }

  /** Forgets the ids that expired at or before `now`; returns how many. */
  purgeExpired(now: number): number {
    return this.#db.run("DELETE FROM replay_ids WHERE expires_at <= ?", now);
  }

  /** How many ids are remembered (expired ones not yet purged included). */
  count(): number {
    return int(this.#db.get("SELECT count(*) AS n FROM replay_ids")!, "n");
  }
}
