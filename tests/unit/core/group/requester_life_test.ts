/**
 * A requester's task from end to end beyond the status machine: tasks queued by another process
 * of the home, a task with `arbiter: "none"`, the spans of a task's life (submit, grant, attempts
 * sent on, the end) and how a restarted requester ends the span its earlier run left open.
 */
import assert from "node:assert/strict";
import { GroupSpans } from "../../../../core/group/mod.ts";
import { type StoredSpan, Timeline } from "../../../../core/timeline/mod.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { G, response, rig, said, send, status } from "../../../_support/requester_rig.ts";

/**
 * A requester `r` that records its spans in `timeline`; `spans` reads a task's spans as stored
 * now, `flushed` once the spans ended soon (a task's submit, at its end) are stored.
 */
function traced(timeline = Timeline.open(":memory:")) {
  // The spans run on the rig's clock.
  const recorder = spansIn(timeline, () => new Date(r.clock.t));
  const r = rig({ spans: recorder }, timeline);
  const spans = (task: string) =>
    timeline.groupTraces.ofTask(task).toSorted((a, b) =>
      a.startedAt.getTime() - b.startedAt.getTime()
    );
  const flushed = async (task: string) => {
    await recorder.flush();
    return spans(task);
  };
  return Object.assign(r, { spans, flushed });
}

function spansIn(timeline: Timeline, now: () => Date) {
  return new GroupSpans({
    lingerMs: 0, // each span sent as it ends: no timer outlives a test that flushes
    agentId: "r",
    group: G,
    send: () => Promise.resolve(),
    store: timeline.groupTraces,
    now,
  });
}

const steps = (spans: StoredSpan[]) =>
  spans.map((s) => `${s.attributes.step}:${s.endedAt === undefined ? "open" : "ended"}`);

Deno.test("with arbiter none claims and renewals get no answer, nothing is stored for them, and no lease lapses", async () => {
  using r = rig();
  await send(r, { arbiter: "none" });
  await r.requester.handleStatus(status("a", "claimed"));
  await r.requester.handleStatus(status("b", "claimed"));
  await r.requester.handleStatus(status("a", "in_progress"));
  await r.requester.handleStatus(status("a", "claimed", 2)); // an attempt that never was
  assert.deepEqual(said(r), [`request@1>group.${G}.requests`], "no assigned, no revoked");
  const stored = r.timeline.groupTasks.outgoing("t1");
  assert.deepEqual([stored?.status, stored?.workerId], ["sent", undefined]);
  // Nobody re-publishes: the silence of a lease later, nothing was sent on.
  r.clock.t += 10 * r.requester.leaseMs;
  await r.requester.tick();
  assert.deepEqual(said(r), [`request@1>group.${G}.requests`]);
  r.requester.handleResponse(response("a"));
  const answer = await r.requester.answer("t1")!;
  assert.deepEqual([answer.status, answer.responderId], ["completed", "a"]);
});

Deno.test("queued tasks of the home are sent once each, even by two calls at once, and followed", async () => {
  using r = rig();
  for (const taskId of ["q1", "q2"]) {
    r.timeline.groupTasks.addOutgoing({
      taskId,
      type: "request",
      request: taskPayload("r", { task_id: taskId, content: `do ${taskId}` }),
      taint: "trusted",
      topic: `group.${G}.requests`,
      status: "queued",
    });
  }
  await Promise.all([r.requester.sendQueued(), r.requester.sendQueued()]);
  assert.deepEqual(r.sent.map((s) => [s.topic, s.envelope.payload.task_id, s.envelope.taint]), [
    [`group.${G}.requests`, "q1", "trusted"],
    [`group.${G}.requests`, "q2", "trusted"],
  ]);
  assert.deepEqual(r.requester.following(), ["q1", "q2"]);
  assert.deepEqual(r.timeline.groupTasks.queued(), []);
  await r.requester.sendQueued();
  assert.equal(r.sent.length, 2, "nothing queued is left to send");
});

