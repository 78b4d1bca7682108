/**
 * Spans of group tasks: what goes on the traces topic (ids, timings, a hash; content only when
 * the owner enabled it, redacted), what an agent stores of others' spans, and how the spans of
 * several agents make one tree.
 */
import assert from "node:assert/strict";
import {
  contentHash,
  GroupSpans,
  randomId,
  spanJson,
  spanTree,
  traceOfTask,
  type Trust,
} from "../../../../core/group/mod.ts";
import { parseRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { type StoredSpan, Timeline } from "../../../../core/timeline/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";
import { inboundOf } from "./_records.ts";

/** Spans of agent `id` in a timeline of their own, with what they sent. */
function spansOf(id: string, options: { content?: boolean; trust?: Trust } = {}) {
  const timeline = Timeline.open(":memory:");
  const sent: OutboundRecord[] = [];
  const spans = new GroupSpans({
    lingerMs: 0, // each span sent as it ends, so the test sees it at once
    agentId: id,
    group: "sp",
    send: (records) => {
      sent.push(...records);
      return Promise.resolve();
    },
    store: timeline.groupTraces,
    redact: (text) => text.replaceAll("sk-live-123456", "[REDACTED]"),
    ...options,
  });
  return { spans, sent, timeline, [Symbol.dispose]: () => timeline.close() };
}

function payloadOf(record: OutboundRecord): Record<string, unknown> {
  const parsed = parseRecord({ ...record, key: record.key ?? null });
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
  assert.equal(parsed.envelope.type, "trace");
  return parsed.envelope.payload as Record<string, unknown>;
}

Deno.test("a span goes on the traces topic with its hash, and its content only when enabled, redacted", () => {
  const text = "use the key sk-live-123456 for this";
  for (const content of [false, true]) {
    using a = spansOf("ann", { content });
    const span = a.spans.begin({
      type: "TASK",
      title: "attempt 1 at ann",
      attributes: { task_id: "t-1", step: "attempt" },
      content: text,
    });
    assert.equal(a.sent.length, 0, "an open span is not sent");
    span.end({ attributes: { status: "completed" } });
    span.end();
    assert.equal(a.sent.length, 1, "ended once, sent once");
    assert.equal(a.sent[0]!.topic, topicsFor("sp").traces);
    assert.equal(a.sent[0]!.key, span.context.traceId);
    const payload = payloadOf(a.sent[0]!);
    assert.equal(payload.content_hash, contentHash("use the key [REDACTED] for this"));
    assert.equal(payload.content, content ? "use the key [REDACTED] for this" : undefined);
    assert.ok(!String(a.sent[0]!.value).includes("sk-live-123456"));
    assert.deepEqual(payload.attributes, {
      agent_id: "ann",
      task_id: "t-1",
      step: "attempt",
      status: "completed",
    });
    const [stored] = a.timeline.groupTraces.trace(span.context.traceId);
    assert.equal(stored?.endedAt !== undefined, true);
  }
});

Deno.test("an agent stores the spans others send, checked by its trust, and not its own twice", async () => {
  using ben = spansOf("ben");
  const refuse: Trust = (_record, envelope) =>
    Promise.resolve(
      envelope.sender_id === "mallory"
        ? { ok: false, reason: "forged" }
        : { ok: true, vouched: false },
    );
  using ann = spansOf("ann", { trust: refuse });
  using mallory = spansOf("mallory");
  const root = ann.spans.record({
    type: "DELEGATION",
    title: "submit",
    attributes: { task_id: "t" },
  });
  ben.spans.record({ parent: root, type: "TASK", title: "attempt 1 at ben" });
  mallory.spans.record({ parent: root, type: "TASK", title: "attempt 1 at mallory" });
  for (const record of [...ann.sent, ...ben.sent, ...mallory.sent]) {
    await ann.spans.handle(inboundOf(record));
  }
  const tree = spanTree(root.traceId, ann.timeline.groupTraces.trace(root.traceId));
  assert.deepEqual(tree.agents, ["ann", "ben"]);
  assert.equal(tree.roots.length, 1);
  assert.deepEqual(tree.roots[0]!.children.map((n) => n.span.title), ["attempt 1 at ben"]);
});

function span(fields: Partial<StoredSpan> & { spanId: string; startedAt: Date }): StoredSpan {
  return {
    traceId: "a".repeat(32),
    parentSpanId: undefined,
    agentId: "ann",
    spanType: "TASK",
    title: fields.spanId,
    endedAt: fields.startedAt,
    durationMs: 0,
    attributes: {},
    contentHash: undefined,
    content: undefined,
    zone: undefined,
    ...fields,
  };
}

Deno.test("spans of several agents make one tree; a lost parent's children are roots, nothing dropped", () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const spans = [
    span({ spanId: "c", parentSpanId: "b", startedAt: t(3), agentId: "cy" }),
    span({ spanId: "a", startedAt: t(1), attributes: { task_id: "t-1" } }),
    span({ spanId: "b2", parentSpanId: "a", startedAt: t(4), agentId: "ben" }),
    span({ spanId: "b", parentSpanId: "a", startedAt: t(2), agentId: "ben" }),
    // The same span read twice, open and then ended: it counts once, as ended.
    span({ spanId: "b", parentSpanId: "a", startedAt: t(2), agentId: "ben", endedAt: undefined }),
    span({ spanId: "x", parentSpanId: "gone", startedAt: t(5), agentId: "cy" }),
    span({ spanId: "other", startedAt: t(0), traceId: "b".repeat(32) }),
  ];
  const tree = spanTree("a".repeat(32), spans);
  const shape = (nodes: typeof tree.roots): unknown[] =>
    nodes.map((n) => [n.span.spanId, ...(n.children.length ? [shape(n.children)] : [])]);
  assert.deepEqual(shape(tree.roots), [["a", [["b", [["c"]]], ["b2"]]], ["x"]]);
  assert.equal(tree.spans, 5);
  assert.deepEqual(tree.agents, ["ann", "ben", "cy"]);
  assert.notEqual(tree.roots[0]!.children[0]!.span.endedAt, undefined);
  assert.equal(traceOfTask("t-1", spans), "a".repeat(32));
  assert.equal(traceOfTask("t-2", spans), undefined);
});

