/**
 * Scheduled jobs: the jobs of the configuration with their run history, and a lease so that of
 * several processes sharing one KAFCLAW_HOME exactly one runs a due job. Taking the lease is one
 * conditional UPDATE, atomic under SQLite's write lock.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { bool, date, int, optDate, optText, text } from "./_row.ts";

/** How a run ended. */
export type JobRunStatus = "succeeded" | "failed" | "skipped";

/** Where a job was defined: `kafclaw cron add` (or the API), or config's `scheduler.jobs`. */
export type JobOrigin = "cli" | "config";

/** A job as the configuration defines it. */
export interface JobDefinition {
  readonly name: string;
  /** A 5-field cron expression. */
  readonly schedule: string;
  /** The message the job sends to the agent. */
  readonly message: string;
  /** Default true. */
  readonly enabled?: boolean;
  readonly nextRunAt?: Date;
  /** Default `cli`. */
  readonly origin?: JobOrigin;
}

/** What {@link JobStore.syncConfig} changed, by job name. */
export interface JobSyncResult {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

/** A stored job. */
export interface Job {
  readonly id: number;
  readonly name: string;
  readonly schedule: string;
  readonly message: string;
  readonly enabled: boolean;
  readonly origin: JobOrigin;
  readonly lastStatus: JobRunStatus | undefined;
  readonly lastRunAt: Date | undefined;
  readonly nextRunAt: Date | undefined;
  readonly runCount: number;
  /** Who holds the lease, while it holds it. */
  readonly lockOwner: string | undefined;
  readonly lockUntil: Date | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A lease request: who takes it and until when. */
export interface JobLease {
  readonly owner: string;
  readonly until: Date;
  /** Default: the clock's now. */
  readonly now?: Date;
}

/** The end of a run. */
export interface JobRunEnd {
  readonly owner: string;
  readonly status: JobRunStatus;
  readonly nextRunAt?: Date;
}

function toJob(row: Row): Job {
  return {
    id: int(row, "id"),
    name: text(row, "job_name"),
    schedule: text(row, "schedule"),
    message: text(row, "message"),
    enabled: bool(row, "enabled"),
    origin: text(row, "origin") as JobOrigin,
    lastStatus: optText(row, "last_status") as JobRunStatus | undefined,
    lastRunAt: optDate(row, "last_run_at"),
    nextRunAt: optDate(row, "next_run_at"),
    runCount: int(row, "run_count"),
    lockOwner: optText(row, "lock_owner"),
    lockUntil: optDate(row, "lock_until"),
    createdAt: date(row, "created_at"),
    updatedAt: date(row, "updated_at"),
  };
}

/** The `jobs` repository of a Timeline. */
export class JobStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Adds a job or updates its definition; its history and lease are kept. */
  upsert(job: JobDefinition): Job {
    const now = this.#db.now();
    const row = this.#db.get(
      `INSERT INTO scheduled_jobs (job_name, schedule, message, enabled, next_run_at, created_at,
        updated_at, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
        ON CONFLICT (job_name) DO UPDATE SET schedule = ?2, message = ?3, enabled = ?4,
          next_run_at = coalesce(?5, next_run_at), updated_at = ?6, origin = ?7
        RETURNING *`,
      job.name,
      job.schedule,
      job.message,
      job.enabled ?? true,
      job.nextRunAt,
      now,
      job.origin ?? "cli",
    );
    return toJob(row!);
  }

  /**
   * Makes the jobs config owns match `jobs` (config's `scheduler.jobs`), in one transaction. A
   * listed job is added, or updated when its definition differs (a job of that name added with
   * `kafclaw cron add` becomes config's); its given `nextRunAt` applies only when it is new, its
   * schedule changed or it was enabled again, so an unchanged job keeps its due time and history.
   * A config job no longer listed is removed. Jobs added from the CLI are left alone.
   */
  syncConfig(jobs: readonly JobDefinition[]): JobSyncResult {
    return this.#db.tx(() => {
      const added: string[] = [];
      const changed: string[] = [];
      for (const job of jobs) {
        const old = this.get(job.name);
        const enabled = job.enabled ?? true;
        if (
          old?.origin === "config" && old.schedule === job.schedule &&
          old.message === job.message && old.enabled === enabled
        ) continue;
        const fresh = !old || old.schedule !== job.schedule || (enabled && !old.enabled);
        const { nextRunAt: _, ...definition } = job;
        this.upsert({
          ...definition,
          origin: "config",
          ...(fresh && job.nextRunAt ? { nextRunAt: job.nextRunAt } : {}),
        });
        (old ? changed : added).push(job.name);
      }
      const removed = this.#db.all(
        `DELETE FROM scheduled_jobs
          WHERE origin = 'config' AND job_name NOT IN (SELECT value FROM json_each(?))
          RETURNING job_name`,
        JSON.stringify(jobs.map((j) => j.name)),
      ).map((row) => text(row, "job_name"));
      return { added, changed, removed };
    });
  }

  /** A job by name. */
  get(name: string): Job | undefined {
    const row = this.#db.get("SELECT * FROM scheduled_jobs WHERE job_name = ?", name);
    return row && toJob(row);
  }

  /** Every job, by name. */
  list(): Job[] {
    return this.#db.all("SELECT * FROM scheduled_jobs ORDER BY job_name").map(toJob);
  }

  /**
   * Takes the job's lease when it is enabled and free (no holder, or the lease ran out), or
   * extends it for the holder. Returns whether `owner` now holds it.
   */
  tryLock(name: string, lease: JobLease): boolean {
    const now = lease.now ?? this.#db.now();
    return this.#db.run(
      `UPDATE scheduled_jobs SET lock_owner = ?1, lock_until = ?2, updated_at = ?3
        WHERE job_name = ?4 AND enabled = 1
          AND (lock_owner IS NULL OR lock_until <= ?3 OR lock_owner = ?1)`,
      lease.owner,
      lease.until,
      now,
      name,
    ) === 1;
  }

  /**
   * Records a run and releases the lease. Returns false, recording nothing, when `owner` does not
   * hold the lease (it ran out and someone else took it).
   */
  finishRun(name: string, end: JobRunEnd): boolean {
    const now = this.#db.now();
    return this.#db.run(
      `UPDATE scheduled_jobs SET last_status = ?1, last_run_at = ?2, updated_at = ?2,
        run_count = run_count + 1, next_run_at = coalesce(?3, next_run_at),
        lock_owner = NULL, lock_until = NULL
        WHERE job_name = ?4 AND lock_owner = ?5`,
      end.status,
      now,
      end.nextRunAt,
      name,
      end.owner,
    ) === 1;
  }

  /** Deletes a job with its history (a run in progress ends unrecorded). Returns whether it existed. */
  remove(name: string): boolean {
    return this.#db.run("DELETE FROM scheduled_jobs WHERE job_name = ?", name) === 1;
  }

  /** Gives the lease up without recording a run. Returns whether `owner` held it. */
  unlock(name: string, owner: string): boolean {
    return this.#db.run(
      `UPDATE scheduled_jobs SET lock_owner = NULL, lock_until = NULL, updated_at = ?1
        WHERE job_name = ?2 AND lock_owner = ?3`,
      this.#db.now(),
      name,
      owner,
    ) === 1;
  }
}
