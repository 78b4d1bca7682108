import assert from "node:assert/strict";
import { UndeliverableError } from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

const T0 = new Date("2026-11-25T10:00:00.000Z");
const after = (ms: number) => new Date(T0.getTime() + ms);

Deno.test("a task is created once per idempotency key; a duplicate returns the first", async () => {
  await using t = await tempTimeline();
  const first = t.timeline.tasks.create({
    idempotencyKey: "telegram:1:42",
    taskId: "task-1",
    traceId: "a".repeat(32),
    channel: "telegram",
    chatId: "1",
    senderId: "alice",
    messageType: "external",
    contentIn: "hello",
  });
  assert.equal(first.created, true);
  assert.deepEqual(first.task, {
    id: 1,
    taskId: "task-1",
    idempotencyKey: "telegram:1:42",
    traceId: "a".repeat(32),
    channel: "telegram",
    chatId: "1",
    senderId: "alice",
    messageType: "external",
    status: "pending",
    contentIn: "hello",
    contentOut: undefined,
    errorText: undefined,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    provider: undefined,
    model: undefined,
    costUsd: 0,
    deliveryStatus: "pending",
    deliveryAttempts: 0,
    deliveryNextAt: undefined,
    createdAt: T0,
    updatedAt: T0,
    completedAt: undefined,
  });
  const again = t.timeline.tasks.create({ idempotencyKey: "telegram:1:42", channel: "other" });
  assert.equal(again.created, false);
  assert.deepEqual(again.task, first.task);
  assert.deepEqual(t.timeline.tasks.get("task-1"), first.task);
  assert.equal(t.timeline.tasks.get("nope"), undefined);
  assert.equal(t.timeline.tasks.byIdempotencyKey("nope"), undefined);
  assert.throws(
    () => t.timeline.tasks.create({ idempotencyKey: "k2", taskId: "task-1", channel: "cli" }),
    /UNIQUE constraint failed: tasks.task_id/,
  );
});

Deno.test("defaults: made ids, internal, empty text", async () => {
  await using t = await tempTimeline();
  const { task } = t.timeline.tasks.create({ idempotencyKey: "k", channel: "cli" });
  assert.match(task.taskId, /^[0-9a-f]{32}$/);
  assert.match(task.traceId, /^[0-9a-f]{32}$/);
  assert.equal(task.messageType, "internal");
  assert.equal(task.chatId, "");
  assert.equal(task.senderId, "");
  assert.equal(task.contentIn, "");
});

Deno.test("tasks move pending → processing → completed and refuse other moves", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  const { task } = tasks.create({ idempotencyKey: "k", taskId: "t1", channel: "cli" });
  t.clock.advance(1000);
  const started = tasks.start(task.taskId);
  assert.equal(started.status, "processing");
  assert.deepEqual(started.updatedAt, after(1000));
  const done = tasks.complete("t1", "the answer");
  assert.equal(done.status, "completed");
  assert.equal(done.contentOut, "the answer");
  assert.deepEqual(done.completedAt, after(1000));
  assert.throws(() => tasks.start("t1"), {
    name: "RangeError",
    message: 'Cannot move task "t1" from completed to processing',
  });
  assert.throws(() => tasks.fail("t1", "x"), /from completed to failed/);
  assert.throws(() => tasks.start("t9"), { name: "RangeError", message: 'Cannot find task "t9"' });
});

Deno.test("a failed task keeps its error and, when given, a reply to deliver", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  tasks.create({ idempotencyKey: "a", taskId: "ta", channel: "cli" });
  tasks.create({ idempotencyKey: "b", taskId: "tb", channel: "cli" });
  const quiet = tasks.fail("ta", "provider down");
  assert.equal(quiet.status, "failed");
  assert.equal(quiet.errorText, "provider down");
  assert.equal(quiet.contentOut, undefined);
  tasks.start("tb");
  const told = tasks.fail("tb", "provider down", { reply: "Sorry, try again later" });
  assert.equal(told.contentOut, "Sorry, try again later");
  assert.deepEqual(tasks.dueDeliveries().map((x) => x.taskId), ["tb"]);
});

