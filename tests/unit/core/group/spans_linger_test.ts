/**
 * When spans are sent: stored as they end, sent together a little later, so that a span never
 * goes ahead of the record its task waits for (the producer has one request in flight), and at
 * once when the agent flushes them before it stops.
 */
import assert from "node:assert/strict";
import { GroupSpans, SPAN_LINGER_MS } from "../../../../core/group/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";
import { waitFor } from "../../../_support/wait.ts";

/** Spans whose sends (each call's records) are kept in `calls`, or refused with `refuse`. */
function lingering(options: { lingerMs?: number; refuse?: string } = {}) {
  const timeline = Timeline.open(":memory:");
  const calls: OutboundRecord[][] = [];
  const warnings: string[] = [];
  const spans = new GroupSpans({
    agentId: "wk",
    group: "lg",
    send: (records) => {
      calls.push([...records]);
      return options.refuse ? Promise.reject(new Error(options.refuse)) : Promise.resolve();
    },
    store: timeline.groupTraces,
    warn: (message) => warnings.push(message),
    ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
  });
  return { spans, calls, warnings, timeline, [Symbol.dispose]: () => timeline.close() };
}

function step(spans: GroupSpans, title: string) {
  return spans.record({ type: "TASK", title, attributes: { task_id: "t-1", step: title } });
}

Deno.test("spans ended together are stored at once and sent in one call after the linger, behind the task's own record", async () => {
  assert.equal(SPAN_LINGER_MS, 20);
  using a = lingering({ lingerMs: 40 });
  const claimed = step(a.spans, "claimed");
  const turn = step(a.spans, "turn");
  assert.equal(a.calls.length, 0, "no span is sent as it ends");
  const stored = a.timeline.groupTraces.trace(claimed.traceId).map((s) => s.spanId);
  assert.ok(stored.includes(claimed.spanId), "stored as it ends");
  // What the task sends now (its response) is the first thing the producer gets.
  a.calls.push([{ topic: "group.lg.responses", key: "t-1", value: "{}" }]);
  await waitFor(() => a.calls.length === 2, "the spans sent");
  const spanIds = a.calls[1]!.map((r) => JSON.parse(String(r.value)).span_id);
  assert.deepEqual(spanIds, [claimed.spanId, turn.spanId], "both in one call, in order");
  assert.ok(a.calls[1]!.every((r) => r.topic === "group.lg.traces"));
});

Deno.test("flush sends the waiting spans at once, sends nothing when none wait, and a refused send is warned with the spans' ids", async () => {
  {
    using a = lingering({ lingerMs: 60_000 });
    const first = step(a.spans, "claimed");
    const second = step(a.spans, "response completed");
    await a.spans.flush();
    assert.equal(a.calls.length, 1);
    assert.equal(a.calls[0]!.length, 2);
    await a.spans.flush();
    assert.equal(a.calls.length, 1, "nothing waits, nothing is sent");
    assert.deepEqual(a.warnings, []);
    assert.ok(first.spanId !== second.spanId);
  }
  {
    using b = lingering({ lingerMs: 60_000, refuse: "broker unreachable" });
    const first = step(b.spans, "claimed");
    const second = step(b.spans, "turn");
    await b.spans.flush();
    assert.deepEqual(b.warnings, [
      `Cannot send span ${first.spanId}, ${second.spanId}: broker unreachable`,
    ]);
  }
});

Deno.test("by default a span waits for the others; without a linger each is sent as it ends", async () => {
  {
    using d = lingering();
    step(d.spans, "claimed");
    assert.equal(d.calls.length, 0, "the default lingers");
    await d.spans.flush();
    assert.equal(d.calls.length, 1);
  }
  using a = lingering({ lingerMs: 0 });
  step(a.spans, "claimed");
  step(a.spans, "turn");
  assert.deepEqual(a.calls.map((c) => c.length), [1, 1]);
  await a.spans.flush();
});

Deno.test("a span ended soon keeps its end time, is stored and sent with the next spans sent, and only once", async () => {
  // With a linger: it goes with the spans sent when the linger ends.
  {
    using a = lingering({ lingerMs: 40 });
    const open = a.spans.begin({
      type: "DELEGATION",
      title: "submit",
      attributes: { task_id: "t-1" },
    });
    const before = Date.now();
    open.endSoon({ attributes: { status: "completed" }, content: "42" });
    const after = Date.now();
    open.endSoon({ attributes: { status: "failed" } });
    open.end({ attributes: { status: "failed" } });
    const stored = () => a.timeline.groupTraces.trace(open.context.traceId)[0]!;
    assert.equal(stored().endedAt, undefined, "not stored on the caller's path");
    await waitFor(() => a.calls.length === 1, "the span sent after the linger");
    const span = stored();
    assert.equal(span.attributes.status, "completed", "ended once");
    assert.ok(span.endedAt!.getTime() >= before && span.endedAt!.getTime() <= after);
    assert.equal(a.calls[0]!.length, 1);
  }
  // Without a linger: at the event loop's next timer, or at once by a flush or an ended span.
  {
    using b = lingering({ lingerMs: 0 });
    const soon = b.spans.begin({ type: "DELEGATION", title: "submit" });
    soon.endSoon();
    assert.equal(b.calls.length, 0);
    await waitFor(() => b.calls.length === 1, "sent at the next timer");
    const again = b.spans.begin({ type: "DELEGATION", title: "submit again" });
    again.endSoon();
    step(b.spans, "claimed");
    assert.deepEqual(b.calls.map((c) => c.length), [1, 2], "with the span ended after it");
    await b.spans.flush();
  }
});

Deno.test("a span ended soon whose store closed before it was stored is warned about, and the others are still sent", async () => {
  const a = lingering({ lingerMs: 60_000 });
  const open = a.spans.begin({ type: "DELEGATION", title: "submit" });
  step(a.spans, "claimed");
  open.endSoon();
  a.timeline.close();
  await a.spans.flush();
  assert.equal(a.warnings.length, 1);
  assert.match(a.warnings[0]!, new RegExp(`^Cannot store span ${open.context.spanId}: `));
  assert.equal(a.calls.length, 1, "the span ended before is sent");
  assert.equal(a.calls[0]!.length, 1);
});

Deno.test("work given to later runs at the spans' next send, not before, and the spans it ends go in that one call, with no linger too", async () => {
  for (const lingerMs of [0, 40]) {
    using a = lingering({ lingerMs });
    let ran = false;
    a.spans.later("s-1", () => {
      ran = true;
      step(a.spans, "claimed");
      step(a.spans, "response completed");
    });
    assert.equal(ran, false, "nothing runs on the caller's path");
    assert.equal(a.timeline.groupTraces.ofTask("t-1").length, 0, "nothing stored yet");
    await waitFor(() => a.calls.length === 1, "the spans sent");
    assert.equal(a.calls[0]!.length, 2, `both in one call (linger ${lingerMs})`);
    assert.equal(a.timeline.groupTraces.ofTask("t-1").length, 2);
  }
  // An agent that stops flushes: the work runs then and its spans go, and a failure is warned.
  using b = lingering({ lingerMs: 60_000 });
  b.spans.later("s-2", () => void step(b.spans, "claimed"));
  b.spans.later("s-3", () => {
    throw new Error("the store is closed");
  });
  await b.spans.flush();
  assert.equal(b.calls.length, 1);
  assert.deepEqual(b.warnings, ["Cannot store span s-3: the store is closed"]);
});