Deno.test("a task's life is its submit span, with the grant and each attempt sent on as steps under it", async () => {
  using r = traced();
  await send(r);
  const request = r.sent[0]!.envelope;
  const [submit] = r.spans("t1");
  assert.deepEqual([request.trace_id, request.span_id], [submit!.traceId, submit!.spanId]);
  await r.requester.handleStatus(status("a", "claimed"));
  await r.requester.handleStatus(status("a", "in_progress"));
  await r.requester.handleStatus(status("a", "declined"));
  r.requester.handleResponse(response("b", 2));
  const life = await r.flushed("t1");
  assert.deepEqual(steps(life), ["submit:ended", "grant:ended", "route:ended"]);
  assert.ok(life.slice(1).every((s) => s.parentSpanId === submit!.spanId));
  assert.deepEqual(life.map((s) => s.title), [
    `submit to group.${G}.requests`,
    "assigned attempt 1 to a",
    "sent attempt 2 to b (a declined attempt 1)",
  ]);
  assert.deepEqual(life[0]!.attributes, {
    task_id: "t1",
    step: "submit",
    topic: `group.${G}.requests`,
    status: "completed",
    responder: "b",
  });
});

Deno.test("an attempt sent on says why in its span, in ids alone: its own request back, a lapsed lease", async () => {
  using r = traced();
  await send(r);
  const own = JSON.parse(JSON.stringify(r.sent[0]!.envelope));
  r.requester.ownRequest(own);
  await r.requester.tick();
  await r.requester.handleStatus(status("a", "claimed", 2));
  r.clock.t += 10 * r.requester.leaseMs;
  await r.requester.tick();
  await r.requester.tick();
  r.requester.handleResponse(response("b", 3));
  const titles = (await r.flushed("t1")).map((s) => s.title);
  assert.deepEqual(titles.filter((t) => t.startsWith("sent ")), [
    "sent attempt 2 to a (attempt 1 came back to the requester itself)",
    "sent attempt 3 to b (the lease of a lapsed)",
  ]);
});

Deno.test("the final answer is stored and handed over first; its submit span ends then, at the answer's time", async () => {
  using r = traced();
  await send(r);
  const answered = r.clock.t += 1500;
  r.requester.handleResponse(response("a"));
  // The store holds the answer before any waiter reads it; the span's ending waits for them.
  assert.equal(r.timeline.groupTasks.outgoing("t1")?.status, "completed");
  assert.equal((await r.requester.answer("t1"))?.content, "from a");
  assert.deepEqual(steps(r.spans("t1")), ["submit:open"]);
  r.clock.t += 5000;
  const [submit] = await r.flushed("t1");
  assert.deepEqual(steps([submit!]), ["submit:ended"]);
  assert.deepEqual([submit!.endedAt, submit!.durationMs], [new Date(answered), 1500]);
  assert.equal(submit!.attributes.responder, "a");
});

Deno.test("an expired task's span ends with the reason and no responder", async () => {
  using r = traced();
  await send(r);
  r.clock.t += 60_000;
  await r.requester.tick();
  const [submit] = await r.flushed("t1");
  assert.equal(submit!.attributes.status, "expired");
  assert.match(String(submit!.attributes.reason), /no worker held it/);
  assert.equal("responder" in submit!.attributes, false);
});

Deno.test("a restarted requester ends the submit span its earlier run left open", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let first: StoredSpan | undefined;
    {
      using r = traced(Timeline.open(`${dir}/t.db`));
      await send(r);
      first = r.spans("t1")[0];
    }
    using again = traced(Timeline.open(`${dir}/t.db`));
    again.requester.start();
    await again.requester.handleStatus(status("a", "claimed"));
    again.requester.handleResponse(response("a"));
    const life = await again.flushed("t1");
    assert.deepEqual(steps(life), ["submit:ended", "grant:ended"]);
    assert.equal(life[0]!.spanId, first!.spanId, "the same span, not a new one");
    assert.equal(life[0]!.attributes.responder, "a");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a late word on an older attempt that asks for nothing gets no answer", async () => {
  using r = rig();
  await send(r);
  await r.requester.handleStatus(status("a", "declined"));
  for (const word of ["declined", "completed", "failed"]) {
    await r.requester.handleStatus(status("a", word, 1));
  }
  assert.deepEqual(said(r), [
    `request@1>group.${G}.requests`,
    `request@2>group.${G}.agent.b.inbox`,
  ]);
  assert.deepEqual(r.requester.following(), ["t1"]);
});
