/**
 * `kafclaw cron`: the scheduled jobs, kept in the timeline ($KAFCLAW_HOME/timeline.db) where the
 * scheduler reads them. `add`, `list`, `rm`, `enable` and `disable` edit them; `run` runs one now
 * through the agent, by the same path as a scheduled run; `serve` hosts the scheduler in the
 * foreground (as the gateway will) until SIGINT or SIGTERM, applying config.json's jobs again
 * whenever the file changes (or on SIGHUP).
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import {
  CronSchedule,
  defineJob,
  type JobRunReport,
  type JobSpec,
  Scheduler,
  syncConfigJobs,
} from "../core/scheduler/mod.ts";
import { type Job, type JobSyncResult, Timeline } from "../core/timeline/mod.ts";
import { wire } from "../core/wire/mod.ts";
import { followConfig } from "./_cron_reload.ts";
import { cliRuntime } from "./_runtime.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";
import { table } from "./_table.ts";
import { trustedConfig } from "./_trusted_config.ts";
import { STOP_SIGNALS } from "./_starting.ts";

interface AddOptions {
  schedule: string;
  message: string;
  timezone?: string;
  disabled?: boolean;
  replace?: boolean;
}

/** `kafclaw cron`: manage scheduled jobs. */
export function cronCommand(ctx: CliContext): Command {
  const cron = new Command("cron").description(
    "manage scheduled jobs: messages the agent gets on a cron schedule (run by cron serve)",
  );
  cron.command("add")
    .description("add a job (5-field cron or @daily; day-of-month OR day-of-week as in Vixie cron)")
    .argument(
      "<name>",
      "the job's name (letters, digits, '.', '_', '-'); its session is cron:<name>",
    )
    .requiredOption("--schedule <cron>", 'when it runs: "0 8 * * MON-FRI", "*/15 * * * *", @hourly')
    .requiredOption("-m, --message <text>", "the message the agent gets")
    .option("--timezone <zone>", "IANA time zone of the schedule (default scheduler.timezone, UTC)")
    .option("--disabled", "add it disabled")
    .option("--replace", "change the job if it exists (its history is kept)")
    .action(async (name: string, opts: AddOptions) => {
      const config = await trustedConfig(ctx);
      using timeline = open(config);
      const old = timeline.jobs.get(name);
      notFromConfig(config, old);
      const existed = old !== undefined;
      if (existed && !opts.replace) {
        throw new UsageError(
          `job ${JSON.stringify(name)} exists; use --replace to change it, or cron rm ${name}`,
        );
      }
      const job = timeline.jobs.upsert(define(config, {
        name,
        schedule: opts.schedule,
        message: opts.message,
        enabled: !opts.disabled,
        ...(opts.timezone === undefined ? {} : { timezone: opts.timezone }),
      }));
      ctx.io.out(`${existed ? "changed" : "added"} job ${name}: ${status(config, job)}`);
      if (!config.scheduler.enabled) {
        ctx.io.err(
          "kafclaw: note: scheduler.enabled is false, so no jobs run on their schedule " +
            `(${config.command} config set scheduler.enabled true)`,
        );
      }
    });
  cron.command("list").alias("ls")
    .description("list the jobs with their next and last run (times in each job's time zone)")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = await trustedConfig(ctx);
      using timeline = open(config);
      const jobs = timeline.jobs.list();
      if (opts.json) return ctx.io.out(JSON.stringify(jobs.map((j) => asJson(config, j)), null, 2));
      if (jobs.length === 0) {
        return ctx.io.err(
          `kafclaw: no jobs yet; add one with ${config.command} cron add <name> --schedule …`,
        );
      }
      ctx.io.out(listing(config, jobs));
    });
  cron.command("rm").alias("remove")
    .description("remove a job and its history")
    .argument("<name>", "the job")
    .action(async (name: string) => {
      const config = await trustedConfig(ctx);
      using timeline = open(config);
      notFromConfig(config, needJob(timeline, name, config.command));
      timeline.jobs.remove(name);
      ctx.io.out(`removed job ${name}`);
    });
  for (const enabled of [true, false]) {
    cron.command(enabled ? "enable" : "disable")
      .description(enabled ? "enable a job; it runs from its next time on" : "disable a job")
      .argument("<name>", "the job")
      .action(async (name: string) => {
        const config = await trustedConfig(ctx);
        using timeline = open(config);
        const job = needJob(timeline, name, config.command);
        notFromConfig(config, job);
        // Enabling starts afresh: times that passed while the job was disabled are not caught up.
        const changed = timeline.jobs.upsert({
          name,
          schedule: job.schedule,
          message: job.message,
          enabled,
          ...(enabled ? { nextRunAt: schedule(config, job).next(new Date())! } : {}),
        });
        ctx.io.out(`job ${name}: ${status(config, changed)}`);
      });
  }
  cron.command("run")
    .description("run a job now through the agent and print its answer (its schedule is kept)")
    .argument("<name>", "the job")
    .action(async (name: string) => runNow(ctx, await trustedConfig(ctx), name));
  cron.command("serve")
    .description(
      "run the jobs at their times in the foreground, one line per run, until Ctrl-C or SIGTERM",
    )
    .option(
      "--grace <seconds>",
      "on stop, how long running jobs may go on before they are cancelled",
      seconds,
      30,
    )
    .action(async (opts: { grace: number }) => serve(ctx, await trustedConfig(ctx), opts.grace));
  return cron;
}

