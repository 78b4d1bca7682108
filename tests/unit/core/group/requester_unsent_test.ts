/**
 * A request the requester could not send: to an inbox that does not exist (the agent never
 * joined, or `group gc` removed it) the task fails at once, saying so, instead of waiting for its
 * deadline; a task queued by `kafclaw task submit` that meets Kafka out of reach is sent at the
 * next look; one sent directly (delegate_task) fails, and its caller is told.
 */
import assert from "node:assert/strict";
import { type OutboundRecord, TopicMissingError } from "../../../../core/transport/mod.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { G, rig } from "../../../_support/requester_rig.ts";

const GHOST_INBOX = `group.${G}.agent.ghost.inbox`;

/** A send that fails while `failing(record)` says so, and records what went out otherwise. */
function sender(failing: (r: OutboundRecord) => Error | undefined) {
  const out: OutboundRecord[] = [];
  return {
    out,
    send: (records: readonly OutboundRecord[]) => {
      const error = records.map(failing).find((e) => e !== undefined);
      if (error) return Promise.reject(error);
      out.push(...records);
      return Promise.resolve();
    },
  };
}

function queue(r: ReturnType<typeof rig>, taskId: string, topic: string) {
  r.timeline.groupTasks.addOutgoing({
    taskId,
    type: "request",
    request: taskPayload("r", { task_id: taskId, content: "hi", target_id: "ghost" }),
    taint: "trusted",
    topic,
    status: "queued",
  });
}

Deno.test("a task for an agent with no inbox fails at once, saying why", async () => {
  const wire = sender((r) => r.topic === GHOST_INBOX ? new TopicMissingError(r.topic) : undefined);
  using r = rig({ send: wire.send });
  queue(r, "q1", GHOST_INBOX);
  await r.requester.sendQueued();
  const answer = await r.requester.answer("q1")!;
  assert.equal(answer.status, "failed");
  assert.equal(
    answer.reason,
    `agent "ghost" has no inbox in group "${G}": it never joined the group, or group gc removed it`,
  );
  assert.equal(r.timeline.groupTasks.outgoing("q1")?.status, "failed");
  assert.deepEqual(r.requester.following(), []);
  // Sent directly, the same: the caller gets the task id, and its answer says why.
  const taskId = await r.requester.send({
    type: "request",
    payload: taskPayload("r", { task_id: "d1", content: "hi", target_id: "ghost" }),
    taint: "untrusted",
  }, { topic: GHOST_INBOX });
  assert.equal((await r.requester.answer(taskId)!).status, "failed");
  assert.equal(wire.out.length, 0);
});

Deno.test("a task for a skill nobody offered, or to another missing topic, fails at once", async () => {
  const skill = `group.${G}.skill.sql.requests`;
  const requests = `group.${G}.requests`;
  const wire = sender((r) => new TopicMissingError(r.topic));
  using r = rig({ send: wire.send });
  const reasons: [string, string | undefined][] = [];
  for (const [taskId, topic] of [["s1", skill], ["s2", requests]] as const) {
    await r.requester.send({
      type: topic === skill ? "skill_request" : "request",
      payload: taskPayload("r", { task_id: taskId, content: "hi", skill: "sql" }),
      taint: "untrusted",
    }, { topic });
    const answer = await r.requester.answer(taskId)!;
    reasons.push([answer.status, answer.reason]);
  }
  assert.deepEqual(reasons, [
    [
      "failed",
      `no agent has offered skill "sql" in group "${G}" (its topic ${skill} does not exist)`,
    ],
    ["failed", `topic ${requests} does not exist: nobody can take the task there`],
  ]);
});

Deno.test("a queued task that meets Kafka out of reach is sent at the next look", async () => {
  let down = true;
  const wire = sender(() => down ? new Error("Kafka is gone") : undefined);
  using r = rig({ send: wire.send });
  queue(r, "q1", `group.${G}.requests`);
  await r.requester.sendQueued();
  assert.deepEqual(r.requester.following(), ["q1"]);
  await r.requester.sendQueued();
  await r.requester.tick();
  assert.equal(wire.out.length, 0, "still down");
  assert.equal(r.timeline.groupTasks.outgoing("q1")?.status, "queued", "queued until it is sent");
  down = false;
  await r.requester.tick();
  await r.requester.tick();
  assert.deepEqual(wire.out.map((o) => [o.topic, JSON.parse(String(o.value)).payload.task_id]), [
    [`group.${G}.requests`, "q1"],
  ]);
  assert.equal(r.timeline.groupTasks.outgoing("q1")?.status, "sent");
});

Deno.test("a queued task not sent before a restart is sent by the next run", async () => {
  const down = sender(() => new Error("Kafka is gone"));
  using before = rig({ send: down.send });
  queue(before, "q1", `group.${G}.requests`);
  await before.requester.sendQueued();
  before.requester.close();
  const up = sender(() => undefined);
  const after = rig({ send: up.send }, before.timeline);
  after.requester.start();
  await after.requester.sendQueued();
  assert.deepEqual(up.out.map((o) => JSON.parse(String(o.value)).payload.task_id), ["q1"]);
  assert.equal(after.timeline.groupTasks.outgoing("q1")?.status, "sent");
  after.requester.close();
});

Deno.test("a task sent directly while Kafka is out of reach fails, and the caller is told", async () => {
  const wire = sender(() => new Error("Kafka is gone"));
  using r = rig({ send: wire.send });
  await assert.rejects(
    r.requester.send({
      type: "request",
      payload: taskPayload("r", { task_id: "d1", content: "hi" }),
      taint: "untrusted",
    }, { topic: `group.${G}.requests` }),
    /Kafka is gone/,
  );
  const stored = r.timeline.groupTasks.outgoing("d1");
  assert.deepEqual([stored?.status, stored?.reason], [
    "failed",
    "the request could not be sent: Kafka is gone",
  ]);
  assert.deepEqual(r.requester.following(), []);
});
