/**
 * Traces and audit of a group of gateways on the in-process transport: one task delegated from
 * ann to ben, who delegates a sub-task to cy with delegate_task (the fake LLM makes the call),
 * gives one tree of spans from all three agents, stored by each agent that read the traces topic;
 * a tool call the policy refuses in a task's turn shows up on the group's audit topic; with
 * group.traceContent, span content goes on the traces topic with the configured secrets redacted.
 */
import assert from "node:assert/strict";
import { spanTree, type SpanTreeNode, traceOfTask } from "../../../../core/group/mod.ts";
import { parseRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import type { MemoryBroker } from "../../../../core/transport/mod.ts";
import { submit, type TestGateway, threeGateways } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";

/** Ben's LLM: first a delegate_task call to cy, then its answer after reading cy's. */
const BEN_DELEGATES = [
  {
    toolCalls: [{
      name: "delegate_task",
      arguments: { task: "What is the capital of Peru?", agent: "cy", wait_seconds: 30 },
    }],
  },
  { text: "cy says Lima" },
];

/** The tree as lines `agent: title`, indented by depth. */
function shape(nodes: readonly SpanTreeNode[], depth = 0): string[] {
  return nodes.flatMap((n) => [
    `${"  ".repeat(depth)}${n.span.agentId}: ${n.span.title}`,
    ...shape(n.children, depth + 1),
  ]);
}

/** The whole trace of a task as `gateway`'s store holds it. */
function storedTrace(gateway: TestGateway, taskId: string) {
  const store = gateway.gateway.runtime.timeline.groupTraces;
  const traceId = traceOfTask(taskId, store.ofTask(taskId));
  return traceId === undefined ? undefined : spanTree(traceId, store.trace(traceId));
}

/** Every envelope on a topic of the in-process broker so far. */
function envelopesOf(broker: MemoryBroker, topic: string) {
  return (broker.topics.get(topic)?.log.flat() ?? []).flatMap((record) => {
    const parsed = parseRecord(record);
    return parsed.ok ? [parsed.envelope] : [];
  });
}

Deno.test("a task delegated across three gateways gives one tree of spans from all three", async () => {
  const group = "gwtrace";
  const { a, b, c, broker } = await threeGateways(group, {
    // The owner approves ben's delegate_task (tier 1 in an untrusted task's turn).
    ben: { chat: BEN_DELEGATES, runtime: { askOwner: () => Promise.resolve(true) } },
    // Cy thinks a while: its LLM span lasts that long.
    cy: { answer: { text: "Lima", delayMs: 100 } },
  });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const answer = await submit(a.gateway, group, "Ask cy for the capital of Peru", "ben");
  assert.equal(answer.status, "completed");
  assert.equal(answer.content, "cy says Lima");
  // Each agent stores the spans it reads from the traces topic: ann ends up with all of them.
  const complete = (g: TestGateway) => {
    const trace = storedTrace(g, answer.taskId);
    return trace !== undefined && trace.agents.length === 3 && trace.roots.length === 1 &&
      trace.roots[0]!.span.endedAt !== undefined &&
      shape(trace.roots).some((line) => line.trim() === "cy: turn");
  };
  await waitFor(() => complete(a) && complete(c), "the whole tree at ann and at cy", {
    state: () => shape(storedTrace(a, answer.taskId)?.roots ?? []),
  });
  const trace = storedTrace(a, answer.taskId)!;
  const lines = shape(trace.roots);
  const at = (line: string) => {
    const i = lines.indexOf(line);
    assert.ok(i >= 0, `no "${line}" in\n${lines.join("\n")}`);
    return i;
  };
  // The root is ann's submit; ben's attempt is under it, its turn and tool call under that; the
  // sub-task's submit hangs under ben's attempt, and cy's attempt and turn under the sub-task.
  assert.match(lines[0]!, /^ann: submit to group\.gwtrace\.agent\.ben\.inbox$/);
  at("  ann: assigned attempt 1 to ben");
  at("  ben: attempt 1 at ben");
  at("    ben: claimed");
  at("    ben: turn");
  at("      ben: tool delegate_task");
  at("    ben: submit to group.gwtrace.agent.cy.inbox");
  at("      ben: assigned attempt 1 to cy");
  at("      cy: attempt 1 at cy");
  at("        cy: turn");
  at("          cy: llm openai/gpt-test");
  at("        cy: response completed");
  at("    ben: response completed");
  assert.deepEqual(trace.agents.sort(), ["ann", "ben", "cy"]);
  // Content is left out by default: hashes only.
  const spans = a.gateway.runtime.timeline.groupTraces.trace(trace.traceId);
  const cyTurn = spans.find((s) => s.agentId === "cy" && s.title === "turn")!;
  assert.match(cyTurn.contentHash ?? "", /^[0-9a-f]{64}$/);
  const cyLlm = spans.find((s) => s.agentId === "cy" && s.spanType === "LLM")!;
  assert.ok(cyLlm.durationMs! >= 90, `cy's LLM call took ${cyLlm.durationMs} ms`);
  assert.equal(spans.filter((s) => s.content !== undefined).length, 0);
  // The request and the sub-task's request carried the trace in their envelopes.
  const requests = envelopesOf(broker, `group.${group}.agent.cy.inbox`)
    .filter((e) => e.type === "request");
  assert.deepEqual(requests.map((e) => e.trace_id), [trace.traceId]);
});

Deno.test("a tool call the policy refuses in a task's turn is audited on the group's audit topic", async () => {
  const group = "gwaudit";
  // No owner to ask: ben's delegate_task in an untrusted task's turn is denied.
  const { a, b, c, broker } = await threeGateways(group, { ben: { chat: BEN_DELEGATES } });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const answer = await submit(a.gateway, group, "Ask cy for the capital of Peru", "ben");
  assert.equal(answer.status, "completed");
  const audits = () =>
    envelopesOf(broker, topicsFor(group).audit).filter((e) => e.type === "audit")
      .map((e) => e.payload as Record<string, unknown>);
  await waitFor(() => audits().some((p) => p.decision === "tool_denied"), "the denial audited", {
    state: audits,
  });
  const denied = audits().find((p) => p.decision === "tool_denied")!;
  assert.equal(denied.event_type, "policy_decision");
  assert.equal(denied.agent_id, "ann");
  assert.equal(denied.task_id, answer.taskId);
  assert.match(String(denied.detail), /^delegate_task \(tier 1\) not run in a task of ann$/);
  // Ben keeps its own record of it too.
  const kept = b.gateway.runtime.timeline.events.list({ kind: "GROUP" }).items
    .filter((e) => e.metadata.event_type === "tool_denied");
  assert.equal(kept.length, 1);
});

Deno.test("with group.traceContent, spans carry their content with the configured secrets redacted", async () => {
  const group = "gwcontent";
  const secret = "sk-live-0123456789abcdef";
  const { a, b, c, broker } = await threeGateways(group, {}, {
    KAFCLAW_GROUP_TRACE_CONTENT: "true",
    OPENAI_API_KEY: secret,
  });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const answer = await submit(a.gateway, group, `use the key ${secret} please`, "ben");
  assert.equal(answer.status, "completed");
  const traces = () =>
    envelopesOf(broker, topicsFor(group).traces).flatMap((e) =>
      e.type === "trace" && e.correlation_id === answer.taskId ? [e.payload] : []
    );
  await waitFor(() => traces().some((p) => p.title === "attempt 1 at ben"), "ben's attempt span");
  const attempt = traces().find((p) => p.title === "attempt 1 at ben")!;
  assert.match(String(attempt.content), /^use the key .+ please$/);
  assert.ok(!JSON.stringify(traces()).includes(secret), "the secret reached the traces topic");
});
