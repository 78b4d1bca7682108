import assert from "node:assert/strict";
import type { SpanNode } from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

const T0 = "2026-11-25T10:00:00.000Z";

Deno.test("a span begun and ended records its times, duration and merged metadata", async () => {
  await using t = await tempTimeline();
  const span = t.timeline.events.begin({
    kind: "TOOL",
    traceId: "a".repeat(32),
    spanId: "b".repeat(16),
    parentSpanId: "c".repeat(16),
    eventId: "e1",
    sessionKey: "telegram:1",
    channel: "telegram",
    sender: "alice",
    contentText: "exec ls",
    metadata: { tool: "exec", tier: 2 },
    taint: "untrusted",
    zone: "public",
  });
  assert.deepEqual(span, {
    id: 1,
    eventId: "e1",
    traceId: "a".repeat(32),
    spanId: "b".repeat(16),
    parentSpanId: "c".repeat(16),
    kind: "TOOL",
    sessionKey: "telegram:1",
    channel: "telegram",
    sender: "alice",
    contentText: "exec ls",
    metadata: { tool: "exec", tier: 2 },
    startedAt: new Date(T0),
    endedAt: undefined,
    durationMs: undefined,
    taint: "untrusted",
    zone: "public",
  });
  t.clock.advance(1500);
  const ended = t.timeline.events.end("e1", { contentText: "ok", metadata: { exit: 0, tier: 1 } });
  assert.equal(ended?.durationMs, 1500);
  assert.deepEqual(ended?.endedAt, new Date("2026-11-25T10:00:01.500Z"));
  assert.equal(ended?.contentText, "ok");
  assert.deepEqual(ended?.metadata, { tool: "exec", tier: 1, exit: 0 });
  assert.deepEqual(t.timeline.events.get("e1"), ended);
});

Deno.test("ids are made when not given and defaults fill the rest", async () => {
  await using t = await tempTimeline();
  const span = t.timeline.events.begin({ kind: "INBOUND" });
  assert.match(span.traceId, /^[0-9a-f]{32}$/);
  assert.match(span.spanId, /^[0-9a-f]{16}$/);
  assert.match(span.eventId, /^[0-9a-f]{32}$/);
  assert.equal(span.parentSpanId, undefined);
  assert.equal(span.sessionKey, undefined);
  assert.equal(span.contentText, "");
  assert.deepEqual(span.metadata, {});
  assert.equal(span.taint, "trusted");
  assert.equal(span.zone, undefined);
  const ended = t.timeline.events.end(span.eventId)!;
  assert.equal(ended.contentText, "");
  assert.equal(ended.durationMs, 0);
});

Deno.test("ending twice keeps the first end; ending an unknown span gives undefined", async () => {
  await using t = await tempTimeline();
  const span = t.timeline.events.begin({ kind: "LLM" });
  const first = t.timeline.events.end(span.eventId, { endedAt: new Date("2026-11-25T10:00:02Z") });
  assert.equal(first?.durationMs, 2000);
  const second = t.timeline.events.end(span.eventId, { endedAt: new Date("2026-11-25T10:00:09Z") });
  assert.deepEqual(second, first);
  assert.equal(t.timeline.events.end("nope"), undefined);
  assert.equal(t.timeline.events.get("nope"), undefined);
});

Deno.test("an end before the start counts as zero duration", async () => {
  await using t = await tempTimeline();
  const span = t.timeline.events.begin({ kind: "LLM" });
  const ended = t.timeline.events.end(span.eventId, { endedAt: new Date("2026-11-25T09:00:00Z") });
  assert.equal(ended?.durationMs, 0);
});

Deno.test("record stores a finished span, or an instant when no end is given", async () => {
  await using t = await tempTimeline();
  const instant = t.timeline.events.record({ kind: "POLICY" });
  assert.deepEqual(instant.endedAt, instant.startedAt);
  assert.equal(instant.durationMs, 0);
  const whole = t.timeline.events.record({
    kind: "LLM",
    startedAt: new Date("2026-11-25T09:59:00Z"),
    endedAt: new Date("2026-11-25T09:59:00.250Z"),
  });
  assert.equal(whole.durationMs, 250);
});

Deno.test("note stores what record stores, returns nothing, and wakes the write listeners", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  let heard = 0;
  events.onWrite(() => heard++);
  const input = {
    kind: "LLM" as const,
    traceId: "a".repeat(32),
    parentSpanId: "c".repeat(16),
    sessionKey: "task:t-1",
    channel: "group",
    sender: "req",
    contentText: "42",
    metadata: { model: "openai/gpt-test" },
    taint: "untrusted" as const,
    startedAt: new Date("2026-11-25T09:59:00Z"),
    endedAt: new Date("2026-11-25T09:59:00.250Z"),
  };
  const recorded = events.record({ ...input, eventId: "e-record", spanId: "1".repeat(16) });
  assert.equal(events.note({ ...input, eventId: "e-note", spanId: "2".repeat(16) }), undefined);
  assert.equal(heard, 2);
  const noted = events.get("e-note")!;
  assert.deepEqual(
    { ...noted, id: recorded.id, eventId: "e-record", spanId: recorded.spanId },
    recorded,
  );
  // An instant, and made ids, as record makes them.
  events.note({ kind: "POLICY", startedAt: new Date(T0) });
  const instant = events.list({ kind: "POLICY" }).items[0]!;
  assert.deepEqual(instant.endedAt, new Date(T0));
  assert.equal(instant.durationMs, 0);
  assert.match(instant.traceId, /^[0-9a-f]{32}$/);
  assert.match(instant.eventId, /^[0-9a-f]{32}$/);
});