Deno.test("usage adds up tokens and cost and keeps the latest provider and model", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  tasks.create({ idempotencyKey: "k", taskId: "t1", channel: "cli" });
  tasks.addUsage("t1", {
    promptTokens: 100,
    completionTokens: 20,
    costUsd: 0.5,
    provider: "openai",
    model: "gpt",
  });
  const total = tasks.addUsage("t1", { promptTokens: 7, model: "gpt-mini" });
  assert.equal(total.promptTokens, 107);
  assert.equal(total.completionTokens, 20);
  assert.equal(total.totalTokens, 127);
  assert.equal(total.costUsd, 0.5);
  assert.equal(total.provider, "openai");
  assert.equal(total.model, "gpt-mini");
  assert.equal(tasks.addUsage("t1", {}).totalTokens, 127);
  assert.throws(() => tasks.addUsage("t9", { promptTokens: 1 }), /Cannot find task "t9"/);
});

Deno.test("delivery retries back off 30 s · 2^n up to 5 min, then fail for good", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  tasks.create({ idempotencyKey: "k", taskId: "t1", channel: "telegram" });
  assert.deepEqual(tasks.dueDeliveries(), [], "an unfinished task is not due");
  tasks.complete("t1", "hi");
  assert.deepEqual(tasks.dueDeliveries(T0).map((x) => x.taskId), ["t1"]);
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    const task = tasks.deliveryFailed("t1", { maxAttempts: 6, baseMs: 30_000, capMs: 200_000 });
    assert.equal(task.deliveryStatus, "pending");
    assert.equal(task.deliveryAttempts, i + 1);
    waits.push(task.deliveryNextAt!.getTime() - T0.getTime());
  }
  assert.deepEqual(waits, [30_000, 60_000, 120_000, 200_000]);
  assert.deepEqual(tasks.dueDeliveries(after(199_999)), []);
  assert.deepEqual(tasks.dueDeliveries(after(200_000)).map((x) => x.taskId), ["t1"]);
  tasks.deliveryFailed("t1", { maxAttempts: 6 });
  const gaveUp = tasks.deliveryFailed("t1", { maxAttempts: 6 });
  assert.equal(gaveUp.deliveryStatus, "failed");
  assert.equal(gaveUp.deliveryAttempts, 6);
  assert.equal(gaveUp.deliveryNextAt, undefined);
  assert.deepEqual(tasks.dueDeliveries(after(10_000_000)), []);
  assert.throws(() => tasks.deliveryFailed("t1"), {
    message: 'Cannot mark the delivery of task "t1" failed: it is already failed',
  });
  assert.throws(() => tasks.deliveryFailed("t9"), /Cannot find task "t9"/);
});

Deno.test("default delivery retry: 5 attempts from 30 s, capped at 5 min", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  tasks.create({ idempotencyKey: "k", taskId: "t1", channel: "cli" });
  tasks.complete("t1", "x");
  const nexts = [1, 2, 3, 4, 5].map(() => tasks.deliveryFailed("t1").deliveryNextAt);
  assert.deepEqual(nexts, [
    after(30_000),
    after(60_000),
    after(120_000),
    after(240_000),
    undefined,
  ]);
  assert.equal(tasks.get("t1")?.deliveryStatus, "failed");
});

Deno.test("an undeliverable text fails its delivery at once, with the reason on the task", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  for (const id of ["t1", "t2"]) tasks.create({ idempotencyKey: id, taskId: id, channel: "cli" });
  tasks.complete("t1", "x");
  const closed = new UndeliverableError("outside the window");
  const failed = tasks.deliveryFailed("t1", { maxAttempts: 5 }, closed);
  assert.equal(failed.deliveryStatus, "failed");
  assert.equal(failed.deliveryAttempts, 1);
  assert.equal(failed.deliveryNextAt, undefined);
  assert.equal(failed.errorText, "delivery: outside the window");
  assert.deepEqual(tasks.dueDeliveries(after(10_000_000)), []);
  // Any other error is retried and leaves no text; a failed turn's own error is kept.
  tasks.fail("t2", "the model is down", { reply: "Sorry" });
  assert.equal(tasks.deliveryFailed("t2", {}, new Error("HTTP 502")).deliveryStatus, "pending");
  assert.equal(tasks.deliveryFailed("t2", {}, closed).errorText, "the model is down");
});

