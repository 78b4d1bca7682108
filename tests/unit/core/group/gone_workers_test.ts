/**
 * Members found gone: a holder whose lease lapsed is out of routing for every task at once (not
 * only for the task that lapsed) until it is heard from again, and members that leave the live
 * set are told once. Driven through a requester, record by record, with a hand-made clock.
 */
import assert from "node:assert/strict";
import {
  GoneWorkers,
  type HeardWorker,
  Requester,
  type RequesterAudit,
} from "../../../../core/group/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import type { InboundRecord } from "../../../../core/transport/mod.ts";
import { taskPayload } from "../../../_support/task_group.ts";

const G = "g1";
const STATUS = `group.${G}.tasks.status`;
const T0 = Date.parse("2026-12-04T12:00:00Z");

/** The roster's live members, each heard from at `lastSeen`. */
class Heard {
  readonly workers = new Map<string, HeardWorker>();
  constructor(expertise: Record<string, number>) {
    for (const [agentId, sql] of Object.entries(expertise)) {
      this.workers.set(agentId, {
        agentId,
        skills: ["sql"],
        load: { running: 0, capacity: 4 },
        expertise: { sql },
        lastSeen: T0,
      });
    }
  }
  beat(agentId: string, at: number): void {
    this.workers.set(agentId, { ...this.workers.get(agentId)!, lastSeen: at });
  }
  live(): HeardWorker[] {
    return [...this.workers.values()];
  }
}

let offset = 0;
function inbound(
  topic: string,
  envelope: { readonly payload: Record<string, unknown>; readonly [field: string]: unknown },
): InboundRecord {
  return {
    topic,
    partition: 0,
    offset: String(offset++),
    key: String(envelope.payload.task_id),
    value: new TextEncoder().encode(JSON.stringify(envelope)),
    headers: {},
    timestamp: 0,
  };
}

let seq = 1;
function status(worker: string, what: string, task: string, at: number) {
  return inbound(STATUS, {
    type: "task_status",
    correlation_id: task,
    sender_id: worker,
    timestamp: new Date(at).toISOString(),
    payload: { task_id: task, attempt: 1, worker_id: worker, status: what, seq: seq++ },
  });
}

