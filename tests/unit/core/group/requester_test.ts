/**
 * The requester's state machine, driven record by record: what it sends back for each status and
 * response, with a timeline in memory and a hand-made clock.
 */
import assert from "node:assert/strict";
import { Requester } from "../../../../core/group/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import {
  G,
  load,
  record,
  response,
  RESPONSES,
  rig,
  said,
  send,
  STATUS,
  status,
} from "../../../_support/requester_rig.ts";

Deno.test("the first claim of an attempt is granted, any other revoked; renewals acknowledged", async () => {
  using r = rig();
  await send(r);
  await r.requester.handleStatus(status("a", "claimed"));
  await r.requester.handleStatus(status("a", "claimed")); // the same worker again: granted again
  await r.requester.handleStatus(status("b", "claimed"));
  await r.requester.handleStatus(status("a", "in_progress"));
  await r.requester.handleStatus(status("b", "in_progress"));
  await r.requester.handleStatus(status("a", "claimed", 7)); // an attempt that never was
  assert.deepEqual(said(r), [
    `request@1>group.${G}.requests`,
    "assigned:a@1",
    "assigned:a@1",
    "revoked:b@1",
    "assigned:a@1",
    "revoked:b@1",
    "revoked:a@7",
  ]);
  // The grant also goes to the worker's inbox.
  assert.ok(r.sent.some((s) => s.topic === `group.${G}.agent.a.inbox`));
  assert.equal(r.timeline.groupTasks.outgoing("t1")?.workerId, "a");
});

Deno.test("a status out of order, for another task, or not the worker's own, changes nothing", async () => {
  using r = rig();
  await send(r);
  const late = status("a", "claimed");
  await r.requester.handleStatus(status("a", "in_progress"));
  await r.requester.handleStatus(late); // its seq is older: a regression
  await r.requester.handleStatus(status("a", "claimed", 1, "t-other"));
  await r.requester.handleStatus(status("a", "claimed", 1, "t1", "mallory"));
  await r.requester.handleStatus(record(STATUS, { type: "nonsense" }));
  await r.requester.handleStatus(response("a")); // not a status at all
  assert.deepEqual(said(r), [`request@1>group.${G}.requests`, "revoked:a@1"]);
});

Deno.test("the first final response is kept; later ones are dropped and audited", async () => {
  using r = rig();
  await send(r);
  await r.requester.handleStatus(status("a", "claimed"));
  r.requester.handleResponse(response("b")); // not the holder
  r.requester.handleResponse(response("a"));
  r.requester.handleResponse(response("a", 1, { content: "again" }));
  r.requester.handleResponse(response("a", 1, {}, "t-unknown"));
  r.requester.handleResponse(record(RESPONSES, { type: "nonsense" }));
  r.requester.handleResponse(status("a", "completed"));
  assert.deepEqual(await r.requester.answer("t1"), {
    taskId: "t1",
    status: "completed",
    content: "from a",
    reason: undefined,
    responderId: "a",
  });
  assert.deepEqual(r.audits.map((a) => a.event), ["response_dropped", "response_dropped"]);
  assert.match(r.audits[0]!.detail, /a response from b \(attempt 1\)/);
  assert.equal(r.requester.answer("t-unknown"), undefined);
  assert.deepEqual(r.requester.following(), []);
});

Deno.test("a response before any claim is kept (nothing is ordered across topics)", async () => {
  using r = rig();
  await send(r);
  r.requester.handleResponse(response("a", 1, { status: "failed", reason: "max_iterations" }));
  const answer = await r.requester.answer("t1")!;
  assert.deepEqual([answer.status, answer.reason], ["failed", "max_iterations"]);
});

Deno.test("rejected is final; the same rejection told again as a response is not audited", async () => {
  using r = rig();
  await send(r);
  await r.requester.handleStatus(status("a", "rejected"));
  r.requester.handleResponse(response("a", 1, { status: "rejected", reason: "late", content: "" }));
  const answer = await r.requester.answer("t1")!;
  assert.deepEqual([answer.status, answer.reason], ["rejected", "rejected"]);
  assert.deepEqual(r.audits, []);
});

