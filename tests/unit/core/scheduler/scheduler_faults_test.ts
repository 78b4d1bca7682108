/**
 * The scheduler when things around a run go wrong: an invalid stored schedule, a database error
 * while looking at the jobs, renewing a lease or recording a run. It warns and keeps going.
 */
import assert from "node:assert/strict";
import {
  defineJob,
  type JobRunReport,
  Scheduler,
  systemClock,
} from "../../../../core/scheduler/mod.ts";
import type { JobStore, Timeline } from "../../../../core/timeline/mod.ts";
import { clockedTimeline, deferred, recordingRunner } from "./_helpers.ts";

type Overrides = { [K in keyof JobStore]?: JobStore[K] };

/** The job repository with some methods replaced. */
function jobsWith(jobs: JobStore, overrides: Overrides): JobStore {
  return new Proxy(jobs, {
    get(target, prop) {
      const override = overrides[prop as keyof JobStore];
      if (override) return override;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("a job whose stored schedule is invalid is warned about once and never run", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  const jobs = t.timeline.jobs;
  jobs.upsert({ name: "bad", schedule: "0 25 * * *", message: "m" });
  jobs.upsert({ name: "bad-due", schedule: "every day", message: "m", nextRunAt: t.clock.now() });
  jobs.upsert(
    defineJob({ name: "good", schedule: "*/30 * * * *", message: "m" }, { now: t.clock.now() }),
  );
  const { calls, runner } = recordingRunner(t.clock);
  const warnings: string[] = [];
  await using scheduler = new Scheduler({
    store: t.timeline,
    clock: t.clock,
    runner,
    warn: (w) => warnings.push(w),
  });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T11:00:00.000Z");
  assert.deepEqual(calls.map((c) => c.job), ["good", "good"]);
  assert.deepEqual(warnings, [
    'job "bad" never runs: Cannot parse cron expression "0 25 * * *": hour 25 is out of range 0-23',
    'job "bad-due" never runs: Cannot parse cron expression "every day": expected 5 fields ' +
    "(minute hour day-of-month month day-of-week) or a macro such as @daily, got 2",
  ]);
  assert.equal(jobs.get("bad-due")?.lockOwner, undefined);
  assert.equal(scheduler.dueAt(jobs.get("bad")!), undefined);
});

Deno.test("a database error while looking at the jobs is warned about and retried at the next look", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  t.timeline.jobs.upsert(
    defineJob({ name: "q", schedule: "1 10 * * *", message: "m" }, { now: t.clock.now() }),
  );
  let failures = 1;
  const jobs = jobsWith(t.timeline.jobs, {
    list: () => {
      if (failures-- > 0) throw new Error("database is locked");
      return t.timeline.jobs.list();
    },
  });
  const { calls, runner } = recordingRunner(t.clock);
  const warnings: string[] = [];
  await using scheduler = new Scheduler({
    store: { jobs, events: t.timeline.events },
    clock: t.clock,
    runner,
    pollMs: 30_000,
    warn: (w) => warnings.push(w),
  });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:02:00.000Z");
  assert.deepEqual(warnings, ["scheduler: cannot check the jobs: database is locked"]);
  assert.deepEqual(calls.map((c) => c.at), ["2026-11-25T10:01:00.000Z"]);
});

Deno.test("a run the database refuses to record is recorded once it accepts, not run again", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  t.timeline.jobs.upsert(
    defineJob({ name: "q", schedule: "1 10 * * *", message: "m" }, { now: t.clock.now() }),
  );
  let locks = 0;
  let finishes = 0;
  const jobs = jobsWith(t.timeline.jobs, {
    tryLock: (name, lease) => {
      if (++locks === 2) throw new Error("disk I/O error"); // the first renewal
      return t.timeline.jobs.tryLock(name, lease);
    },
    finishRun: (name, end) => {
      if (++finishes === 1) throw new Error("database is locked");
      return t.timeline.jobs.finishRun(name, end);
    },
  });
  const gate = deferred<string>();
  const { calls, runner } = recordingRunner(t.clock);
  const warnings: string[] = [];
  await using scheduler = new Scheduler({
    store: { jobs, events: t.timeline.events },
    clock: t.clock,
    runner: async (job, ctx) => (await runner(job, ctx)) + (await gate.promise),
    leaseMs: 60_000,
    warn: (w) => warnings.push(w),
  });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:01:40.000Z");
  assert.deepEqual(warnings, ['job "q": cannot renew its lease: disk I/O error']);
  gate.resolve("ok");
  await t.clock.advance(0);
  assert.deepEqual(warnings.slice(1), ['job "q": cannot record its run: database is locked']);
  assert.deepEqual(scheduler.running, ["q"], "still recording");
  await t.clock.advance(5000);
  assert.deepEqual(scheduler.running, []);
  assert.equal(calls.length, 1);
  const job = t.timeline.jobs.get("q")!;
  assert.equal(job.runCount, 1);
  assert.equal(job.lockOwner, undefined);
  assert.deepEqual(job.nextRunAt, new Date("2026-11-26T10:01:00Z"));
});

Deno.test("stopping while a run cannot be recorded gives up on it, leaving the lease to run out", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  t.timeline.jobs.upsert(
    defineJob({ name: "q", schedule: "1 10 * * *", message: "m" }, { now: t.clock.now() }),
  );
  const jobs = jobsWith(t.timeline.jobs, {
    finishRun: () => {
      throw new Error("database is locked");
    },
  });
  const reports: JobRunReport[] = [];
  const warnings: string[] = [];
  const scheduler = new Scheduler({
    store: { jobs, events: t.timeline.events },
    clock: t.clock,
    runner: () => Promise.resolve("ok"),
    onRun: (r) => reports.push(r),
    warn: (w) => warnings.push(w),
  });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:01:00.000Z");
  await scheduler.stop();
  assert.deepEqual(reports.map((r) => [r.status, r.recorded]), [["succeeded", false]]);
  assert.deepEqual(warnings, [
    'job "q": cannot record its run: database is locked',
    'job "q": cannot record its run: database is locked',
  ]);
  assert.equal(t.timeline.jobs.get("q")?.lockOwner, scheduler.owner);
});

