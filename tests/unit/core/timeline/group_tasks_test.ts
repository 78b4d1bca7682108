import assert from "node:assert/strict";
import { Timeline } from "../../../../core/timeline/mod.ts";

const request = {
  task_id: "t1",
  attempt: 1,
  description: "sum",
  content: "1+1",
  requester_id: "r",
  skill: "math",
  deadline_at: "2026-12-04T13:00:00.000Z",
  arbiter: "requester",
};

Deno.test("an outgoing task is stored as sent, changed while unfinished, and never after its answer", () => {
  using timeline = Timeline.open(":memory:", { now: () => new Date("2026-12-04T12:00:00Z") });
  const store = timeline.groupTasks;
  const task = store.addOutgoing({
    taskId: "t1",
    type: "skill_request",
    request,
    taint: "untrusted",
    topic: "group.g.skill.math.requests",
    zone: "lab",
  });
  assert.deepEqual(
    [task.type, task.request, task.taint, task.attempt, task.status, task.workerId, task.zone],
    ["skill_request", request, "untrusted", 1, "sent", undefined, "lab"],
  );
  assert.deepEqual(task.deadlineAt, new Date("2026-12-04T13:00:00Z"));
  // The same id again changes nothing, and returns the task as it was stored first.
  const again = store.addOutgoing({
    taskId: "t1",
    type: "request",
    request: {},
    taint: "trusted",
    topic: "x",
  });
  assert.deepEqual([again.type, again.request, again.topic], [
    "skill_request",
    request,
    task.topic,
  ]);
  assert.equal(store.outgoing("t1")?.type, "skill_request");
  const held = store.update("t1", { status: "assigned", workerId: "a", excluded: ["b"] });
  assert.deepEqual([held?.status, held?.workerId, held?.excluded], ["assigned", "a", ["b"]]);
  const next = store.update("t1", { attempt: 2, status: "sent", workerId: null, topic: "inbox" });
  assert.deepEqual([next?.attempt, next?.workerId, next?.topic], [2, undefined, "inbox"]);
  assert.deepEqual(store.unfinishedOutgoing().map((t) => t.taskId), ["t1"]);
  const done = store.update("t1", {
    status: "completed",
    workerId: "c",
    responseContent: "2",
    reason: "fine",
  });
  assert.deepEqual([done?.status, done?.responseContent, done?.reason], ["completed", "2", "fine"]);
  assert.deepEqual(done?.respondedAt, new Date("2026-12-04T12:00:00Z"));
  assert.equal(store.update("t1", { status: "failed" }), undefined, "a final answer stays");
  assert.equal(store.update("t-unknown", { status: "failed" }), undefined);
  assert.deepEqual(store.unfinishedOutgoing(), []);
  assert.equal(store.outgoing("t-unknown"), undefined);
});

Deno.test("a request without the optional fields is stored with the protocol's defaults", () => {
  using timeline = Timeline.open(":memory:");
  const task = timeline.groupTasks.addOutgoing({
    taskId: "t2",
    type: "request",
    request: { task_id: "t2", content: 5 },
    taint: "trusted",
    topic: "group.g.requests",
  });
  assert.deepEqual([task.deadlineAt, task.zone, task.topic], [
    undefined,
    undefined,
    "group.g.requests",
  ]);
});
