/**
 * The scheduler on a fake clock over a real timeline: on-time runs, the catch-up rule, the
 * concurrency cap, failures and cancellation, leases, and manual runs.
 */
import assert from "node:assert/strict";
import {
  defineJob,
  type JobRunner,
  type JobRunReport,
  Scheduler,
  type SchedulerOptions,
} from "../../../../core/scheduler/mod.ts";
import type { Timeline } from "../../../../core/timeline/mod.ts";
import { clockedTimeline, deferred, recordingRunner } from "./_helpers.ts";

type Fixture = Awaited<ReturnType<typeof clockedTimeline>>;

/** Adds a job defined at the clock's now. */
function addJob(t: Fixture, name: string, schedule: string, enabled = true) {
  return t.timeline.jobs.upsert(
    defineJob({ name, schedule, message: `do ${name}`, enabled }, { now: t.clock.now() }),
  );
}

/** A scheduler on the fixture's clock that collects its reports and warnings. */
function schedulerOn(t: Fixture, options: Partial<SchedulerOptions> & { runner: JobRunner }) {
  const reports: JobRunReport[] = [];
  const warnings: string[] = [];
  const scheduler = new Scheduler({
    store: t.timeline,
    clock: t.clock,
    owner: "p1",
    onRun: (r) => reports.push(r),
    warn: (w) => warnings.push(w),
    ...options,
  });
  return { scheduler, reports, warnings };
}

function schedulerSpans(timeline: Timeline) {
  return timeline.events.list({ kind: "SCHEDULER" }).items.toReversed();
}

Deno.test("a job runs at each scheduled time exactly once, never before", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "quarter", "*/15 * * * *");
  const { calls, runner } = recordingRunner(t.clock);
  const { scheduler, reports } = schedulerOn(t, { runner });
  scheduler.start();
  scheduler.start(); // a no-op
  await t.clock.advanceTo("2026-11-25T10:14:59.999Z");
  assert.equal(calls.length, 0);
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  assert.deepEqual(calls, [{
    job: "quarter",
    at: "2026-11-25T10:15:00.000Z",
    trigger: "schedule",
    slot: "2026-11-25T10:15:00.000Z",
  }]);
  await t.clock.advanceTo("2026-11-25T11:00:30.000Z");
  assert.deepEqual(calls.map((c) => c.at), [
    "2026-11-25T10:15:00.000Z",
    "2026-11-25T10:30:00.000Z",
    "2026-11-25T10:45:00.000Z",
    "2026-11-25T11:00:00.000Z",
  ]);
  const job = t.timeline.jobs.get("quarter")!;
  assert.equal(job.runCount, 4);
  assert.equal(job.lastStatus, "succeeded");
  assert.deepEqual(job.lastRunAt, new Date("2026-11-25T11:00:00.000Z"));
  assert.deepEqual(job.nextRunAt, new Date("2026-11-25T11:15:00.000Z"));
  assert.equal(job.lockOwner, undefined);
  assert.deepEqual(reports.map((r) => [r.status, r.answer, r.recorded]), [
    ["succeeded", "done do quarter", true],
    ["succeeded", "done do quarter", true],
    ["succeeded", "done do quarter", true],
    ["succeeded", "done do quarter", true],
  ]);
  const [span] = schedulerSpans(t.timeline);
  assert.equal(span?.sessionKey, "cron:quarter");
  assert.equal(span?.channel, "scheduler");
  assert.equal(span?.contentText, "do quarter");
  assert.deepEqual(span?.metadata, {
    job: "quarter",
    trigger: "schedule",
    owner: "p1",
    slot: "2026-11-25T10:15:00.000Z",
    status: "succeeded",
    recorded: true,
    answer: "done do quarter",
  });
  await scheduler.stop();
});

Deno.test("a job another process adds while the scheduler sleeps is seen and runs on time", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  const { calls, runner } = recordingRunner(t.clock);
  await using scheduler = schedulerOn(t, { runner, pollMs: 60_000 }).scheduler;
  scheduler.start();
  await t.clock.advance(10_000);
  addJob(t, "later", "30 10 * * *"); // added by `kafclaw cron add` in another process
  await t.clock.advanceTo("2026-11-25T10:29:59.000Z");
  assert.equal(calls.length, 0);
  await t.clock.advanceTo("2026-11-25T10:31:00.000Z");
  assert.deepEqual(calls.map((c) => [c.at, c.trigger]), [["2026-11-25T10:30:00.000Z", "schedule"]]);
});