Deno.test("a delivery reported lost after it was sent becomes failed, with the reason", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  for (const id of ["t1", "t2"]) {
    tasks.create({ idempotencyKey: id, taskId: id, channel: "whatsapp" });
    tasks.complete(id, "x");
  }
  tasks.markDelivery("t1", "sent");
  const lost = tasks.deliveryLost("t1", "delivery: window closed");
  assert.equal(lost?.deliveryStatus, "failed");
  assert.equal(lost?.errorText, "delivery: window closed");
  assert.equal(tasks.deliveryLost("t1", "again"), undefined, "already failed");
  assert.equal(tasks.deliveryLost("t2", "pending"), undefined, "not sent yet");
  assert.equal(tasks.get("t2")?.deliveryStatus, "pending");
  assert.equal(tasks.deliveryLost("t9", "unknown"), undefined);
});

Deno.test("a sent or skipped delivery is final and is no longer due", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  for (const id of ["t1", "t2"]) {
    tasks.create({ idempotencyKey: id, taskId: id, channel: "cli" });
    tasks.complete(id, "x");
  }
  tasks.deliveryFailed("t1");
  const sent = tasks.markDelivery("t1", "sent");
  assert.equal(sent.deliveryStatus, "sent");
  assert.equal(sent.deliveryAttempts, 2);
  assert.equal(sent.deliveryNextAt, undefined);
  const skipped = tasks.markDelivery("t2", "skipped");
  assert.equal(skipped.deliveryAttempts, 0);
  assert.deepEqual(tasks.dueDeliveries(after(1e9)), []);
  assert.throws(() => tasks.markDelivery("t1", "skipped"), /"t1" skipped: it is already sent/);
  assert.throws(() => tasks.markDelivery("t9", "sent"), /Cannot find task "t9"/);
});

Deno.test("due deliveries come oldest first, at most `limit`", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  for (const id of ["t1", "t2", "t3"]) {
    tasks.create({ idempotencyKey: id, taskId: id, channel: "cli" });
    t.clock.advance(1000);
    tasks.complete(id, "x");
  }
  tasks.deliveryFailed("t1", { baseMs: 10 });
  const due = tasks.dueDeliveries(after(60_000), { limit: 2 });
  assert.deepEqual(due.map((x) => x.taskId), ["t2", "t3"]);
});

Deno.test("tasks list newest first, by status, a page at a time", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  for (const id of ["t1", "t2", "t3"]) {
    tasks.create({ idempotencyKey: id, taskId: id, channel: "cli" });
  }
  tasks.start("t2");
  assert.deepEqual(tasks.list().items.map((x) => x.taskId), ["t3", "t2", "t1"]);
  assert.deepEqual(tasks.list({ status: "pending" }).items.map((x) => x.taskId), ["t3", "t1"]);
  const page = tasks.list({ limit: 1 });
  assert.equal(page.next, 3);
  assert.deepEqual(tasks.list({ before: page.next!, limit: 5 }).items.map((x) => x.id), [2, 1]);
});

Deno.test("a repository call inside a timeline transaction joins it and rolls back with it", async () => {
  await using t = await tempTimeline();
  const tasks = t.timeline.tasks;
  tasks.create({ idempotencyKey: "k", taskId: "t1", channel: "cli" });
  tasks.complete("t1", "x");
  assert.throws(() =>
    t.timeline.transaction(() => {
      tasks.deliveryFailed("t1");
      throw new Error("boom");
    }), /boom/);
  assert.equal(tasks.get("t1")?.deliveryAttempts, 0);
  t.timeline.transaction(() => tasks.deliveryFailed("t1"));
  assert.equal(tasks.get("t1")?.deliveryAttempts, 1);
});
