/**
 * Session leases: one holder per session at a time among the processes that share a
 * KAFCLAW_HOME, so that a session's turns never interleave. Taking a lease is one conditional
 * upsert, atomic under SQLite's write lock, as the scheduler's job leases are; a holder extends
 * its lease while it works, and a lease that ran out (its holder crashed) can be taken by anyone.
 *
 * @module
 */
import type { Db } from "./_db.ts";
import { date, text } from "./_row.ts";

/** A lease request: who takes it and until when. */
export interface SessionLease {
  readonly owner: string;
  readonly until: Date;
  /** Default: the clock's now. */
  readonly now?: Date;
  /** Also take it from this holder, whose lease has not run out (it is known to be gone). */
  readonly replacing?: string;
}

/** Who holds a session, until when. */
export interface SessionHolder {
  readonly owner: string;
  readonly until: Date;
}

/** The `sessionLeases` repository of a Timeline. */
export class SessionLeaseStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Takes the session's lease when nobody holds it, its lease ran out, or its holder is
   * `lease.replacing`; extends it when `lease.owner` holds it. Returns whether `owner` now holds it.
   */
  take(sessionKey: string, lease: SessionLease): boolean {
    const now = lease.now ?? this.#db.now();
    return this.#db.run(
      `INSERT INTO session_leases (session_key, owner, lease_until, taken_at)
        VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (session_key) DO UPDATE SET owner = ?2, lease_until = ?3,
          taken_at = CASE WHEN owner = ?2 THEN taken_at ELSE ?4 END
        WHERE lease_until <= ?4 OR owner = ?2 OR owner = ?5`,
      sessionKey,
      lease.owner,
      lease.until,
      now,
      lease.replacing ?? null,
    ) === 1;
  }

  /** Who holds the session's lease (run out or not), if anyone. */
  holder(sessionKey: string): SessionHolder | undefined {
    const row = this.#db.get("SELECT * FROM session_leases WHERE session_key = ?", sessionKey);
    return row && { owner: text(row, "owner"), until: date(row, "lease_until") };
  }

  /** Gives the lease up. Returns whether `owner` held it. */
  release(sessionKey: string, owner: string): boolean {
    return this.#db.run(
      "DELETE FROM session_leases WHERE session_key = ? AND owner = ?",
      sessionKey,
      owner,
    ) === 1;
  }
}