Deno.test("a decline sends attempt+1 to another live worker's inbox; one by a non-holder is ignored", async () => {
  using r = rig();
  await send(r, { skill: "sql" });
  await r.requester.handleStatus(status("a", "declined"));
  assert.deepEqual(said(r).slice(1), [`request@2>group.${G}.agent.b.inbox`]);
  const retry = r.sent.at(-1)!.envelope;
  assert.deepEqual([retry.type, retry.payload.target_id], ["skill_request", "b"]);
  await r.requester.handleStatus(status("b", "claimed", 2));
  await r.requester.handleStatus(status("a", "declined", 2));
  assert.deepEqual(said(r).slice(2), ["assigned:b@2"]);
  assert.deepEqual(r.timeline.groupTasks.outgoing("t1")?.excluded, ["a"]);
});

Deno.test("with no other live worker, the task waits and goes out once one appears", async () => {
  using r = rig();
  r.workers.remove("b");
  await send(r);
  await r.requester.handleStatus(status("a", "declined"));
  await r.requester.tick();
  assert.deepEqual(said(r).slice(1), [], "a requester never takes its own task");
  r.workers.put({ agentId: "c", skills: [], load });
  await r.requester.tick();
  assert.deepEqual(said(r).slice(1), [`request@2>group.${G}.agent.c.inbox`]);
});

Deno.test("its own request met on the shared topic goes to another worker", async () => {
  using r = rig();
  await send(r);
  const own = JSON.parse(JSON.stringify(r.sent[0]!.envelope));
  r.requester.ownRequest(own);
  await r.requester.tick();
  assert.deepEqual(said(r).slice(1), [`request@2>group.${G}.agent.a.inbox`]);
  r.requester.ownRequest(own); // an old attempt: nothing more
  r.requester.ownRequest({ ...own, payload: { ...own.payload, task_id: "t-unknown" } });
  assert.equal(said(r).length, 2);
});

Deno.test("a retry that cannot be sent (no such inbox) waits for the next look, and never throws", async () => {
  let refuse = true;
  const sent: string[] = [];
  using r = rig({
    send: (records) => {
      if (refuse && records.some((x) => x.topic.endsWith(".inbox"))) {
        return Promise.reject(new Error("This server does not host this topic-partition"));
      }
      sent.push(...records.map((x) => x.topic));
      return Promise.resolve();
    },
  });
  await send(r);
  await r.requester.handleStatus(status("a", "declined"));
  refuse = false;
  await r.requester.tick();
  assert.deepEqual(sent.slice(1), [`group.${G}.agent.b.inbox`]);
  await r.requester.tick();
  assert.equal(sent.length, 2, "sent once");
});

Deno.test("a lease lapses after leaseMs of silence, only once the stream gave back the requester's own statuses", async () => {
  let caughtUp = false;
  using r = rig({ statusCaughtUp: () => caughtUp });
  await send(r);
  await r.requester.handleStatus(status("a", "claimed"));
  r.clock.t += 5000;
  await r.requester.tick();
  assert.equal(r.audits.length, 0, "not yet: exactly leaseMs");
  r.clock.t += 1;
  await r.requester.tick();
  assert.equal(r.audits.length, 0, "its grant has not come back on the stream: lag");
  const grant = r.sent.find((s) => s.topic === STATUS)!.envelope;
  await r.requester.handleStatus(record(STATUS, grant));
  await r.requester.tick();
  assert.equal(r.audits.length, 0, "the transport says the consumer lags");
  caughtUp = true;
  await r.requester.tick();
  assert.deepEqual(r.audits, [{
    event: "lease_lapsed",
    taskId: "t1",
    detail: "a sent nothing for attempt 1 in 5001 ms",
  }]);
  assert.deepEqual(said(r).slice(2), [`request@2>group.${G}.agent.b.inbox`]);
  // The lapsed holder's renewal is answered with revoked.
  await r.requester.handleStatus(status("a", "in_progress", 1));
  assert.equal(said(r).at(-1), "revoked:a@1");
});

/**
 * A rig whose task "t1" is granted to "a" and silent one ms past its lease, where the consumer,
 * catching up while the requester measures its lag, reads what `meanwhile` hands it first.
 */
