/**
 * Job definitions as users write them (name, schedule, time zone, message), checked and turned into
 * what the timeline stores: the time zone becomes the schedule's `CRON_TZ=` prefix, so a stored job
 * is complete without any configuration, and the first run time is computed.
 *
 * @module
 */
import type { JobDefinition, JobStore, JobSyncResult } from "../timeline/mod.ts";
import { CronSchedule, JOB_NAME, withTimeZone } from "../cron/mod.ts";

/** A job as a user defines it. */
export interface JobSpec {
  readonly name: string;
  /** A cron expression (see cron.ts), possibly with a `CRON_TZ=` prefix. */
  readonly schedule: string;
  /** The internal message the job sends to the agent. */
  readonly message: string;
  /** The IANA time zone; overrides a prefix in `schedule`. */
  readonly timezone?: string | undefined;
  /** Default true. */
  readonly enabled?: boolean | undefined;
}

/** Options of {@link defineJob}. */
export interface DefineJobOptions {
  /** The first run is the first scheduled time after this. */
  readonly now: Date;
  /** The time zone when neither the spec nor its schedule names one (default UTC). */
  readonly timezone?: string;
}

/**
 * Checks a job and makes its stored definition. Throws RangeError for a bad name or an empty
 * message and CronSyntaxError for a bad schedule or time zone.
 *
 * @example
 * ```ts
 * import { defineJob } from "./jobs.ts";
 * const job = defineJob(
 *   { name: "digest", schedule: "0 8 * * MON-FRI", message: "Summarise my inbox", timezone: "Europe/Berlin" },
 *   { now: new Date("2026-11-25T10:00:00Z") },
 * );
 * console.assert(job.schedule === "CRON_TZ=Europe/Berlin 0 8 * * MON-FRI");
 * console.assert(job.nextRunAt?.toISOString() === "2026-11-26T07:00:00.000Z");
 * ```
 */
export function defineJob(spec: JobSpec, options: DefineJobOptions): JobDefinition {
  if (!JOB_NAME.test(spec.name)) {
    throw new RangeError(
      `Cannot use ${JSON.stringify(spec.name)} as a job name: use 1-64 letters, digits, ` +
        "'.', '_' or '-', starting with a letter or digit",
    );
  }
  if (!spec.message.trim()) {
    throw new RangeError(`Cannot define job ${JSON.stringify(spec.name)}: its message is empty`);
  }
  const parsed = CronSchedule.parse(
    spec.timezone === undefined ? spec.schedule : withTimeZone(spec.schedule, spec.timezone),
    options.timezone === undefined ? {} : { timezone: options.timezone },
  );
  const schedule = parsed.zoneInExpression || options.timezone !== undefined
    ? withTimeZone(parsed.expression, parsed.timezone)
    : parsed.expression;
  return {
    name: spec.name,
    schedule,
    message: spec.message,
    enabled: spec.enabled ?? true,
    nextRunAt: parsed.next(options.now)!,
  };
}

/**
 * Makes the timeline's config-owned jobs match config's `scheduler.jobs` (see
 * {@link JobStore.syncConfig}): each spec is checked and defined as by `kafclaw cron add`, with
 * its first time after `now`. Throws as {@link defineJob} does (config validation has already
 * checked every field, so that means a bug, not bad input).
 */
export function syncConfigJobs(
  store: Pick<JobStore, "syncConfig">,
  specs: readonly JobSpec[],
  options: DefineJobOptions,
): JobSyncResult {
  return store.syncConfig(specs.map((spec) => ({ ...defineJob(spec, options), origin: "config" })));
}
