/**
 * Scheduled jobs and retried deliveries.
 *
 * - {@link CronSchedule}: Vixie cron expressions (five fields, names, macros, day-of-month OR
 *   day-of-week, `CRON_TZ=` time zones), next times by croner.
 * - {@link defineJob}: a user's job checked and made into what the timeline stores.
 * - {@link Scheduler}: runs the timeline's jobs on time, once per scheduled time across processes,
 *   with a concurrency cap and a stated rule for times missed during downtime (a single catch-up
 *   run at start, or a skip with `catchUp: false`).
 * - {@link DeliveryWorker}: retries failed deliveries of answers with bounded backoff.
 *
 * Both workers take a {@link Clock}, so tests move time by hand.
 *
 * @example
 * ```ts
 * import { Timeline } from "../timeline/mod.ts";
 * import { defineJob, Scheduler } from "./mod.ts";
 * const timeline = Timeline.open(":memory:");
 * timeline.jobs.upsert(
 *   defineJob({ name: "hello", schedule: "@hourly", message: "Say hello" }, { now: new Date() }),
 * );
 * const scheduler = new Scheduler({
 *   store: timeline,
 *   runner: (job) => Promise.resolve(`answered ${job.message}`),
 * });
 * const report = await scheduler.runNow("hello");
 * console.assert(report?.status === "succeeded" && report.answer === "answered Say hello");
 * await scheduler.stop();
 * timeline.close();
 * ```
 *
 * @module
 */
export * from "./clock.ts";
export * from "../cron/mod.ts";
export * from "./delivery.ts";
export * from "./jobs.ts";
export * from "./scheduler.ts";
export * from "./types.ts";
