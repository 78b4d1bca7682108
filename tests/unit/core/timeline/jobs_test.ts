import assert from "node:assert/strict";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { otherProcess, tempTimeline, TIMELINE_URL } from "./_helpers.ts";

const T0 = new Date("2026-11-25T10:00:00.000Z");
const after = (ms: number) => new Date(T0.getTime() + ms);

Deno.test("jobs are upserted from config keeping their history, and listed by name", async () => {
  await using t = await tempTimeline();
  const jobs = t.timeline.jobs;
  const job = jobs.upsert({ name: "digest", schedule: "0 8 * * *", message: "summarise" });
  assert.deepEqual(job, {
    id: 1,
    name: "digest",
    schedule: "0 8 * * *",
    message: "summarise",
    enabled: true,
    origin: "cli",
    lastStatus: undefined,
    lastRunAt: undefined,
    nextRunAt: undefined,
    runCount: 0,
    lockOwner: undefined,
    lockUntil: undefined,
    createdAt: T0,
    updatedAt: T0,
  });
  assert.ok(jobs.tryLock("digest", { owner: "p1", until: after(1000) }));
  assert.ok(jobs.finishRun("digest", { owner: "p1", status: "succeeded", nextRunAt: after(9000) }));
  t.clock.advance(5000);
  const changed = jobs.upsert({
    name: "digest",
    schedule: "0 9 * * *",
    message: "summarise the day",
    enabled: false,
  });
  assert.equal(changed.schedule, "0 9 * * *");
  assert.equal(changed.enabled, false);
  assert.equal(changed.runCount, 1);
  assert.deepEqual(changed.nextRunAt, after(9000));
  assert.deepEqual(changed.createdAt, T0);
  assert.deepEqual(changed.updatedAt, after(5000));
  jobs.upsert({ name: "backup", schedule: "* * * * *", message: "b", nextRunAt: after(60_000) });
  assert.deepEqual(jobs.list().map((j) => j.name), ["backup", "digest"]);
  assert.deepEqual(jobs.get("backup")?.nextRunAt, after(60_000));
  assert.equal(jobs.get("nope"), undefined);
});

Deno.test("syncConfig owns config's jobs: adds, updates, keeps due times, removes, never touches CLI jobs", async () => {
  await using t = await tempTimeline();
  const jobs = t.timeline.jobs;
  jobs.upsert({ name: "mine", schedule: "* * * * *", message: "x" });
  jobs.upsert({ name: "taken", schedule: "* * * * *", message: "from the cli" });
  const first = jobs.syncConfig([
    { name: "a", schedule: "*/5 * * * *", message: "ping", nextRunAt: after(1000) },
    { name: "b", schedule: "0 0 * * 0", message: "weekly", enabled: false, nextRunAt: after(2000) },
    { name: "taken", schedule: "0 1 * * *", message: "config's now", nextRunAt: after(3000) },
  ]);
  assert.deepEqual(first, { added: ["a", "b"], changed: ["taken"], removed: [] });
  assert.deepEqual(jobs.list().map((j) => [j.name, j.origin, j.enabled]), [
    ["a", "config", true],
    ["b", "config", false],
    ["mine", "cli", true],
    ["taken", "config", true],
  ]);
  assert.deepEqual(jobs.get("a")?.nextRunAt, after(1000));
  // A run moves a's due time; syncing the same definition again changes nothing.
  assert.ok(jobs.tryLock("a", { owner: "p", until: after(5000) }));
  assert.ok(jobs.finishRun("a", { owner: "p", status: "succeeded", nextRunAt: after(9000) }));
  const same = jobs.syncConfig([
    { name: "a", schedule: "*/5 * * * *", message: "ping", nextRunAt: after(1500) },
    { name: "b", schedule: "0 0 * * 0", message: "weekly", enabled: false, nextRunAt: after(2000) },
    { name: "taken", schedule: "0 1 * * *", message: "config's now", nextRunAt: after(3000) },
  ]);
  assert.deepEqual(same, { added: [], changed: [], removed: [] });
  assert.deepEqual(jobs.get("a")?.nextRunAt, after(9000));
  assert.equal(jobs.get("a")?.runCount, 1);
  // A new message keeps the due time; a new schedule or enabling again takes the given one.
  const edited = jobs.syncConfig([
    { name: "a", schedule: "*/5 * * * *", message: "pong", nextRunAt: after(1500) },
    { name: "b", schedule: "0 0 * * 0", message: "weekly", nextRunAt: after(2500) },
  ]);
  assert.deepEqual(edited, { added: [], changed: ["a", "b"], removed: ["taken"] });
  assert.deepEqual(jobs.get("a")?.nextRunAt, after(9000));
  assert.equal(jobs.get("a")?.message, "pong");
  assert.deepEqual(jobs.get("b")?.nextRunAt, after(2500));
  jobs.syncConfig([{ name: "a", schedule: "0 2 * * *", message: "pong", nextRunAt: after(7000) }]);
  assert.deepEqual(jobs.get("a")?.nextRunAt, after(7000));
  assert.deepEqual(jobs.syncConfig([]).removed, ["a"]);
  assert.deepEqual(jobs.list().map((j) => j.name), ["mine"]);
});