Deno.test("times missed during downtime run once at start, then the schedule resumes", async () => {
  await using t = await clockedTimeline("2026-11-25T08:00:00.000Z");
  addJob(t, "quarter", "*/15 * * * *"); // next 08:15
  t.timeline.jobs.upsert({ name: "never-ran", schedule: "0 9 * * *", message: "m" }); // no next stored
  await t.clock.advanceTo("2026-11-25T10:07:00.000Z"); // nothing ran from 08:00 to 10:07
  const { calls, runner } = recordingRunner(t.clock);
  await using scheduler = schedulerOn(t, { runner }).scheduler;
  scheduler.start();
  await t.clock.advance(0);
  assert.deepEqual(calls, [
    {
      job: "quarter",
      at: "2026-11-25T10:07:00.000Z",
      trigger: "catch-up",
      slot: "2026-11-25T08:15:00.000Z",
    },
    {
      job: "never-ran",
      at: "2026-11-25T10:07:00.000Z",
      trigger: "catch-up",
      slot: "2026-11-25T09:00:00.000Z",
    },
  ]);
  assert.deepEqual(t.timeline.jobs.get("quarter")?.nextRunAt, new Date("2026-11-25T10:15:00Z"));
  assert.deepEqual(t.timeline.jobs.get("never-ran")?.nextRunAt, new Date("2026-11-26T09:00:00Z"));
  await t.clock.advanceTo("2026-11-25T10:20:00.000Z");
  assert.deepEqual(calls.slice(2).map((c) => [c.at, c.trigger]), [
    ["2026-11-25T10:15:00.000Z", "schedule"],
  ]);
  assert.equal(t.timeline.jobs.get("quarter")?.runCount, 2);
});

Deno.test("with catchUp false a time missed during downtime is recorded as skipped, not run", async () => {
  await using t = await clockedTimeline("2026-11-25T08:00:00.000Z");
  addJob(t, "quarter", "*/15 * * * *");
  await t.clock.advanceTo("2026-11-25T10:07:00.000Z");
  const { calls, runner } = recordingRunner(t.clock);
  const { scheduler, reports } = schedulerOn(t, { runner, catchUp: false });
  scheduler.start();
  await t.clock.advance(0);
  assert.equal(calls.length, 0);
  assert.deepEqual(reports.map((r) => [r.status, r.trigger, r.slot?.toISOString(), r.recorded]), [
    ["skipped", "catch-up", "2026-11-25T08:15:00.000Z", true],
  ]);
  const job = t.timeline.jobs.get("quarter")!;
  assert.equal(job.lastStatus, "skipped");
  assert.deepEqual(job.nextRunAt, new Date("2026-11-25T10:15:00Z"));
  assert.equal(job.lockOwner, undefined);
  assert.equal(schedulerSpans(t.timeline)[0]?.metadata.status, "skipped");
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  assert.deepEqual(calls.map((c) => [c.at, c.trigger]), [["2026-11-25T10:15:00.000Z", "schedule"]]);
  await scheduler.stop();
});

Deno.test("at most maxConcurrent jobs run at once; a waiting job starts when a place frees", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  for (const name of ["a", "b", "c"]) addJob(t, name, "15 10 * * *");
  addJob(t, "off", "15 10 * * *", false);
  const gates = new Map(["a", "b", "c"].map((n) => [n, deferred<string>()]));
  const started: string[] = [];
  const runner: JobRunner = (job) => {
    started.push(`${job.name}@${t.clock.now().toISOString().slice(11, 19)}`);
    return gates.get(job.name)!.promise;
  };
  await using scheduler = schedulerOn(t, { runner, maxConcurrent: 2 }).scheduler;
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  assert.deepEqual(started, ["a@10:15:00", "b@10:15:00"]);
  assert.deepEqual(scheduler.running, ["a", "b"]);
  await t.clock.advance(5000);
  assert.deepEqual(started, ["a@10:15:00", "b@10:15:00"], "c waits");
  gates.get("b")!.resolve("ok");
  await t.clock.advance(0);
  assert.deepEqual(started, ["a@10:15:00", "b@10:15:00", "c@10:15:05"]);
  assert.deepEqual(scheduler.running.toSorted(), ["a", "c"]);
  gates.get("a")!.resolve("ok");
  gates.get("c")!.resolve("ok");
  await t.clock.advance(0);
  assert.deepEqual(scheduler.running, []);
  assert.deepEqual(t.timeline.jobs.list().map((j) => [j.name, j.runCount]), [
    ["a", 1],
    ["b", 1],
    ["c", 1],
    ["off", 0],
  ]);
});

