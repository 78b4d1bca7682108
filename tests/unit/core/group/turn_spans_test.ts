/**
 * A worker's turn on a group task as the task's trace shows it: the turn the guard recorded in the
 * worker's timeline (its start, LLM and tool calls, an approval) sent again as spans under the
 * attempt's span, with what a span may carry (never a tool's arguments); tool calls the policy
 * denied, and turns the door or a limit refused, audited.
 */
import assert from "node:assert/strict";
import type { DoorResult } from "../../../../core/agent/mod.ts";
import {
  type AuditEvent,
  contentHash,
  GroupSpans,
  recordedTurn,
  reportTurn,
  spanTree,
} from "../../../../core/group/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";

const T0 = new Date("2026-12-04T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const TURN = "1".repeat(32);
const SESSION = "task:t-1";

/** A worker "ben" whose timeline holds one turn of task t-1 as the guard records it. */
function worker() {
  const timeline = Timeline.open(":memory:");
  const sent: OutboundRecord[] = [];
  const spans = new GroupSpans({
    lingerMs: 0, // each span sent as it ends, so the test sees it at once
    agentId: "ben",
    group: "ts",
    send: (records) => {
      sent.push(...records);
      return Promise.resolve();
    },
    store: timeline.groupTraces,
  });
  const audits: AuditEvent[] = [];
  const events = timeline.events;
  // A turn of the same session before this attempt began: not this attempt's.
  events.record({ kind: "INBOUND", sessionKey: SESSION, startedAt: at(-60_000) });
  const start = events.record({
    kind: "INBOUND",
    traceId: TURN,
    sessionKey: SESSION,
    contentText: "summarize the report",
    startedAt: at(100),
  });
  const under = { traceId: TURN, parentSpanId: start.spanId, sessionKey: SESSION };
  events.record({
    ...under,
    kind: "LLM",
    contentText: "I will read it",
    metadata: {
      model: "openai/gpt-test",
      promptTokens: 50,
      completionTokens: 7,
      toolCalls: ["read_file"],
      finishReason: "tool_calls",
    },
    startedAt: at(200),
    endedAt: at(900),
  });
  events.record({
    ...under,
    kind: "TOOL",
    contentText: "the report's text",
    metadata: { tool: "read_file", error: false, arguments: '{"path":"secret-plan.md"}' },
    startedAt: at(1000),
    endedAt: at(1100),
  });
  events.record({
    ...under,
    kind: "APPROVAL",
    contentText: "exec: denied",
    metadata: { approvalId: "ap-1", reason: "owner said no" },
    startedAt: at(1200),
    endedAt: at(1200),
  });
  const decision = { traceId: TURN, sender: "ann", channel: "group", taint: "untrusted" } as const;
  timeline.decisions.record({
    ...decision,
    tool: "read_file",
    tier: 0,
    messageType: "external",
    allowed: true,
    reason: "tier_0",
  });
  timeline.decisions.record({
    ...decision,
    tool: "exec",
    tier: 2,
    messageType: "external",
    allowed: false,
    reason: "tier_2_requires_approval",
  });
  return {
    timeline,
    spans,
    sent,
    audits,
    to: { spans, turns: timeline, audit: (e: AuditEvent) => audits.push(e) },
    [Symbol.dispose]: () => timeline.close(),
  };
}

function answered(content: string, stopped: "answer" | "limit" = "answer"): DoorResult {
  return {
    kind: "turn",
    content,
    turn: {
      content,
      stopped,
      iterations: 2,
      usage: { promptTokens: 50, completionTokens: 7 },
      taint: "untrusted",
    },
  };
}

const ATTEMPT = { traceId: "a".repeat(32), spanId: "b".repeat(16) };
const TASK = {
  taskId: "t-1",
  requester: "ann",
  span: ATTEMPT,
  startedAt: at(0),
  endedAt: at(2000),
};

Deno.test("a task's turn goes out as spans under the attempt: the turn, its LLM and tool calls, an approval", () => {
  using w = worker();
  reportTurn(answered("the summary"), TASK, w.to);
  const tree = spanTree(ATTEMPT.traceId, w.timeline.groupTraces.trace(ATTEMPT.traceId));
  assert.equal(tree.roots.length, 1);
  const turn = tree.roots[0]!;
  assert.equal(turn.span.parentSpanId, ATTEMPT.spanId, "the turn hangs under the attempt");
  assert.equal(turn.span.title, "turn");
  assert.deepEqual(turn.span.attributes, { task_id: "t-1", step: "turn" });
  assert.equal(turn.span.durationMs, 1900, "from the turn's start to the attempt's end");
  assert.deepEqual(
    turn.children.map((n) => [n.span.spanType, n.span.title, n.span.durationMs]),
    [["LLM", "llm openai/gpt-test", 700], ["TOOL", "tool read_file", 100], [
      "TASK",
      "approval",
      0,
    ]],
  );
  const [llm, tool, approval] = turn.children.map((n) => n.span.attributes);
  assert.deepEqual(llm, {
    task_id: "t-1",
    step: "call",
    model: "openai/gpt-test",
    prompt_tokens: 50,
    completion_tokens: 7,
    finish_reason: "tool_calls",
  });
  assert.deepEqual(tool, { task_id: "t-1", step: "call", tool: "read_file", error: false });
  assert.deepEqual(approval, { task_id: "t-1", step: "call" });
  assert.equal(turn.children[1]!.span.contentHash, contentHash("the report's text"));
  assert.equal(w.sent.length, 4);
  for (const record of w.sent) {
    assert.ok(!String(record.value).includes("secret-plan"), "no tool arguments on the wire");
    assert.ok(!String(record.value).includes("the report's text"), "no content unless enabled");
  }
  // The tool call the policy denied is audited; the one it allowed is not.
  assert.deepEqual(w.audits, [{
    eventType: "policy_decision",
    decision: "tool_denied",
    agentId: "ann",
    detail: "exec (tier 2) not run in a task of ann",
    code: "tier_2_requires_approval",
    taskId: "t-1",
  }]);
});

Deno.test("a turn the door refused or a limit stopped is audited as refused; with no turn recorded, no spans", () => {
  using w = worker();
  const later = { ...TASK, startedAt: at(5000) };
  reportTurn({ kind: "refused", content: "daily token quota reached" }, later, w.to);
  reportTurn(answered("stopped: limit", "limit"), later, w.to);
  assert.deepEqual(w.audits.map((a) => [a.decision, a.detail]), [
    ["turn_refused", "refused a task of ann: daily token quota reached"],
    ["turn_refused", "refused a task of ann: the turn stopped at a limit: stopped: limit"],
  ]);
  assert.equal(w.sent.length, 0, "no turn began after the attempt: nothing to send");
  assert.equal(recordedTurn(w.timeline, SESSION, at(5000)), undefined);
});

Deno.test("a worker without spans or an attempt span still audits denials; without a timeline it audits the refusal only", () => {
  using w = worker();
  reportTurn(answered("done"), { ...TASK, span: undefined }, w.to);
  reportTurn(answered("done"), TASK, { turns: w.timeline, audit: w.to.audit });
  assert.equal(w.sent.length, 0);
  assert.deepEqual(w.audits.map((a) => a.decision), ["tool_denied", "tool_denied"]);
  reportTurn({ kind: "approval", content: "waiting for the owner" }, TASK, { audit: w.to.audit });
  assert.equal(w.audits.at(-1)?.detail, "refused a task of ann: waiting for the owner");
  reportTurn({ kind: "refused", content: "no" }, TASK, {});
  assert.equal(w.audits.length, 3, "no audit given: nothing told");
});