/** The timeline, with config's `scheduler.jobs` synced into it. */
function open(config: ResolvedConfig): Timeline {
  const timeline = Timeline.open(paths(config).timeline);
  try {
    syncJobs(config, timeline);
  } catch (error) {
    timeline.close();
    throw error;
  }
  return timeline;
}

/** Config's jobs replace what config defined before; jobs added here are left alone. */
function syncJobs(config: ResolvedConfig, timeline: Timeline): JobSyncResult {
  const zone = config.scheduler.timezone;
  return syncConfigJobs(timeline.jobs, config.scheduler.jobs, {
    now: new Date(),
    ...(zone === undefined ? {} : { timezone: zone }),
  });
}

/** Refuses to edit a job that config defines: the next sync would undo the edit. */
function notFromConfig(config: ResolvedConfig, job: Job | undefined): void {
  if (job?.origin !== "config") return;
  throw new UsageError(
    `job ${job.name} is defined in scheduler.jobs of ${config.file}; change it there`,
  );
}

function define(config: ResolvedConfig, spec: JobSpec) {
  const zone = config.scheduler.timezone;
  try {
    return defineJob(spec, { now: new Date(), ...(zone === undefined ? {} : { timezone: zone }) });
  } catch (error) {
    // defineJob's RangeError is a bad name or time zone in the user's flags.
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function needJob(timeline: Timeline, name: string, command: string): Job {
  const job = timeline.jobs.get(name);
  if (!job) throw new UsageError(`no job named ${JSON.stringify(name)} (${command} cron list)`);
  return job;
}

/** The job's schedule; stored jobs were checked when added, so a failure here is a real error. */
function schedule(config: ResolvedConfig, job: Job): CronSchedule {
  return CronSchedule.parse(job.schedule, { timezone: config.scheduler.timezone ?? "UTC" });
}

/** A time as `2026-11-26 08:00` in a time zone. */
function localTime(date: Date | undefined, zone: string): string {
  if (!date) return "-";
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

function status(config: ResolvedConfig, job: Job): string {
  if (!job.enabled) return `${job.schedule}, disabled`;
  const zone = schedule(config, job).timezone;
  return `${job.schedule}, next run ${localTime(job.nextRunAt, zone)} ${zone}`;
}

function describe(config: ResolvedConfig, job: Job) {
  try {
    const parsed = schedule(config, job);
    return { fields: parsed.fields, zone: parsed.timezone };
  } catch {
    return { fields: job.schedule, zone: "(invalid)" };
  }
}

function listing(config: ResolvedConfig, jobs: readonly Job[]): string {
  const rows = [["NAME", "STATE", "SCHEDULE", "TIME ZONE", "NEXT RUN", "LAST RUN", "RUNS"]];
  for (const job of jobs) {
    const { fields, zone } = describe(config, job);
    const tz = zone === "(invalid)" ? "UTC" : zone;
    const last = job.lastRunAt ? `${localTime(job.lastRunAt, tz)} ${job.lastStatus}` : "-";
    const next = job.enabled ? localTime(job.nextRunAt, tz) : "-";
    const state = running(job) ? "running" : job.enabled ? "enabled" : "disabled";
    rows.push([job.name, state, fields, zone, next, last, String(job.runCount)]);
  }
  return table(rows);
}

/** Whether a live lease is held on the job (a run is in progress somewhere). */
function running(job: Job): boolean {
  return job.lockUntil !== undefined && job.lockUntil > new Date();
}

/** A job as `cron list --json` prints it: snake_case keys, as the API answers (core/wire). */
function asJson(config: ResolvedConfig, job: Job) {
  const { fields, zone } = describe(config, job);
  return wire({
    name: job.name,
    schedule: fields,
    timezone: zone,
    message: job.message,
    enabled: job.enabled,
    definedIn: job.origin === "config" ? "config" : "cli",
    nextRunAt: job.nextRunAt,
    lastRunAt: job.lastRunAt,
    lastStatus: job.lastStatus,
    runCount: job.runCount,
    running: running(job),
  });
}

/** The agent, loaded only where a job runs (`run`, `serve`): listing and editing jobs need none of it. */
const agent = () => import("../core/agent/mod.ts");

async function runNow(ctx: CliContext, config: ResolvedConfig, name: string): Promise<void> {
  {
    using timeline = open(config);
    const job = needJob(timeline, name, config.command);
    if (!job.enabled) {
      throw new UsageError(`job ${name} is disabled; ${config.command} cron enable ${name} first`);
    }
  }
  const runtime = await cliRuntime(ctx, config);
  await using _runtime = runtime;
  const { jobRunner } = await agent();
  await using scheduler = new Scheduler({
    store: runtime.timeline,
    runner: jobRunner(runtime.door),
    warn: (m) => ctx.io.err(`kafclaw: ${m}`),
  });
  const onSigint = () => void scheduler.stop();
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const report = await scheduler.runNow(name);
    if (!report) {
      const job = runtime.timeline.jobs.get(name);
      throw new CliError(
        `job ${name} is running elsewhere (${job?.lockOwner} until ${job?.lockUntil?.toISOString()})`,
      );
    }
    if (report.status !== "succeeded") {
      throw new CliError(`job ${name} ${report.status}: ${report.error}`);
    }
    ctx.io.out(report.answer!);
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("expected a number of seconds (0 or more)");
  }
  return n;
}

/**
 * `cron serve`: the scheduler over the agent until a signal. The first signal stops taking jobs
 * and gives running ones `graceSeconds` to end; a second one cancels them at once.
 */
async function serve(ctx: CliContext, config: ResolvedConfig, graceSeconds: number) {
  const settings = config.scheduler;
  if (!settings.enabled) {
    throw new UsageError(
      "scheduler.enabled is false, so no jobs run; turn it on with " +
        `${config.command} config set scheduler.enabled true`,
    );
  }
  const runtime = await cliRuntime(ctx, config);
  await using _runtime = runtime;
  syncJobs(config, runtime.timeline);
  const { jobRunner } = await agent();
  await using scheduler = new Scheduler({
    store: runtime.timeline,
    runner: jobRunner(runtime.door),
    pollMs: settings.tickIntervalMs,
    maxConcurrent: settings.maxConcurrentLlm,
    catchUp: settings.catchUp,
    ...(settings.timezone === undefined ? {} : { timezone: settings.timezone }),
    onRun: (report) => ctx.io.out(runLine(report)),
    warn: (m) => ctx.io.err(`kafclaw: ${m}`),
  });
  const stopRequested = Promise.withResolvers<void>();
  let signals = 0;
  const onSignal = () => {
    if (signals++ === 0) return stopRequested.resolve();
    ctx.io.err("kafclaw: stopping now: cancelling the running jobs (their times stay due)");
    void scheduler.stop();
  };
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onSignal);
  // Config's jobs follow config.json as it changes (and on SIGHUP).
  using _following = followConfig(ctx, config, {
    syncJobs: (next) => syncJobs(next, runtime.timeline),
  });
  try {
    scheduler.start();
    const jobs = runtime.timeline.jobs.list();
    ctx.io.err(
      `kafclaw: scheduler running (${jobs.filter((j) => j.enabled).length} of ${jobs.length} ` +
        `jobs enabled, looking every ${settings.tickIntervalMs / 1000} s, ` +
        `missed times ${settings.catchUp ? "caught up once" : "skipped"}); Ctrl-C stops`,
    );
    await stopRequested.promise;
    const running = scheduler.running;
    ctx.io.err(
      running.length === 0
        ? "kafclaw: stopping"
        : `kafclaw: stopping: waiting up to ${graceSeconds} s for ${running.join(", ")} ` +
          "(Ctrl-C again cancels)",
    );
    await scheduler.stop({ graceMs: graceSeconds * 1000 });
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onSignal);
  }
}