Deno.test("a failing job records status failed with the error, and runs again next time", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "flaky", "*/30 * * * *");
  const errors: unknown[] = [new Error("provider down"), "a bare string"];
  const runner: JobRunner = () => Promise.reject(errors.shift());
  const { scheduler, reports } = schedulerOn(t, { runner });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T11:00:00.000Z");
  await scheduler.stop();
  assert.deepEqual(reports.map((r) => [r.status, r.error, r.answer]), [
    ["failed", "provider down", undefined],
    ["failed", "a bare string", undefined],
  ]);
  const job = t.timeline.jobs.get("flaky")!;
  assert.equal(job.lastStatus, "failed");
  assert.equal(job.runCount, 2);
  assert.deepEqual(job.nextRunAt, new Date("2026-11-25T11:30:00Z"));
  const spans = schedulerSpans(t.timeline);
  assert.equal(spans[0]?.metadata.status, "failed");
  assert.equal(spans[0]?.metadata.error, "provider down");
  assert.ok(spans[0]?.endedAt);
});

Deno.test("stopping cancels a run in progress: nothing recorded, lease freed, the time stays due", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "long", "15 10 * * *");
  const runner: JobRunner = (_job, { signal }) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  const { scheduler, reports } = schedulerOn(t, { runner });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  assert.deepEqual(scheduler.running, ["long"]);
  assert.equal(t.timeline.jobs.get("long")?.lockOwner, "p1");
  await scheduler.stop();
  assert.deepEqual(reports.map((r) => [r.status, r.recorded, r.error]), [
    ["cancelled", false, "aborted"],
  ]);
  const job = t.timeline.jobs.get("long")!;
  assert.equal(job.lockOwner, undefined);
  assert.equal(job.runCount, 0);
  assert.deepEqual(job.nextRunAt, new Date("2026-11-25T10:15:00Z"));
});

Deno.test("stopping with a grace period lets a run end and be recorded, starting no other job", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "long", "15 10 * * *");
  addJob(t, "next", "16 10 * * *");
  const gate = deferred<string>();
  const { calls, runner } = recordingRunner(t.clock);
  const { scheduler, reports } = schedulerOn(t, {
    runner: (job, ctx) => job.name === "long" ? gate.promise : runner(job, ctx),
  });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  assert.deepEqual(scheduler.running, ["long"]);
  let stopped = false;
  const stopping = scheduler.stop({ graceMs: 120_000 }).then(() => stopped = true);
  await t.clock.advanceTo("2026-11-25T10:16:30.000Z");
  assert.equal(stopped, false, "waits for the run");
  assert.deepEqual(calls, [], "a job that comes due meanwhile does not start");
  gate.resolve("done at last");
  await t.clock.advance(0);
  await stopping;
  assert.equal(t.clock.now().toISOString(), "2026-11-25T10:16:30.000Z", "not the whole grace");
  assert.deepEqual(reports.map((r) => [r.status, r.recorded]), [["succeeded", true]]);
  assert.equal(t.timeline.jobs.get("long")?.runCount, 1);
  assert.equal(t.timeline.jobs.get("next")?.runCount, 0);
  assert.deepEqual(t.timeline.jobs.get("next")?.nextRunAt, new Date("2026-11-25T10:16:00Z"));
});

