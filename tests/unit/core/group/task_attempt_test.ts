/**
 * The spans of a worker's attempt: under the requester's span when the request carries a trace,
 * the root of a new trace when it carries none (a foreign requester, kcat), with the claim and the
 * response as steps; the response record carries the attempt's trace. What a worker sends on the
 * way to its response is only the claim, then the final status with the response: the claimed
 * step, the turn's spans and its audit follow the response (one producer sends them all, one
 * request at a time, so anything sent before the response delays it), at the times they happened,
 * and are written only with the spans' next send, so that the requester's read of the response
 * does not wait on them.
 */
import assert from "node:assert/strict";
import { type AuditEvent, GroupSpans, openTrust, TaskIntake } from "../../../../core/group/mod.ts";
import { topicsFor } from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import type { InboundRecord, OutboundRecord } from "../../../../core/transport/mod.ts";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const PARENT = "b7ad6b7169203331";

/**
 * A worker whose door refuses every task; by default what it sends is kept in `sent` and its
 * spans are dropped, or both go through `options.send`, one producer as in an agent.
 */
function worker(
  options: {
    send?: (records: readonly OutboundRecord[]) => Promise<void>;
    audit?: (event: AuditEvent) => void;
    now?: () => Date;
  } = {},
) {
  const timeline = Timeline.open(":memory:");
  const sent: OutboundRecord[] = [];
  const now = options.now ?? (() => new Date("2026-12-04T10:00:00Z"));
  const spans = new GroupSpans({
    lingerMs: 0, // each span sent as it ends: no timer outlives the test
    agentId: "w",
    group: "g1",
    send: options.send ?? (() => Promise.resolve()),
    store: timeline.groupTraces,
    now,
  });
  const intake = new TaskIntake({
    agentId: "w",
    door: { enter: () => Promise.resolve({ kind: "refused", content: "not now" }) },
    trust: openTrust,
    send: options.send ?? ((records) => (sent.push(...records), Promise.resolve())),
    spans,
    ...(options.audit ? { audit: options.audit } : {}),
    now,
  });
  return { intake, sent, spans, timeline, [Symbol.dispose]: () => timeline.close() };
}

function request(
  task: string,
  trace: Record<string, string>,
  extra: Record<string, unknown> = {},
): InboundRecord {
  const value = JSON.stringify({
    type: "request",
    correlation_id: task,
    sender_id: "kcat",
    timestamp: "2026-12-04T09:59:59Z",
    ...trace,
    payload: { task_id: task, description: "", content: "hi", requester_id: "kcat", ...extra },
  });
  return {
    topic: topicsFor("g1").requests,
    partition: 0,
    offset: "0",
    key: task,
    value: new TextEncoder().encode(value),
    headers: {},
    timestamp: Date.now(),
  };
}

/** One request handled to its end, and the spans recorded after its response sent. */
async function run(w: ReturnType<typeof worker>, record: InboundRecord) {
  const handled = await w.intake.handle(record);
  assert.ok(handled && "work" in handled);
  await handled.work();
  await w.spans.flush();
}

Deno.test("a request without a trace starts one at the worker; one with a trace is joined", async () => {
  using w = worker();
  await run(w, request("t-root", {}));
  await run(w, request("t-child", { trace_id: TRACE, span_id: PARENT }));
  const attempt = (task: string) =>
    w.timeline.groupTraces.ofTask(task).find((s) => s.attributes.step === "attempt")!;
  const root = attempt("t-root");
  assert.equal(root.parentSpanId, undefined);
  assert.notEqual(root.traceId, TRACE);
  const child = attempt("t-child");
  assert.deepEqual([child.traceId, child.parentSpanId], [TRACE, PARENT]);
  assert.deepEqual(
    w.timeline.groupTraces.ofTask("t-root").map((s) => s.attributes.step).toSorted(),
    ["attempt", "claimed", "response"],
  );
  // Each response carries the trace of its attempt, and the attempt's span.
  const responses = w.sent.filter((r) => r.topic === topicsFor("g1").responses)
    .map((r) => JSON.parse(String(r.value)));
  assert.deepEqual(
    responses.map((r) => [r.payload.task_id, r.trace_id, r.span_id, r.payload.status]),
    [
      ["t-root", root.traceId, root.spanId, "rejected"],
      ["t-child", TRACE, child.spanId, "rejected"],
    ],
  );
});

/** What one producer was given, in order: statuses, responses, spans (by step) and audits. */
function sentBy(log: string[]) {
  return (records: readonly OutboundRecord[]) => {
    for (const r of records) {
      const envelope = JSON.parse(String(r.value));
      const what = envelope.type === "trace"
        ? `span:${envelope.payload.attributes.step}`
        : envelope.type === "task_status"
        ? `status:${envelope.payload.status}`
        : envelope.type;
      log.push(what);
    }
    return Promise.resolve();
  };
}

Deno.test("a worker's claimed step and its turn's audit go out after its response, at the times they happened", async () => {
  const log: string[] = [];
  let clock = Date.parse("2026-12-05T10:00:00Z");
  const now = () => new Date(clock++);
  using w = worker({
    send: sentBy(log),
    audit: (event) => void log.push(`audit:${event.decision}`),
    now,
  });
  const handled = await w.intake.handle(request("t-1", {}, { attempt: 1, arbiter: "none" }));
  assert.ok(handled && "work" in handled);
  await handled.work();
  // The requester's read of the response goes first: nothing more is written or sent yet.
  assert.deepEqual(log, ["status:claimed", "status:failed", "response"]);
  assert.deepEqual(w.timeline.groupTraces.ofTask("t-1"), []);
  await w.spans.flush();
  assert.deepEqual(log, [
    "status:claimed",
    "status:failed",
    "response",
    "audit:turn_refused",
    "span:claimed",
    "span:response",
    "span:attempt",
  ]);
  const steps = Object.fromEntries(
    w.timeline.groupTraces.ofTask("t-1").map((s) => [s.attributes.step, s.startedAt.getTime()]),
  );
  assert.ok(steps.attempt! < steps.claimed!, "claimed after the attempt began");
  assert.ok(
    steps.claimed! < steps.response!,
    "claimed when the claim went out, before the response",
  );
});

Deno.test("a worker's attempt span is not written as its turn starts, and is stored once ended, from its start", async () => {
  let clock = Date.parse("2026-12-05T10:00:00Z");
  const received = clock;
  using w = worker({ now: () => new Date(clock++) });
  const stored = () => w.timeline.groupTraces.ofTask("t-1").map((s) => s.attributes.step);
  const handled = await w.intake.handle(request("t-1", {}, { attempt: 1, arbiter: "none" }));
  assert.ok(handled && "work" in handled);
  // The work runs to the turn's door before it first waits: nothing of the attempt is stored yet.
  const working = handled.work();
  const atTurn = stored();
  await working;
  assert.deepEqual(atTurn, [], "no write between the request's receipt and its turn");
  assert.deepEqual(stored(), [], "none before the spans' next send, after the response");
  await w.spans.flush();
  const attempt = w.timeline.groupTraces.ofTask("t-1").find((s) => s.attributes.step === "attempt");
  assert.ok(attempt?.endedAt !== undefined, "stored ended");
  assert.equal(attempt.startedAt.getTime(), received, "from the request's receipt");
});