async function silentPastLease(meanwhile: (r: ReturnType<typeof rig>) => Promise<unknown>) {
  let reading: (() => Promise<unknown>) | undefined;
  const r = rig({
    statusCaughtUp: async (task) => {
      assert.equal(task.taskId, "t1");
      await reading?.();
      return true;
    },
  });
  await send(r);
  await r.requester.handleStatus(status("a", "claimed"));
  const grant = r.sent.find((s) => s.topic === STATUS)!.envelope;
  await r.requester.handleStatus(record(STATUS, grant));
  r.clock.t += 5001;
  reading = () => {
    reading = undefined;
    return meanwhile(r);
  };
  return r;
}

Deno.test("a renewal read while the requester measures its lag keeps the lease, and the task with its holder", async () => {
  using r = await silentPastLease(async (r) => {
    await r.requester.handleStatus(status("a", "in_progress"));
    const ack = r.sent.filter((s) => s.topic === STATUS).at(-1)!.envelope;
    await r.requester.handleStatus(record(STATUS, ack));
  });
  await r.requester.tick();
  assert.deepEqual(r.audits, []);
  assert.deepEqual(said(r).slice(1), ["assigned:a@1", "assigned:a@1"]);
  assert.equal(r.timeline.groupTasks.outgoing("t1")?.attempt, 1);
});

Deno.test("a decline read while the requester measures its lag moves the task on once, with no lapse, even with no worker to take it", async () => {
  using r = await silentPastLease(async (r) => {
    r.workers.remove("b");
    await r.requester.handleStatus(status("a", "declined"));
  });
  await r.requester.tick();
  assert.deepEqual(r.audits, [], "the silence of attempt 1 no longer counts");
  assert.deepEqual(said(r).slice(1), ["assigned:a@1"], "attempt 2 waits for a worker");
  assert.equal(r.timeline.groupTasks.outgoing("t1")?.attempt, 2);
  r.workers.put({ agentId: "c", skills: [], load });
  await r.requester.tick();
  assert.deepEqual(said(r).slice(2), [`request@2>group.${G}.agent.c.inbox`]);
});

Deno.test("an own status that never comes back stops counting as lag after three leases", async () => {
  using r = rig();
  await send(r);
  await r.requester.handleStatus(status("a", "claimed"));
  r.clock.t += 15_000;
  await r.requester.tick();
  assert.equal(r.audits.length, 0);
  r.clock.t += 1;
  await r.requester.tick();
  assert.equal(r.audits.length, 1);
});

Deno.test("a status the requester could not send is no lag, and the error reaches the caller", async () => {
  let fail = false;
  const sent: unknown[] = [];
  using r = rig({
    send: (records) =>
      fail ? Promise.reject(new Error("down")) : (sent.push(records), Promise.resolve()),
  });
  await send(r);
  fail = true;
  await assert.rejects(r.requester.handleStatus(status("a", "claimed")), /down/);
  fail = false;
  r.clock.t += 5001;
  await r.requester.tick();
  assert.equal(r.audits.length, 1, "nothing of its own is on the way: the lease lapses");
});

Deno.test("at its deadline a task ends expired, saying who held it, and the holder is revoked", async () => {
  using r = rig();
  await send(r, {}, "t1");
  await send(r, {}, "t2");
  await r.requester.handleStatus(status("a", "claimed", 1, "t1"));
  r.clock.t += 60_000;
  await Promise.all([r.requester.tick(), r.requester.tick()]);
  const [held, free] = await Promise.all([r.requester.answer("t1")!, r.requester.answer("t2")!]);
  assert.equal(held.status, "expired");
  assert.match(held.reason!, /^no answer before the deadline .+ \(a held attempt 1\)$/);
  assert.match(free.reason!, /\(no worker held it\)$/);
  assert.equal(said(r).at(-1), "revoked:a@1");
});