Deno.test("a job lease is taken by one owner until it runs out or is released", async () => {
  await using t = await tempTimeline();
  const jobs = t.timeline.jobs;
  jobs.upsert({ name: "j", schedule: "* * * * *", message: "m" });
  assert.equal(jobs.tryLock("j", { owner: "p1", until: after(30_000) }), true);
  assert.equal(jobs.tryLock("j", { owner: "p2", until: after(30_000) }), false);
  assert.equal(
    jobs.tryLock("j", { owner: "p1", until: after(60_000) }),
    true,
    "the holder extends",
  );
  assert.deepEqual(jobs.get("j")?.lockUntil, after(60_000));
  assert.equal(jobs.tryLock("j", { owner: "p2", until: after(90_000), now: after(59_999) }), false);
  assert.equal(jobs.tryLock("j", { owner: "p2", until: after(90_000), now: after(60_000) }), true);
  assert.equal(jobs.finishRun("j", { owner: "p1", status: "succeeded" }), false, "p1 lost it");
  assert.equal(jobs.get("j")?.runCount, 0);
  assert.equal(jobs.unlock("j", "p1"), false);
  assert.equal(jobs.unlock("j", "p2"), true);
  assert.equal(jobs.get("j")?.lockOwner, undefined);
  assert.equal(jobs.tryLock("nope", { owner: "p1", until: after(1) }), false);
});

Deno.test("a disabled job cannot be locked; a finished run is recorded and frees the lease", async () => {
  await using t = await tempTimeline();
  const jobs = t.timeline.jobs;
  jobs.upsert({ name: "off", schedule: "* * * * *", message: "m", enabled: false });
  assert.equal(jobs.tryLock("off", { owner: "p1", until: after(1000) }), false);
  jobs.upsert({ name: "on", schedule: "* * * * *", message: "m" });
  jobs.tryLock("on", { owner: "p1", until: after(1000) });
  t.clock.advance(400);
  assert.equal(jobs.finishRun("on", { owner: "p1", status: "failed" }), true);
  const job = jobs.get("on")!;
  assert.equal(job.lastStatus, "failed");
  assert.deepEqual(job.lastRunAt, after(400));
  assert.equal(job.runCount, 1);
  assert.equal(job.lockOwner, undefined);
  assert.equal(job.lockUntil, undefined);
  assert.equal(jobs.tryLock("on", { owner: "p2", until: after(2000) }), true);
});

Deno.test("processes contending for one job lock: exactly one wins", async () => {
  await using t = await tempTimeline();
  t.timeline.jobs.upsert({ name: "nightly", schedule: "0 3 * * *", message: "m" });
  const startAt = Date.now() + 1500;
  const code = (owner: string) =>
    `import { Timeline } from ${JSON.stringify(TIMELINE_URL)};
    const t = Timeline.open(${JSON.stringify(t.path)});
    while (Date.now() < ${startAt}) { /* start together */ }
    const won = t.jobs.tryLock("nightly", {
      owner: ${JSON.stringify(owner)},
      until: new Date(${after(60_000).getTime()}),
      now: new Date(${T0.getTime()}),
    });
    console.log(won ? ${JSON.stringify(owner)} : "-");
    t.close();`;
  const owners = ["p1", "p2", "p3", "p4"];
  const results = await Promise.all(owners.map((o) => otherProcess(code(o))));
  const winners = results.filter((r) => r !== "-");
  assert.equal(winners.length, 1, `results: ${results.join(",")}`);
  using again = Timeline.open(t.path);
  assert.equal(again.jobs.get("nightly")?.lockOwner, winners[0]);
  assert.equal(
    t.timeline.jobs.tryLock("nightly", { owner: "me", until: after(1), now: T0 }),
    false,
  );
});

Deno.test("a removed job is gone with its history", async () => {
  await using t = await tempTimeline();
  const jobs = t.timeline.jobs;
  jobs.upsert({ name: "j", schedule: "* * * * *", message: "m" });
  jobs.upsert({ name: "k", schedule: "* * * * *", message: "m" });
  assert.equal(jobs.remove("j"), true);
  assert.equal(jobs.get("j"), undefined);
  assert.equal(jobs.remove("j"), false);
  assert.deepEqual(jobs.list().map((job) => job.name), ["k"]);
});
