/**
 * Spans on the wire and back: a root span of a new trace, an instant, a span of a zone's task,
 * a requester that restarted and ends the submit span it stored open, and what an agent keeps of
 * what the traces topic brings (only others' trace records, with their zone).
 */
import assert from "node:assert/strict";
import { contentHash, GroupSpans, spanOf } from "../../../../core/group/mod.ts";
import { parseRecord, topicsFor, zoneTopic } from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";
import { inboundOf } from "./_records.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

const T0 = new Date("2026-12-04T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

/** Spans of `agentId` over `timeline`, on a clock stopped at T0, without redaction. */
function spansOn(agentId: string, timeline: Timeline) {
  const sent: OutboundRecord[] = [];
  const spans = new GroupSpans({
    lingerMs: 0, // each span sent as it ends, so the test sees it at once
    agentId,
    group: "sw",
    send: (records) => {
      sent.push(...records);
      return Promise.resolve();
    },
    store: timeline.groupTraces,
    content: true,
    now: () => T0,
  });
  return { spans, sent };
}

function envelopeOf(record: OutboundRecord) {
  const parsed = parseRecord({ ...record, key: record.key ?? null });
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
  assert.equal(parsed.envelope.type, "trace");
  return parsed.envelope as typeof parsed.envelope & { payload: Record<string, unknown> };
}

Deno.test("a span of no task and no parent is the root of a new trace, its record keyed and correlated by the trace", () => {
  using timeline = Timeline.open(":memory:");
  const { spans, sent } = spansOn("ann", timeline);
  const root = spans.record({ type: "TASK", title: "look around" });
  const timed = spans.record({
    parent: root,
    type: "TOOL",
    title: "tool read",
    content: "a text with no secret",
    startedAt: at(1000),
    endedAt: at(1250),
  });
  const instant = spans.record({ parent: root, type: "LLM", title: "llm m", startedAt: at(2000) });
  const [first, second, third] = sent.map(envelopeOf);
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  assert.equal(sent[0]!.key, root.traceId);
  assert.equal(first!.correlation_id, root.traceId, "no task: the trace correlates it");
  assert.equal(first!.parent_span_id, undefined);
  assert.equal(first!.payload.parent_span_id, "");
  assert.equal(first!.payload.started_at, T0.toISOString(), "begun and ended on the clock");
  assert.equal(first!.payload.ended_at, T0.toISOString());
  assert.equal(first!.payload.duration_ms, 0);
  assert.equal("content_hash" in first!.payload, false, "no content, no hash");
  assert.equal(second!.parent_span_id, root.spanId);
  assert.equal(second!.span_id, timed.spanId);
  assert.equal(second!.payload.duration_ms, 250);
  assert.equal(second!.payload.content, "a text with no secret", "no redaction given: as it is");
  assert.equal(second!.payload.content_hash, contentHash("a text with no secret"));
  assert.equal(third!.span_id, instant.spanId);
  assert.equal(third!.payload.ended_at, at(2000).toISOString(), "an instant ends as it starts");
  assert.equal(third!.payload.duration_ms, 0);
});

Deno.test("a requester that restarted ends the submit span it stored open, once; nothing else reopens", () => {
  using timeline = Timeline.open(":memory:");
  const before = spansOn("ann", timeline);
  const submit = before.spans.begin({
    type: "DELEGATION",
    title: "submit",
    attributes: { task_id: "t-9", step: "submit" },
    startedAt: at(-5000),
  });
  assert.equal(before.sent.length, 0);
  const after = spansOn("ann", timeline);
  assert.equal(after.spans.reopen("t-9", "grant"), undefined, "no such step");
  assert.equal(spansOn("ben", timeline).spans.reopen("t-9", "submit"), undefined, "not ben's");
  const reopened = after.spans.reopen("t-9", "submit");
  assert.deepEqual(reopened?.context, submit.context);
  reopened!.end({ attributes: { status: "completed" } });
  reopened!.end();
  assert.equal(after.sent.length, 1, "sent once");
  const { payload, correlation_id } = envelopeOf(after.sent[0]!);
  assert.equal(correlation_id, "t-9");
  assert.equal(payload.title, "submit");
  assert.equal(payload.span_type, "DELEGATION");
  assert.equal(payload.started_at, at(-5000).toISOString(), "its start before the restart");
  assert.equal(payload.duration_ms, 5000);
  assert.deepEqual(payload.attributes, {
    agent_id: "ann",
    task_id: "t-9",
    step: "submit",
    status: "completed",
  });
  assert.equal(after.spans.reopen("t-9", "submit"), undefined, "an ended span stays ended");
});

Deno.test("a zone's span goes on the zone's traces topic, and the agent that reads it keeps its zone", async () => {
  using annTimeline = Timeline.open(":memory:");
  using benTimeline = Timeline.open(":memory:");
  const ann = spansOn("ann", annTimeline);
  const ben = spansOn("ben", benTimeline);
  const span = ann.spans.record({
    type: "TASK",
    title: "attempt 1 at ann",
    zone: "lab",
    attributes: { task_id: "t-z" },
  });
  assert.equal(ann.sent[0]!.topic, zoneTopic("sw", "lab", "traces"));
  await ben.spans.handle(inboundOf(ann.sent[0]!, T0.getTime()));
  // Ben's own span read back from the topic, a heartbeat and a broken record are not stored.
  ben.spans.record({ type: "TASK", title: "ben's own", attributes: { task_id: "t-b" } });
  await ben.spans.handle(inboundOf(ben.sent[0]!));
  const heartbeat = heartbeatJson("cy", { at: T0 });
  const traces = topicsFor("sw").traces;
  await ben.spans.handle(inboundOf({ topic: traces, key: "agent:cy", value: heartbeat }));
  await ben.spans.handle(inboundOf({ topic: traces, key: "x", value: "{not json" }));
  const [stored] = benTimeline.groupTraces.trace(span.traceId);
  assert.equal(stored?.agentId, "ann");
  assert.equal(stored?.zone, "lab");
  assert.deepEqual(
    stored?.attributes,
    { task_id: "t-z" },
    "the sender is the agent, not kept twice",
  );
  const own = benTimeline.groupTraces.ofTask("t-b");
  assert.equal(own.length, 1, "ben's own span once, as it stored it");
  assert.equal(own[0]!.zone, undefined);
});

Deno.test("a foreign agent's trace payload without attributes or parent reads as a root with none", () => {
  const span = spanOf("py-agent", {
    trace_id: "c".repeat(32),
    span_id: "d".repeat(16),
    parent_span_id: "",
    span_type: "TASK",
    title: "python work",
    started_at: T0.toISOString(),
    ended_at: at(40).toISOString(),
    duration_ms: 40,
  });
  assert.equal(span.parentSpanId, undefined);
  assert.deepEqual(span.attributes, {});
  assert.equal(span.agentId, "py-agent");
  assert.equal(span.zone, undefined);
  assert.equal(span.endedAt?.getTime(), at(40).getTime());
});