Deno.test("a run that outlasts the grace period is cancelled; stopping again cancels at once", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "long", "15 10 * * *");
  const runner: JobRunner = (_job, { signal }) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  const first = schedulerOn(t, { runner });
  first.scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  const stopping = first.scheduler.stop({ graceMs: 30_000 });
  await t.clock.advance(29_999);
  assert.equal(first.reports.length, 0, "still within the grace period");
  await t.clock.advance(1);
  await stopping;
  assert.deepEqual(first.reports.map((r) => [r.status, r.recorded]), [["cancelled", false]]);
  assert.deepEqual(t.timeline.jobs.get("long")?.nextRunAt, new Date("2026-11-25T10:15:00Z"));

  const second = schedulerOn(t, { runner, owner: "p2" });
  second.scheduler.start();
  await t.clock.advance(0);
  assert.deepEqual(second.scheduler.running, ["long"], "the time stayed due");
  const patient = second.scheduler.stop({ graceMs: 3_600_000 });
  await t.clock.advance(0);
  await second.scheduler.stop(); // a second Ctrl-C
  await patient;
  assert.deepEqual(second.reports.map((r) => [r.status, r.trigger]), [["cancelled", "catch-up"]]);
  assert.equal(t.clock.now().toISOString(), "2026-11-25T10:15:30.000Z");
  assert.equal(t.timeline.jobs.get("long")?.lockOwner, undefined);
});

Deno.test("a long run renews its lease; one that loses it is not recorded", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "long", "15 10 * * *");
  const gate = deferred<string>();
  const { scheduler, reports, warnings } = schedulerOn(t, {
    runner: () => gate.promise,
    leaseMs: 60_000,
  });
  scheduler.start();
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  assert.deepEqual(t.timeline.jobs.get("long")?.lockUntil, new Date("2026-11-25T10:16:00Z"));
  await t.clock.advanceTo("2026-11-25T10:17:10.000Z"); // renewed at 10:15:30, 10:16:00 … 10:17:00
  assert.deepEqual(t.timeline.jobs.get("long")?.lockUntil, new Date("2026-11-25T10:18:00Z"));
  const other = { owner: "p2", until: new Date("2026-11-25T10:30:00Z") };
  assert.equal(t.timeline.jobs.tryLock("long", other), false, "held while it runs");
  // The lease is lost (say, this process stalled past it and another one took the job).
  t.timeline.jobs.unlock("long", "p1");
  assert.equal(t.timeline.jobs.tryLock("long", other), true);
  await t.clock.advance(30_000);
  gate.resolve("late answer");
  await t.clock.advance(0);
  await scheduler.stop();
  assert.deepEqual(warnings, [
    'job "long": another process took its lease during the run',
    'job "long": its lease ran out, so this run is not recorded',
  ]);
  assert.deepEqual(reports.map((r) => [r.status, r.recorded]), [["succeeded", false]]);
  assert.equal(t.timeline.jobs.get("long")?.runCount, 0);
  assert.equal(t.timeline.jobs.get("long")?.lockOwner, "p2");
});

Deno.test("runNow runs a job through the same lease and record, keeping its next time", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  addJob(t, "digest", "0 8 * * *");
  addJob(t, "off", "0 8 * * *", false);
  const gate = deferred<string>();
  const runs: string[] = [];
  const { scheduler, reports } = schedulerOn(t, {
    runner: (job, ctx) => {
      runs.push(`${job.name}:${ctx.trigger}:${ctx.slot}:${ctx.traceId.length}`);
      return gate.promise;
    },
  });
  const first = scheduler.runNow("digest");
  await t.clock.advance(0);
  assert.deepEqual(runs, ["digest:manual:undefined:32"]);
  assert.equal(await scheduler.runNow("digest"), undefined, "already running here");
  gate.resolve("the digest");
  const report = await first;
  assert.equal(report?.status, "succeeded");
  assert.equal(report?.answer, "the digest");
  assert.equal(report?.trigger, "manual");
  assert.equal(report?.slot, undefined);
  assert.deepEqual(reports, [report]);
  const job = t.timeline.jobs.get("digest")!;
  assert.equal(job.runCount, 1);
  assert.deepEqual(job.nextRunAt, new Date("2026-11-26T08:00:00Z"), "the next time is kept");
  assert.equal(await scheduler.runNow("off"), undefined, "disabled");
  assert.equal(await scheduler.runNow("nope"), undefined, "unknown");
  t.timeline.jobs.tryLock("digest", { owner: "p2", until: new Date("2026-11-25T11:00:00Z") });
  assert.equal(await scheduler.runNow("digest"), undefined, "running elsewhere");
  assert.deepEqual(schedulerSpans(t.timeline)[0]?.metadata.trigger, "manual");
});
