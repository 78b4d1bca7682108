/**
 * How `kafclaw task show --trace` prints a trace read from the topics, as text and as JSON: the
 * tree, then the records of the task that failed verification, each with who it claimed to be,
 * where it was and why it was dropped; nothing about drops when there were none. And how a task of
 * another agent worked on here is listed and shown: who asked, where, how it ended.
 */
import assert from "node:assert/strict";
import {
  showText,
  taskJson,
  workedJson,
  workedShowText,
  workedText,
} from "../../../cli/_task_view.ts";
import { droppedJson, traceJson, traceText } from "../../../cli/_trace_view.ts";
import type { OutgoingTask, WorkedTask } from "../../../core/timeline/mod.ts";
import { type DroppedRecord, spanTree } from "../../../core/group/mod.ts";

const T0 = new Date("2026-12-04T10:00:00.000Z");
const TRACE = "a".repeat(32);
const trace = spanTree(TRACE, [{
  traceId: TRACE,
  spanId: "b".repeat(16),
  parentSpanId: undefined,
  agentId: "ann",
  spanType: "DELEGATION",
  title: "submit",
  startedAt: T0,
  endedAt: new Date(T0.getTime() + 1200),
  durationMs: 1200,
  attributes: { task_id: "t-1", status: "completed" },
  contentHash: undefined,
  content: undefined,
  zone: undefined,
}]);
const dropped: DroppedRecord[] = [{
  agentId: "mallory",
  topic: "group.g.traces",
  code: "unknown_signer",
  reason: 'no certificate of "mallory" is known',
}];

Deno.test("a trace read from the topics says what failed verification and was left out", () => {
  assert.equal(
    traceText(trace, dropped),
    [
      `trace ${TRACE}: 1 spans from ann`,
      "  ann DELEGATION submit (1200 ms) [completed]",
      "dropped 1 record(s) of this task that failed verification:",
      '  from "mallory" on group.g.traces: unknown_signer',
    ].join("\n"),
  );
  assert.deepEqual(traceJson(trace, "topics", dropped).dropped, [{
    agent_id: "mallory",
    topic: "group.g.traces",
    code: "unknown_signer",
    reason: 'no certificate of "mallory" is known',
  }]);
  assert.deepEqual(droppedJson(dropped[0]!), traceJson(trace, "topics", dropped).dropped[0]);
});

Deno.test("a trace with nothing dropped prints its tree alone, and an empty list as JSON", () => {
  assert.equal(traceText(trace, []).split("\n").length, 2);
  assert.deepEqual(traceJson(trace, "agent", []).dropped, []);
});

Deno.test("a task that ended without an answer shows none, as JSON null and no answer line", () => {
  const task = (status: OutgoingTask["status"], responseContent: string | undefined) =>
    ({
      taskId: "t-1",
      type: "request",
      request: { content: "sum it" },
      taint: "trusted",
      attempt: 1,
      status,
      workerId: "w",
      excluded: [],
      topic: "group.g.requests",
      zone: undefined,
      deadlineAt: undefined,
      responseContent,
      reason: status === "completed" ? undefined : "past its deadline",
      createdAt: T0,
      respondedAt: undefined,
      routes: [],
    }) as OutgoingTask;
  for (const status of ["rejected", "expired", "failed"] as const) {
    assert.equal(taskJson(task(status, "")).answer, null, status);
    assert.doesNotMatch(showText(task(status, "")), /answer:/, status);
  }
  assert.equal(taskJson(task("sent", undefined)).answer, null);
  assert.equal(taskJson(task("failed", "the tool broke")).answer, "the tool broke");
  assert.equal(taskJson(task("completed", "")).answer, "", "an empty answer is still an answer");
  // Where it went: an agent or a skill, in a zone if it went into one; a zone; the group.
  const to = (request: Record<string, unknown>, zone?: string) =>
    taskJson({ ...task("sent", undefined), request, zone }).to;
  assert.deepEqual(
    [
      to({ target_id: "w1" }, "lab"),
      to({ skill: "sql" }, "lab"),
      to({}, "lab"),
      to({ target_id: "w1" }),
      to({}),
    ],
    ["agent w1 in zone lab", "skill sql in zone lab", "zone lab", "agent w1", "group"],
  );
});

Deno.test("a task worked on here is listed and shown with who asked, where, and how it ended", () => {
  const worked = (change: Partial<WorkedTask> = {}): WorkedTask => ({
    taskId: "t-9",
    attempt: 2,
    type: "skill_request",
    request: { content: "sum   it\nplease", requester_id: "boss", skill: "math" },
    taint: "untrusted",
    zone: "lab",
    status: "completed",
    answer: "2",
    reason: undefined,
    receivedAt: T0,
    endedAt: new Date(T0.getTime() + 1500),
    ...change,
  });
  assert.equal(
    workedText([worked(), worked({ taskId: "t-8", zone: undefined, status: "revoked" })]),
    [
      "worked on here for other agents:",
      "t-9  completed from boss (skill math, zone lab), attempt 2  sum it please",
      "t-8  revoked   from boss (skill math), attempt 2  sum it please",
    ].join("\n"),
  );
  assert.deepEqual(workedJson(worked()), {
    task_id: "t-9",
    status: "completed",
    from: "boss",
    attempt: 2,
    zone: "lab",
    skill: "math",
    received_at: "2026-12-04T10:00:00.000Z",
    request: "sum   it\nplease",
    worked_here: true,
    answer: "2",
    reason: null,
    ended_at: "2026-12-04T10:00:01.500Z",
  });
  assert.equal(
    workedShowText(worked()),
    [
      "task t-9: completed (worked on here)",
      "from boss, attempt 2, skill math, zone lab",
      "received 2026-12-04T10:00:00.000Z, ended 2026-12-04T10:00:01.500Z",
      "request: sum   it\nplease",
      "answer: 2",
    ].join("\n"),
  );
  const declined = worked({
    request: { content: "x" },
    zone: undefined,
    status: "declined",
    answer: undefined,
    reason: "w is stopping",
  });
  assert.deepEqual([workedJson(declined).from, workedJson(declined).skill], ["?", null]);
  assert.match(workedShowText(declined), /^from \?, attempt 2$/m);
  assert.match(workedShowText(declined), /^reason: w is stopping$/m);
  assert.doesNotMatch(workedShowText(declined), /answer:/);
});