Deno.test("with Kafka out of reach a task still ends expired at its deadline, and the tasks after it are looked at", async () => {
  let down = false;
  const warned: string[] = [];
  using r = rig({
    send: (records) =>
      down ? Promise.reject(new Error("Kafka is down")) : Promise.resolve(void records),
    warn: (line) => void warned.push(line),
  });
  await send(r, {}, "t1");
  await send(r, {}, "t2");
  await r.requester.handleStatus(status("a", "claimed", 1, "t1"));
  down = true;
  r.clock.t += 60_000;
  await r.requester.tick();
  const [held, free] = await Promise.all([r.requester.answer("t1")!, r.requester.answer("t2")!]);
  assert.equal(held.status, "expired");
  assert.match(held.reason!, /\(a held attempt 1\)$/);
  assert.equal(free.status, "expired");
  assert.deepEqual(warned, [
    "Cannot tell a that task t1 (attempt 1) is revoked: Kafka is down; it ends expired here",
  ]);
});

Deno.test("a task past its deadline ends expired at once, while the revoke to its holder is still on its way", async () => {
  let stuck = false;
  using r = rig({
    send: (records) => stuck ? new Promise(() => {}) : Promise.resolve(void records),
  });
  await send(r, {}, "t1");
  await r.requester.handleStatus(status("a", "claimed", 1, "t1"));
  stuck = true; // a send that retries for long, as kafkajs's does with Kafka out of reach
  r.clock.t += 60_000;
  await r.requester.tick();
  const held = await r.requester.answer("t1")!;
  assert.equal(held.status, "expired");
  assert.equal(r.timeline.groupTasks.outgoing("t1")!.status, "expired");
});

Deno.test("a look at one task that fails is said once, and the others are looked at all the same", async () => {
  const warned: string[] = [];
  using r = rig({
    statusCaughtUp: () => Promise.reject("the lag could not be asked"),
    warn: (line) => void warned.push(line),
  });
  await send(r, {}, "t1");
  await send(r, { deadline_at: new Date(r.clock.t + 10_000).toISOString() }, "t2");
  await r.requester.handleStatus(status("a", "claimed", 1, "t1"));
  // Its grant came back on the stream: what is left to ask is whether the consumer lags.
  const grant = r.sent.find((s) => s.topic === STATUS)!.envelope;
  await r.requester.handleStatus(record(STATUS, grant));
  r.clock.t += 10_000;
  await r.requester.tick();
  await r.requester.tick();
  assert.equal((await r.requester.answer("t2")!).status, "expired");
  assert.deepEqual(warned, ["the lag could not be asked"], "said once, at the first look");
  assert.equal(r.requester.answer("t1") !== undefined, true, "t1 is still followed");
});

Deno.test("a task that expires unclaimed in the inbox of an agent gone from the group says so", async () => {
  using r = rig();
  const deadline = new Date(r.clock.t + 60_000).toISOString();
  for (const [task, agent] of [["to-a", "a"], ["to-z", "z"]] as const) {
    await r.requester.send({
      type: "request",
      payload: taskPayload("r", {
        task_id: task,
        content: "x",
        deadline_at: deadline,
        target_id: agent,
      }),
      taint: "untrusted",
    }, { topic: `group.${G}.agent.${agent}.inbox` });
  }
  r.clock.t += 60_000;
  await r.requester.tick();
  const [live, gone] = await Promise.all([
    r.requester.answer("to-a")!,
    r.requester.answer("to-z")!,
  ]);
  assert.match(live.reason!, /\(no worker held it\)$/);
  assert.match(
    gone.reason!,
    /\(no worker held it; agent "z" is not live in the group: it left, or has not been heard from lately\)$/,
  );
});

