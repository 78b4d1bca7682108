/**
 * Several schedulers sharing one timeline: OS processes contending for a job, two schedulers in
 * one process, and a scheduler whose view of the jobs is stale. Each scheduled time runs once.
 */
import assert from "node:assert/strict";
import { defineJob, Scheduler } from "../../../../core/scheduler/mod.ts";
import type { JobStore } from "../../../../core/timeline/mod.ts";
import { clockedTimeline, recordingRunner } from "./_helpers.ts";

const CONTENDER = new URL("./_contender.ts", import.meta.url).pathname;

async function contender(args: string[]): Promise<{ owner: string; runs: number; early: boolean }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CONTENDER, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`A contender failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("three processes sharing a timeline: a due job runs in exactly one of them", async () => {
  await using t = await clockedTimeline();
  const startAt = Date.now() + 4000;
  // Due 300 ms after the processes start together, then not again until next year.
  t.timeline.jobs.upsert({
    name: "yearly",
    schedule: "0 0 1 1 *",
    message: "m",
    nextRunAt: new Date(startAt + 300),
  });
  const owners = ["p1", "p2", "p3"];
  const results = await Promise.all(
    owners.map((owner) => contender([t.path, owner, String(startAt), "1500"])),
  );
  assert.deepEqual(results.map((r) => r.early), [true, true, true], "all started together");
  const runs = results.map((r) => r.runs);
  assert.equal(runs.reduce((a, b) => a + b, 0), 1, `runs per process: ${runs.join(",")}`);
  const job = t.timeline.jobs.get("yearly")!;
  assert.equal(job.runCount, 1);
  assert.equal(job.lastStatus, "succeeded");
  assert.equal(job.lockOwner, undefined);
  assert.ok(job.nextRunAt! > new Date(startAt + 86_400_000), "next year");
});

Deno.test("two schedulers in one process on one timeline run each time once", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  t.timeline.jobs.upsert(
    defineJob({ name: "q", schedule: "*/15 * * * *", message: "m" }, { now: t.clock.now() }),
  );
  const one = recordingRunner(t.clock);
  const two = recordingRunner(t.clock);
  const options = { store: t.timeline, clock: t.clock, pollMs: 10_000 };
  await using a = new Scheduler({ ...options, owner: "a", runner: one.runner });
  await using b = new Scheduler({ ...options, owner: "b", runner: two.runner });
  a.start();
  b.start();
  await t.clock.advanceTo("2026-11-25T11:00:00.000Z");
  const times = [...one.calls, ...two.calls].map((c) => c.at).toSorted();
  assert.deepEqual(times, [
    "2026-11-25T10:15:00.000Z",
    "2026-11-25T10:30:00.000Z",
    "2026-11-25T10:45:00.000Z",
    "2026-11-25T11:00:00.000Z",
  ]);
  assert.equal(t.timeline.jobs.get("q")?.runCount, 4);
});

Deno.test("a time another process ran after this one listed the jobs is not run again", async () => {
  await using t = await clockedTimeline("2026-11-25T10:00:00.000Z");
  const jobs = t.timeline.jobs;
  jobs.upsert(
    defineJob({ name: "q", schedule: "15 10 * * *", message: "m" }, { now: t.clock.now() }),
  );
  const seen: { stale?: ReturnType<JobStore["list"]> } = {};
  const view = new Proxy(jobs, {
    get(target, prop) {
      // The list as it was before the other process's run finished.
      if (prop === "list") return () => seen.stale ?? target.list();
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const { calls, runner } = recordingRunner(t.clock);
  await using scheduler = new Scheduler({
    store: { jobs: view, events: t.timeline.events },
    clock: t.clock,
    owner: "late",
    runner,
  });
  await t.clock.advanceTo("2026-11-25T10:15:00.000Z");
  seen.stale = jobs.list();
  assert.ok(jobs.tryLock("q", { owner: "quick", until: new Date("2026-11-25T10:20:00Z") }));
  assert.ok(
    jobs.finishRun("q", {
      owner: "quick",
      status: "succeeded",
      nextRunAt: new Date("2026-11-26T10:15:00Z"),
    }),
  );
  scheduler.start();
  await t.clock.advance(0);
  assert.equal(calls.length, 0);
  assert.equal(jobs.get("q")?.runCount, 1);
  assert.equal(jobs.get("q")?.lockOwner, undefined, "the lease taken to look was given back");
});
