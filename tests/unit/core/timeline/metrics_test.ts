/**
 * The aggregate counts of `/metrics`: events by kind, tasks and group tasks by status, approvals
 * pending, tokens, and the LLM calls' durations (only ended calls count; the latest come first).
 */
import assert from "node:assert/strict";
import { Timeline } from "../../../../core/timeline/mod.ts";

Deno.test("the metrics count what the timeline holds", async () => {
  const dir = await Deno.makeTempDir();
  using timeline = Timeline.open(`${dir}/timeline.db`);
  const m = timeline.metrics;
  assert.deepEqual(m.eventsByKind(), {});
  assert.deepEqual(m.tokens(), { prompt: 0, completion: 0 });
  assert.deepEqual(m.llmLatency(), { count: 0, sumMs: 0, recentMs: [] });
  const root = timeline.events.begin({ kind: "INBOUND", sessionKey: "cli:default" });
  const t0 = new Date("2026-12-05T08:00:00Z");
  for (const ms of [120, 80]) {
    const call = timeline.events.begin({ kind: "LLM", traceId: root.traceId, startedAt: t0 });
    timeline.events.end(call.eventId, { endedAt: new Date(t0.getTime() + ms) });
  }
  timeline.events.begin({ kind: "LLM", traceId: root.traceId });
  timeline.events.record({ kind: "TOOL", traceId: root.traceId });
  timeline.usage.record({ promptTokens: 10, completionTokens: 3 });
  timeline.usage.record({ promptTokens: 5, completionTokens: 2 });
  const { task } = timeline.tasks.create({ idempotencyKey: "k1", channel: "telegram" });
  timeline.tasks.create({ idempotencyKey: "k2", channel: "telegram" });
  timeline.tasks.complete(task.taskId, "done");
  timeline.groupTasks.addOutgoing({
    taskId: "g1",
    type: "request",
    taint: "trusted",
    request: { content: "x" },
    topic: "group.g.requests",
    status: "queued",
  });
  timeline.approvals.create({
    traceId: root.traceId,
    tool: "exec",
    tier: 2,
    arguments: {},
    requester: "owner",
    channel: "cli",
    expiresAt: new Date(Date.now() + 60_000),
  });
  assert.deepEqual(m.eventsByKind(), { INBOUND: 1, LLM: 3, TOOL: 1 });
  assert.deepEqual(m.tasksByStatus(), { completed: 1, pending: 1 });
  assert.deepEqual(m.groupTasksByStatus(), { queued: 1 });
  assert.equal(m.approvalsPending(), 1);
  assert.deepEqual(m.tokens(), { prompt: 15, completion: 5 });
  assert.deepEqual(m.llmLatency(), { count: 2, sumMs: 200, recentMs: [80, 120] });
  assert.deepEqual(m.llmLatency(1).recentMs, [80]);
  await Deno.remove(dir, { recursive: true });
});