Deno.test("a span as answers show it: snake_case, ISO times, null for what it lacks", () => {
  const started = new Date(Date.UTC(2026, 0, 1, 0, 0, 1));
  const open = span({ spanId: "a", startedAt: started, endedAt: undefined, durationMs: undefined });
  assert.deepEqual(spanJson(open), {
    trace_id: open.traceId,
    span_id: "a",
    parent_span_id: null,
    agent_id: open.agentId,
    span_type: open.spanType,
    title: open.title,
    started_at: "2026-01-01T00:00:01.000Z",
    ended_at: null,
    duration_ms: null,
    attributes: open.attributes,
    content_hash: null,
    content: null,
    zone: null,
  });
  const ended = new Date(Date.UTC(2026, 0, 1, 0, 0, 2));
  const whole = span({
    spanId: "b",
    parentSpanId: "a",
    startedAt: started,
    endedAt: ended,
    durationMs: 1000,
    contentHash: "h",
    content: "what it said",
    zone: "lab",
  });
  const json = spanJson(whole);
  assert.deepEqual(
    [
      json.parent_span_id,
      json.ended_at,
      json.duration_ms,
      json.content_hash,
      json.content,
      json.zone,
    ],
    ["a", "2026-01-01T00:00:02.000Z", 1000, "h", "what it said", "lab"],
  );
});

Deno.test("ids are random lower-case hex of their length, and never all zero", () => {
  const ids = Array.from({ length: 50 }, () => randomId(8));
  assert.ok(ids.every((id) => /^[0-9a-f]{16}$/.test(id)));
  assert.equal(new Set(ids).size, 50);
  assert.match(randomId(16), /^[0-9a-f]{32}$/);
  // All zero is not a valid trace or span id: drawn again.
  const real = crypto.getRandomValues;
  let calls = 0;
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
    if (calls++ === 0) return array;
    (array as unknown as Uint8Array).set([0xab, 0x01]);
    return array;
  }) as typeof crypto.getRandomValues;
  try {
    assert.equal(randomId(8), "ab01000000000000");
    assert.equal(calls, 2);
  } finally {
    crypto.getRandomValues = real;
  }
});