Deno.test("a run goes on when its span cannot be written, and a throwing onRun is warned about", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  t.timeline.jobs.upsert(
    defineJob({ name: "q", schedule: "@daily", message: "m" }, { now: t.clock.now() }),
  );
  const fail = (what: string) => () => {
    throw new Error(`cannot ${what}`);
  };
  let begins = 0;
  const events = {
    begin: (input) => {
      if (++begins === 1) fail("begin")();
      return t.timeline.events.begin(input);
    },
    end: fail("end"),
  } as Pick<Timeline["events"], "begin" | "end"> as Timeline["events"];
  const traces: string[] = [];
  const warnings: string[] = [];
  const scheduler = new Scheduler({
    store: { jobs: t.timeline.jobs, events },
    clock: t.clock,
    runner: (_job, ctx) => {
      traces.push(ctx.traceId);
      return Promise.resolve("ok");
    },
    onRun: fail("report"),
    warn: (w) => warnings.push(w),
  });
  assert.equal((await scheduler.runNow("q"))?.status, "succeeded");
  await t.clock.advance(0);
  assert.equal((await scheduler.runNow("q"))?.status, "succeeded");
  await t.clock.advance(0);
  assert.equal(traces[0], "", "no span, no trace");
  assert.equal(traces[1]?.length, 32);
  assert.deepEqual(warnings, [
    'job "q": cannot record the start of its run: cannot begin',
    'job "q": onRun failed: cannot report',
    'job "q": cannot record the end of its run: cannot end',
    'job "q": onRun failed: cannot report',
  ]);
  assert.equal(t.timeline.jobs.get("q")?.runCount, 2);
  await scheduler.stop();
});

Deno.test("a scheduler with default options names itself and stops at once on the system clock", async () => {
  await using t = await clockedTimeline();
  const scheduler = new Scheduler({ store: t.timeline, runner: () => Promise.resolve("") });
  assert.match(scheduler.owner, new RegExp(`^scheduler-${Deno.pid}-[0-9a-f]{8}$`));
  scheduler.start();
  const started = Date.now();
  await scheduler.stop();
  assert.ok(Date.now() - started < 1000);
});

Deno.test("the system clock tells the time and sleeps until woken or aborted", async () => {
  const before = Date.now();
  assert.ok(Math.abs(systemClock.now().getTime() - before) < 1000);
  await systemClock.sleep(5);
  assert.ok(Date.now() - before >= 4);
  const aborted = new AbortController();
  aborted.abort();
  await systemClock.sleep(60_000, aborted.signal);
  const later = new AbortController();
  const sleeping = systemClock.sleep(2 ** 40, later.signal);
  later.abort();
  await sleeping;
  await systemClock.sleep(-5, new AbortController().signal);
  assert.ok(Date.now() - before < 1000);
});