Deno.test("a holder whose lease lapsed gets no other task's retry until it is heard from again", async () => {
  using timeline = Timeline.open(":memory:");
  const clock = { t: T0 };
  const roster = new Heard({ a: 0.9, b: 0.5, c: 0.1 });
  const told: string[] = [];
  const gone = new GoneWorkers(roster, { onGone: (id) => told.push(id), now: () => clock.t });
  const audits: RequesterAudit[] = [];
  const sent: { topic: string; envelope: { type: string; payload: Record<string, unknown> } }[] =
    [];
  const store = timeline.groupTasks;
  const requester = new Requester({
    agentId: "r",
    group: G,
    send: (records) => {
      for (const r of records) sent.push({ topic: r.topic, envelope: JSON.parse(String(r.value)) });
      return Promise.resolve();
    },
    store,
    workers: gone,
    heartbeatIntervalMs: 1000,
    leaseMs: 5000,
    audit: gone.lapses((id) => store.outgoing(id)?.workerId, (a) => audits.push(a)),
    now: () => new Date(clock.t),
  });
  try {
    const deadline = new Date(T0 + 60_000).toISOString();
    for (const task of ["t1", "t2"]) {
      await requester.send({
        type: "skill_request",
        payload: taskPayload("r", {
          task_id: task,
          content: "x",
          skill: "sql",
          deadline_at: deadline,
        }),
        taint: "untrusted",
      }, { topic: `group.${G}.skill.sql.requests` });
    }
    await requester.handleStatus(status("a", "claimed", "t1", clock.t));
    await requester.handleStatus(status("b", "claimed", "t2", clock.t));
    // The requester's own statuses (grants, acknowledgements) come back on the stream: no lag.
    let echoed = 0;
    const echo = async () => {
      for (const own of sent.slice(echoed).filter((s) => s.topic === STATUS)) {
        await requester.handleStatus(inbound(STATUS, own.envelope));
      }
      echoed = sent.length;
    };
    await echo();
    clock.t += 4000;
    await requester.handleStatus(status("b", "in_progress", "t2", clock.t));
    await echo();
    clock.t += 1001;
    await requester.tick();
    // a sent nothing for t1 in over leaseMs: attempt 2 goes to the best of the others, b.
    assert.deepEqual(audits.map((x) => x.event), ["lease_lapsed"]);
    assert.deepEqual(told, ["a"]);
    const inboxOf = (task: string) =>
      sent.filter((s) => s.envelope.type === "skill_request" && s.envelope.payload.task_id === task)
        .map((s) => s.topic).filter((topic) => topic.endsWith(".inbox"));
    assert.deepEqual(inboxOf("t1"), [`group.${G}.agent.b.inbox`]);
    // b declines t2: a has the best expertise and its heartbeats are recent, but its lease just
    // lapsed; t2 goes to c, not to a's inbox.
    await requester.handleStatus(status("b", "declined", "t2", clock.t));
    assert.deepEqual(inboxOf("t2"), [`group.${G}.agent.c.inbox`]);
    assert.equal(store.outgoing("t2")?.routes.at(-1)?.candidates, 1);
    assert.deepEqual(gone.live().map((w) => w.agentId), ["b", "c"]);
    // A heartbeat of a's after the lapse: it is back for routing.
    roster.beat("a", clock.t + 1);
    assert.deepEqual(gone.live().map((w) => w.agentId), ["a", "b", "c"]);
    assert.deepEqual(gone.watch(), [], "a came back: not gone again");
  } finally {
    requester.close();
  }
});

Deno.test("members that leave the live set are told gone once; one that comes back is watched again", () => {
  const roster = new Heard({ a: 0, b: 0, c: 0 });
  const told: string[] = [];
  const gone = new GoneWorkers(roster, { onGone: (id) => told.push(id) });
  assert.deepEqual(gone.watch(), []);
  const b = roster.workers.get("b")!;
  roster.workers.delete("b");
  roster.workers.delete("c");
  assert.deepEqual(gone.watch(), ["b", "c"]);
  assert.deepEqual(gone.watch(), [], "told once");
  roster.workers.set("b", b);
  assert.deepEqual(gone.watch(), []);
  roster.workers.delete("b");
  assert.deepEqual(gone.watch(), ["b"]);
  assert.deepEqual(told, ["b", "c", "b"]);
  // Without a listener, and on the wall clock, a lapse still leaves routing.
  const quiet = new GoneWorkers(roster);
  quiet.lapsed("a");
  assert.deepEqual(quiet.live().map((w) => w.agentId), []);
  assert.deepEqual(quiet.watch(), []);
});

Deno.test("only a lapsed lease with a known holder takes a member out of routing; every event is still audited", () => {
  const roster = new Heard({ a: 0 });
  const told: string[] = [];
  const audits: string[] = [];
  const gone = new GoneWorkers(roster, { onGone: (id) => told.push(id) });
  const audit = gone.lapses(
    (taskId) => taskId === "t1" ? "a" : undefined,
    (event) => audits.push(`${event.event}:${event.taskId}`),
  );
  audit({ event: "response_dropped", taskId: "t1", detail: "a second final response" });
  audit({ event: "lease_lapsed", taskId: "t9", detail: "a task this store no longer has" });
  assert.deepEqual(told, []);
  assert.deepEqual(gone.live().map((w) => w.agentId), ["a"]);
  audit({ event: "lease_lapsed", taskId: "t1", detail: "a sent nothing" });
  assert.deepEqual(told, ["a"]);
  assert.deepEqual(gone.live(), []);
  assert.deepEqual(audits, ["response_dropped:t1", "lease_lapsed:t9", "lease_lapsed:t1"]);
});