Deno.test("a requester started again resumes its unfinished tasks from the timeline", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      using r = rig({}, Timeline.open(`${dir}/t.db`));
      await send(r, {}, "t1");
      await send(r, {}, "t2");
      r.requester.handleResponse(response("a", 1, {}, "t2"));
    }
    using again = rig({}, Timeline.open(`${dir}/t.db`));
    again.requester.start();
    assert.deepEqual(again.requester.following(), ["t1"]);
    assert.equal((await again.requester.answer("t2")!).content, "from a");
    await again.requester.handleStatus(status("b", "claimed"));
    assert.deepEqual(said(again), ["assigned:b@1"]);
    again.requester.start(); // a second start adds nothing
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a requester started again sends on an attempt that waited for a worker when it stopped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      using r = rig({}, Timeline.open(`${dir}/t.db`));
      r.workers.remove("b");
      await send(r);
      // Declined by a, the only other worker: attempt 2 waits for one.
      await r.requester.handleStatus(status("a", "declined"));
      await r.requester.tick();
      assert.deepEqual(said(r).slice(1), []);
    }
    using again = rig({}, Timeline.open(`${dir}/t.db`));
    again.requester.start();
    await again.requester.tick();
    assert.deepEqual(said(again), [`request@2>group.${G}.agent.b.inbox`], "b is live now");
    await again.requester.tick();
    assert.equal(said(again).length, 1, "sent once");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a retry that could not be sent before the requester stopped is sent after its restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      const refuse = () =>
        Promise.reject(new Error("This server does not host this topic-partition"));
      using r = rig({
        send: (records) =>
          records.some((x) => x.topic.endsWith(".inbox")) ? refuse() : Promise.resolve(),
      }, Timeline.open(`${dir}/t.db`));
      await send(r);
      await r.requester.handleStatus(status("a", "declined"));
      assert.deepEqual(r.timeline.groupTasks.outgoing("t1")?.routes, [], "nothing was sent");
    }
    using again = rig({}, Timeline.open(`${dir}/t.db`));
    again.requester.start();
    await again.requester.tick();
    assert.deepEqual(said(again), [`request@2>group.${G}.agent.b.inbox`]);
    assert.deepEqual(
      again.timeline.groupTasks.outgoing("t1")?.routes.map((route) => route.agent_id),
      ["b"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("by default a lease is kafkajs' retry budget plus three heartbeat intervals (60 s)", async () => {
  using r = rig();
  const requester = new Requester({
    agentId: "r",
    group: G,
    send: () => Promise.resolve(),
    store: r.timeline.groupTasks,
    workers: r.workers,
    audit: (a) => r.audits.push(a),
    now: () => new Date(r.clock.t),
  });
  await requester.send({
    type: "request",
    payload: taskPayload("r", { task_id: "t9", content: "x" }),
    taint: "untrusted",
  }, { topic: `group.${G}.requests` });
  await requester.handleStatus(status("a", "claimed", 1, "t9"));
  r.clock.t += 60_000;
  await requester.tick();
  assert.equal(r.audits.length, 0);
  r.clock.t += 3 * 60_000 + 1; // its own grant never came back: counted lost after three leases
  await requester.tick();
  assert.deepEqual(r.audits.map((a) => a.taskId), ["t9"]);
});

Deno.test("a task another process finished in the store keeps that answer", async () => {
  using r = rig();
  await send(r);
  const waiter = r.requester.answer("t1")!;
  r.timeline.groupTasks.update("t1", { status: "failed", reason: "given up elsewhere" });
  await r.requester.handleStatus(status("a", "claimed"));
  r.requester.handleResponse(response("a"));
  assert.equal((await waiter).content, "from a", "the waiter hears the response");
  const kept = (await r.requester.answer("t1"))!;
  assert.deepEqual([kept.status, kept.content, kept.reason], ["failed", "", "given up elsewhere"]);
});

Deno.test("a holder that announced a slow heartbeat keeps its lease for 3 of its own intervals", async () => {
  using r = rig({ statusCaughtUp: () => true });
  r.workers.put({ agentId: "a", skills: ["sql"], load, heartbeatIntervalMs: 4000 });
  await send(r);
  await r.requester.handleStatus(status("a", "claimed"));
  const grant = r.sent.find((s) => s.topic === STATUS)!.envelope;
  await r.requester.handleStatus(record(STATUS, grant));
  r.clock.t += 6000;
  await r.requester.tick();
  assert.equal(r.audits.length, 0, "past leaseMs (5 s) but within 3 x 4 s");
  r.clock.t += 6001;
  await r.requester.tick();
  assert.deepEqual(r.audits.map((a) => a.detail), ["a sent nothing for attempt 1 in 12001 ms"]);
});