Deno.test("a trace reads back as a tree of spans by parent span id, in start order", async () => {
  await using t = await tempTimeline();
  const ev = t.timeline.events;
  const traceId = "1".repeat(32);
  const at = (s: number) => new Date(Date.parse(T0) + s * 1000);
  const span = (spanId: string, parentSpanId: string | undefined, s: number) =>
    ev.record({
      kind: "SYSTEM",
      traceId,
      spanId,
      ...(parentSpanId ? { parentSpanId } : {}),
      startedAt: at(s),
    });
  span("tool2", "llm", 4);
  span("root", undefined, 0);
  span("llm", "root", 1);
  span("tool1", "llm", 2);
  span("reply", "root", 5);
  span("orphan", "missing", 3);
  span("self", "self", 6);
  span("cycA", "cycB", 7);
  span("cycB", "cycA", 8);
  span("dup", "root", 9);
  span("dup", "root", 10);
  ev.record({ kind: "SYSTEM", traceId: "2".repeat(32), spanId: "other", parentSpanId: "root" });

  const shape = (nodes: SpanNode[]): unknown[] =>
    nodes.map((n) => n.children.length ? { [n.event.spanId]: shape(n.children) } : n.event.spanId);
  assert.deepEqual(shape(ev.traceTree(traceId)), [
    { root: [{ llm: ["tool1", "tool2"] }, "reply", "dup", "dup"] },
    "orphan",
    "self",
    { cycB: ["cycA"] }, // cycB would close the loop, so it is the root
  ]);
  assert.deepEqual(ev.traceTree("0".repeat(32)), []);
  assert.deepEqual(ev.trace(traceId).map((e) => e.spanId).slice(0, 3), ["root", "llm", "tool1"]);
});

Deno.test("events list newest first by trace, session and kind, a page at a time", async () => {
  await using t = await tempTimeline();
  const ev = t.timeline.events;
  for (let i = 0; i < 5; i++) {
    ev.record({ kind: i % 2 ? "LLM" : "TOOL", sessionKey: "s1", traceId: "t".repeat(32) });
  }
  ev.record({ kind: "LLM", sessionKey: "s2" });
  const first = ev.list({ sessionKey: "s1", limit: 2 });
  assert.deepEqual(first.items.map((e) => e.id), [5, 4]);
  assert.equal(first.next, 4);
  const second = ev.list({ sessionKey: "s1", limit: 2, before: first.next! });
  assert.deepEqual(second.items.map((e) => e.id), [3, 2]);
  const last = ev.list({ sessionKey: "s1", limit: 2, before: second.next! });
  assert.deepEqual(last.items.map((e) => e.id), [1]);
  assert.equal(last.next, undefined);
  assert.deepEqual(ev.list({ kind: "LLM" }).items.map((e) => e.id), [6, 4, 2]);
  assert.equal(ev.list({ traceId: "t".repeat(32) }).items.length, 5);
  assert.equal(ev.list().items.length, 6);
  assert.throws(() => ev.list({ limit: 0 }), /page limit must be an integer from 1 to 1000, got 0/);
  assert.throws(() => ev.list({ limit: 1.5 }), RangeError);
  assert.throws(() => ev.list({ limit: 1001 }), RangeError);
});

Deno.test("events list by channel, and a live reader gets what came after its row, once", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  assert.equal(events.lastId(), 0);
  assert.deepEqual(events.after(0), []);
  events.record({ kind: "INBOUND", channel: "telegram", contentText: "one" });
  const open = events.begin({ kind: "TOOL", channel: "cli", contentText: "two" });
  events.record({ kind: "OUTBOUND", channel: "telegram", contentText: "three" });
  const telegram = events.list({ channel: "telegram" }).items.map((e) => e.contentText);
  assert.deepEqual(telegram, ["three", "one"]);
  assert.equal(events.lastId(), 3);
  assert.deepEqual(events.after(1).map((e) => e.contentText), ["two", "three"]);
  assert.deepEqual(events.after(0, 1).map((e) => e.contentText), ["one"]);
  events.end(open.eventId);
  assert.deepEqual(events.after(3), [], "an ended span is not new");
  assert.throws(() => events.after(0, 0), RangeError);
});

Deno.test("a write listener hears each event this connection stores until it leaves", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  let heard = 0;
  const leave = events.onWrite(() => heard++);
  const failing = events.onWrite(() => {
    throw new Error("a reader's bug");
  });
  const open = events.begin({ kind: "TOOL" });
  events.record({ kind: "LLM" });
  assert.equal(heard, 2, "the failing listener stops neither the write nor the others");
  events.end(open.eventId);
  assert.equal(heard, 2, "an end stores no new event");
  leave();
  failing();
  events.record({ kind: "LLM" });
  assert.equal(heard, 2);
});
