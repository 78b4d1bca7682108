/**
 * Runtime settings: string values by key (`daily_token_limit`, `approval_timeout_seconds`,
 * `silent_mode` …) that the dashboard and CLI change while the agent runs.
 *
 * @module
 */
import type { Db } from "./_db.ts";
import { text } from "./_row.ts";

/**
 * When this home's gateway last looked for the tasks `kafclaw task submit` queued in its store
 * (an ISO time): only a gateway's task side sends them, so a task is queued only while it is
 * fresh. A member of `group join` writes `group.alive_at` too, and sends nothing.
 */
export const QUEUE_FOLLOWED_AT = "group.queue_followed_at";

/** The `settings` repository of a Timeline. */
export class SettingStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** A setting's value, if set. */
  get(key: string): string | undefined {
    const row = this.#db.get("SELECT value FROM settings WHERE key = ?", key);
    return row && text(row, "value");
  }

  /** Sets a value. */
  set(key: string, value: string): void {
    this.#db.run(
      `INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
        ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3`,
      key,
      value,
      this.#db.now(),
    );
  }

  /** Removes a setting; returns whether it was set. */
  delete(key: string): boolean {
    return this.#db.run("DELETE FROM settings WHERE key = ?", key) === 1;
  }

  /** Every setting, by key. */
  all(): Map<string, string> {
    return new Map(
      this.#db.all("SELECT key, value FROM settings ORDER BY key").map((row) => [
        text(row, "key"),
        text(row, "value"),
      ]),
    );
  }
}
