import assert from "node:assert/strict";
import { Timeline, type WorkedTask } from "../../../../core/timeline/mod.ts";

const request = {
  task_id: "t1",
  attempt: 1,
  description: "sum",
  content: "1+1",
  requester_id: "r",
  skill: "math",
  arbiter: "none",
};

function attempt(at: string, change: Partial<WorkedTask> = {}): WorkedTask {
  return {
    taskId: "t1",
    attempt: 1,
    type: "skill_request",
    request,
    taint: "untrusted",
    zone: "lab",
    status: "completed",
    answer: "2",
    reason: undefined,
    receivedAt: new Date(at),
    endedAt: new Date(Date.parse(at) + 1500),
    ...change,
  };
}

Deno.test("a task worked on here is kept as it came and ended, beside the same task sent", () => {
  using timeline = Timeline.open(":memory:");
  const kept = attempt("2026-12-04T12:00:00Z");
  timeline.workedTasks.record(kept);
  assert.deepEqual(timeline.workedTasks.get("t1"), kept);
  assert.equal(timeline.workedTasks.get("t2"), undefined);
  // One process may hold both sides of a task (agents in one process): each keeps its row.
  timeline.groupTasks.addOutgoing({
    taskId: "t1",
    type: "request",
    request,
    taint: "trusted",
    topic: "group.g.requests",
  });
  assert.equal(timeline.groupTasks.listOutgoing().length, 1);
  assert.deepEqual(timeline.workedTasks.list(), [kept]);
  assert.equal(timeline.groupTasks.outgoing("t1")!.status, "sent");
});

Deno.test("a later attempt of a task replaces the earlier one's row; an earlier one kept late does not", () => {
  using timeline = Timeline.open(":memory:");
  const store = timeline.workedTasks;
  store.record(attempt("2026-12-04T12:00:00Z", { status: "revoked", answer: undefined }));
  const second = attempt("2026-12-04T12:05:00Z", {
    attempt: 2,
    status: "failed",
    answer: "",
    reason: "Stopped: the deadline passed",
    zone: undefined,
  });
  store.record(second);
  assert.deepEqual(store.get("t1"), second);
  store.record(attempt("2026-12-04T12:00:00Z", { status: "declined", answer: undefined }));
  assert.deepEqual(store.get("t1"), second);
  assert.equal(store.list().length, 1);
});

Deno.test("the tasks worked on are listed the latest ended first, at most the limit", () => {
  using timeline = Timeline.open(":memory:");
  const store = timeline.workedTasks;
  for (const [id, at] of [["a", "12:00"], ["b", "12:02"], ["c", "12:01"]]) {
    store.record(attempt(`2026-12-04T${at}:00Z`, { taskId: id! }));
  }
  assert.deepEqual(store.list().map((t) => t.taskId), ["b", "c", "a"]);
  assert.deepEqual(store.list(2).map((t) => t.taskId), ["b", "c"]);
});