const RUN_WORDS: Readonly<Record<JobRunReport["status"], string>> = {
  succeeded: "ok",
  failed: "error",
  skipped: "skipped",
  cancelled: "cancelled",
};

/** One line about a run: `job digest: ok (due 2026-11-26T07:00:00.000Z, 3.2 s): Here is …`. */
export function runLine(report: JobRunReport): string {
  const { status, slot, trigger } = report;
  const when = slot
    ? `${trigger === "catch-up" ? "missed" : "due"} ${slot.toISOString()}`
    : trigger;
  const elapsed = (report.endedAt.getTime() - report.startedAt.getTime()) / 1000;
  const took = status === "skipped" ? "" : `, ${elapsed.toFixed(1)} s`;
  const detail = {
    succeeded: oneLine(report.answer ?? ""),
    failed: oneLine(report.error ?? ""),
    skipped: "scheduler.catchUp is false",
    cancelled: "stopped before it ended; its time stays due",
  }[status];
  const unrecorded = report.recorded || status === "cancelled" ? "" : " (not recorded)";
  return `job ${report.job}: ${RUN_WORDS[status]} (${when}${took})` +
    `${detail ? `: ${detail}` : ""}${unrecorded}`;
}

/** The first line of a text, at most 100 characters. */
function oneLine(text: string): string {
  const first = text.trim().split("\n", 1)[0]!.trim();
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}
