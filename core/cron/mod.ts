/**
 * Cron expressions and job names: a leaf that config validates with and the scheduler runs on,
 * with nothing of either (so config needs no scheduler, and the scheduler no config).
 *
 * - {@link CronSchedule}: Vixie cron expressions (five fields, names, macros, day-of-month OR
 *   day-of-week, `CRON_TZ=` time zones), next times by croner.
 * - {@link JOB_NAME}: what a job may be called; the name also names its session `cron:<name>`.
 *
 * @module
 */
export {
  CronSchedule,
  type CronScheduleOptions,
  CronSyntaxError,
  isTimeZone,
  withTimeZone,
} from "./cron.ts";

/** A job name: it names the job's session (`cron:<name>`) too. */
export const JOB_NAME: RegExp = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
