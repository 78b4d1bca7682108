/** The delivery worker on a fake clock over a real timeline's tasks. */
import assert from "node:assert/strict";
import { type Deliver, DeliveryWorker } from "../../../../core/scheduler/mod.ts";
import type { Task, TaskStore, Timeline } from "../../../../core/timeline/mod.ts";
import { clockedTimeline } from "./_helpers.ts";

const T0 = Date.parse("2026-11-25T10:00:00.000Z");
const seconds = (iso: string) => (Date.parse(iso) - T0) / 1000;

/** A finished task whose answer waits to be delivered. */
function answered(timeline: Timeline, id: string, answer = `answer ${id}`): Task {
  timeline.tasks.create({ idempotencyKey: id, taskId: id, channel: "telegram", chatId: "42" });
  return timeline.tasks.complete(id, answer);
}

/** A deliver port that fails the first `failures` attempts of each task, recording them all. */
function flakyChannel(clock: { now(): Date }, failures: number) {
  const attempts: { task: string; at: number }[] = [];
  const deliver: Deliver = (task) => {
    attempts.push({ task: task.taskId, at: seconds(clock.now().toISOString()) });
    const n = attempts.filter((a) => a.task === task.taskId).length;
    return n <= failures ? Promise.reject(new Error("502 Bad Gateway")) : Promise.resolve();
  };
  return { attempts, deliver };
}

Deno.test("a failing delivery is retried after 30 s, 60 s, 120 s, 240 s, then given up after 5 attempts", async () => {
  await using t = await clockedTimeline();
  answered(t.timeline, "t1");
  const channel = flakyChannel(t.clock, Infinity);
  const warnings: string[] = [];
  await using worker = new DeliveryWorker({
    store: t.timeline,
    deliver: channel.deliver,
    clock: t.clock,
    warn: (w) => warnings.push(w),
  });
  worker.start();
  worker.start(); // a no-op
  await t.clock.advance(3_600_000);
  assert.deepEqual(channel.attempts.map((a) => a.at), [0, 30, 90, 210, 450]);
  const task = t.timeline.tasks.get("t1")!;
  assert.equal(task.deliveryStatus, "failed");
  assert.equal(task.deliveryAttempts, 5);
  assert.equal(warnings.length, 5);
  assert.equal(
    warnings[0],
    'cannot deliver task "t1" (attempt 1): 502 Bad Gateway; next attempt at 2026-11-25T10:00:30.000Z',
  );
  assert.equal(warnings[4], 'gave up delivering task "t1" after 5 attempts: 502 Bad Gateway');
});

Deno.test("backoff doubles up to its cap; a delivery that gets through is marked sent", async () => {
  await using t = await clockedTimeline();
  answered(t.timeline, "t1");
  const channel = flakyChannel(t.clock, 6);
  await using worker = new DeliveryWorker({
    store: t.timeline,
    deliver: channel.deliver,
    clock: t.clock,
    retry: { maxAttempts: 10 },
  });
  worker.start();
  await t.clock.advance(3_600_000);
  // Waits of 30, 60, 120, 240 s, then the 5-minute cap.
  assert.deepEqual(channel.attempts.map((a) => a.at), [0, 30, 90, 210, 450, 750, 1050]);
  const task = t.timeline.tasks.get("t1")!;
  assert.equal(task.deliveryStatus, "sent");
  assert.equal(task.deliveryAttempts, 7);
  assert.equal(task.deliveryNextAt, undefined);
});

Deno.test("a pass delivers every due answer in order and counts what happened", async () => {
  await using t = await clockedTimeline();
  answered(t.timeline, "a");
  answered(t.timeline, "b");
  answered(t.timeline, "c");
  answered(t.timeline, "d");
  t.timeline.tasks.create({ idempotencyKey: "open", channel: "telegram" }); // not finished
  const seen: string[] = [];
  const deliver: Deliver = (task) => {
    seen.push(task.taskId);
    if (task.taskId === "b") return Promise.resolve("skipped");
    if (task.taskId === "c") return Promise.reject("no route");
    return Promise.resolve();
  };
  const worker = new DeliveryWorker({
    store: t.timeline,
    deliver,
    clock: t.clock,
    retry: { maxAttempts: 1 },
  });
  assert.deepEqual(await worker.pass(), { sent: 2, skipped: 1, retrying: 0, failed: 1 });
  assert.deepEqual(seen, ["a", "b", "c", "d"]);
  assert.deepEqual(
    t.timeline.tasks.list().items.map((task) => [task.taskId, task.deliveryStatus]).toSorted(),
    [["a", "sent"], ["b", "skipped"], ["c", "failed"], ["d", "sent"], [
      t.timeline.tasks.byIdempotencyKey("open")!.taskId,
      "pending",
    ]].toSorted(),
  );
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 0 });
});

Deno.test("stopping during a pass leaves the rest for later; a failing pass is warned about", async () => {
  await using t = await clockedTimeline();
  answered(t.timeline, "a");
  answered(t.timeline, "b");
  const seen: string[] = [];
  let stopping: Promise<void> | undefined;
  const worker: DeliveryWorker = new DeliveryWorker({
    store: t.timeline,
    clock: t.clock,
    deliver: (task) => {
      seen.push(task.taskId);
      stopping = worker.stop();
      return Promise.resolve();
    },
  });
  worker.start();
  await t.clock.advance(0);
  await stopping;
  assert.deepEqual(seen, ["a"]);
  assert.equal(t.timeline.tasks.get("b")?.deliveryStatus, "pending");

  let calls = 0;
  const tasks = new Proxy(t.timeline.tasks, {
    get(target, prop) {
      if (prop === "dueDeliveries") {
        return () => {
          if (++calls === 1) throw new Error("database is locked");
          return target.dueDeliveries(t.clock.now());
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as TaskStore;
  const warnings: string[] = [];
  await using again = new DeliveryWorker({
    store: { tasks },
    clock: t.clock,
    intervalMs: 1000,
    deliver: (task) => Promise.resolve(void seen.push(task.taskId)),
    warn: (w) => warnings.push(w),
  });
  again.start();
  await t.clock.advance(1000);
  assert.deepEqual(warnings, ["delivery worker: database is locked"]);
  assert.deepEqual(seen, ["a", "b"]);
});

Deno.test("a worker on the system clock delivers at once and stops without waiting", async () => {
  await using t = await clockedTimeline();
  answered(t.timeline, "now");
  const sent = Promise.withResolvers<string>();
  const worker = new DeliveryWorker({
    store: t.timeline,
    deliver: (task) => Promise.resolve(sent.resolve(task.taskId)),
  });
  worker.start();
  assert.equal(await sent.promise, "now");
  const before = Date.now();
  await worker.stop();
  assert.ok(Date.now() - before < 1000);
});
