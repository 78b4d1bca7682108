/**
 * Schema migrations: an ordered list of SQL steps, numbered 1, 2, 3 …, recorded in SQLite's
 * `PRAGMA user_version`. Each step runs in its own `BEGIN IMMEDIATE` transaction together with the
 * version bump, so a failing step leaves the database exactly as it was, and two processes opening
 * one file at once apply each step once. A database newer than this code is refused.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { transaction } from "./_db.ts";
import { CORE_SQL } from "./_schema_core.ts";
import {
  APPROVAL_ALIVE_SQL,
  GROUP_SQL,
  GROUP_TASK_RESUME_SQL,
  JOB_ORIGIN_SQL,
  MEMORY_MODEL_SQL,
  MEMORY_SQL,
  MEMORY_VECTORS_SQL,
  SESSION_LEASE_SQL,
} from "./_schema_more.ts";
import { GROUP_TRUST_SQL, REPLAY_PLACE_SQL } from "./_schema_trust.ts";
import { SHARED_MEMORY_SQL } from "./_schema_shared.ts";

/** One schema step. */
export interface Migration {
  /** Its place in the list, from 1. */
  readonly version: number;
  /** A short name for messages. */
  readonly name: string;
  /** The statements, run with `exec` inside the step's transaction. */
  readonly sql: string;
}

/** Every schema step of this version of KafClaw, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "core", sql: CORE_SQL },
  { version: 2, name: "memory", sql: MEMORY_SQL },
  { version: 3, name: "group", sql: GROUP_SQL },
  { version: 4, name: "job origin", sql: JOB_ORIGIN_SQL },
  { version: 5, name: "approval waiters", sql: APPROVAL_ALIVE_SQL },
  { version: 6, name: "session leases", sql: SESSION_LEASE_SQL },
  { version: 7, name: "memory by model", sql: MEMORY_MODEL_SQL },
  { version: 8, name: "memory vectors", sql: MEMORY_VECTORS_SQL },
  { version: 9, name: "group task resume", sql: GROUP_TASK_RESUME_SQL },
  { version: 10, name: "group trust", sql: GROUP_TRUST_SQL },
  { version: 11, name: "shared memory", sql: SHARED_MEMORY_SQL },
  { version: 12, name: "replay places", sql: REPLAY_PLACE_SQL },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Thrown when a database was written by a newer KafClaw (a caller may tell the user to upgrade). */
export class TimelineVersionError extends Error {
  /** The database's schema version. */
  readonly found: number;
  /** The newest version this code knows. */
  readonly supported: number;

  constructor(path: string, found: number, supported: number) {
    super(
      `Cannot open the timeline ${JSON.stringify(path)}: its schema version ${found} is newer ` +
        `than this KafClaw supports (${supported}); upgrade KafClaw`,
    );
    this.name = "TimelineVersionError";
    this.found = found;
    this.supported = supported;
  }
}

/** The schema version recorded in a database (0 for a new one). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The steps (default {@link MIGRATIONS}); versions must be 1, 2, 3 … in order. */
  readonly migrations?: readonly Migration[];
  /** The file's path, for messages. */
  readonly path?: string;
}

/**
 * Brings a database up to the newest step and returns its version. Throws
 * {@link TimelineVersionError} for a database from the future, and an Error naming the step (the
 * SQLite error as its cause) when a step fails, after rolling that step back.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { migrate, SCHEMA_VERSION } from "./migrations.ts";
 * const db = new DatabaseSync(":memory:");
 * console.assert(migrate(db) === SCHEMA_VERSION);
 * console.assert(migrate(db) === SCHEMA_VERSION); // a second run changes nothing
 * db.close();
 * ```
 */
export function migrate(db: DatabaseSync, options: MigrateOptions = {}): number {
  const steps = options.migrations ?? MIGRATIONS;
  const path = options.path ?? db.location() ?? ":memory:";
  steps.forEach((step, index) => {
    if (step.version !== index + 1) {
      throw new RangeError(
        `Migration ${JSON.stringify(step.name)} has version ${step.version}, expected ${index + 1}`,
      );
    }
  });
  if (schemaVersion(db) < steps.length) {
    for (const step of steps) {
      try {
        transaction(db, () => {
          // Checked under the write lock: another process may have applied this step meanwhile.
          if (schemaVersion(db) >= step.version) return;
          db.exec(step.sql);
          db.exec(`PRAGMA user_version = ${step.version}`);
        });
      } catch (error) {
        throw new Error(
          `Cannot migrate the timeline ${JSON.stringify(path)} to version ${step.version} ` +
            `(${JSON.stringify(step.name)}): ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }
  const version = schemaVersion(db);
  if (version > steps.length) throw new TimelineVersionError(path, version, steps.length);
  return version;
}
