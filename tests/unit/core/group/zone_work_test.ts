/**
 * Work derived from a zone stays in it (PROTOCOL.md semantics 9): a sub-task of a zone's turn goes
 * to the zone's requests topic (a skill's too) or to a named member through the zone's inbox,
 * never to an agent outside; a zone task declined moves on only to a member, through the zone's
 * inbox, and to nobody when the requester does not know the zone; its grants go to the zone's
 * topics only; a request for a topic outside the task's place is refused before it is sent.
 */
import assert from "node:assert/strict";
import {
  GroupDelegation,
  LiveWorkerSet,
  ZoneDirectory,
  zoneRecord,
} from "../../../../core/group/mod.ts";
import { type EnvelopeOf, parseRecord } from "../../../../core/protocol/mod.ts";
import type { ToolContext } from "../../../../core/tools/mod.ts";
import { G, load, record, rig, said, status } from "../../../_support/requester_rig.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { testContext } from "../tools/_context.ts";
import { LAB_ZONE } from "./_records.ts";

/** Zone lab of ann, with `members`. */
function labWith(members: string[]): ZoneDirectory {
  const zones = new ZoneDirectory();
  const parsed = parseRecord({
    ...zoneRecord(G, "ann", { ...LAB_ZONE, members }),
    partition: 0,
    offset: 0,
  });
  assert.ok(parsed.ok);
  zones.apply(parsed.envelope as EnvelopeOf<"orchestrator">, "ann");
  return zones;
}

Deno.test("a zone's turn delegates into the zone: a skill's task to its requests, a member by name, nobody outside", async () => {
  const sent: string[] = [];
  const delegation = new GroupDelegation({
    agentId: "me",
    group: G,
    workers: new LiveWorkerSet([{ agentId: "b", skills: ["sql"], load }]),
    requester: {
      send: (
        request,
        to,
      ) => (sent.push(`${request.type}>${to.topic}@${to.zone}`),
        Promise.resolve(String(request.payload.task_id))),
      answer: () => new Promise(() => {}),
    },
    taskOf: () => undefined,
    zones: labWith(["me", "b"]),
    skillTopic: () => Promise.reject(new Error("no skill topic is made for a zone's task")),
  });
  const inLab: ToolContext = { ...testContext(), scope: { zone: "lab", zones: ["public", "lab"] } };
  await delegation.delegate({ task: "rows?", to: { skill: "sql" }, waitMs: 0 }, inLab);
  await delegation.delegate({ task: "rows?", to: { agent: "b" }, waitMs: 0 }, inLab);
  await assert.rejects(
    delegation.delegate({ task: "rows?", to: { agent: "cy" }, waitMs: 0 }, inLab),
    /^Error: Cannot delegate work of zone "lab" to "cy": it is not a member of the zone$/,
  );
  assert.deepEqual(sent, [
    `skill_request>group.${G}.zone.lab.requests@lab`,
    `request>group.${G}.zone.lab.inbox@lab`,
  ]);
});

Deno.test("without the group's zones, a zone's turn delegates to no agent by name", async () => {
  const delegation = new GroupDelegation({
    agentId: "me",
    group: G,
    workers: new LiveWorkerSet([{ agentId: "b", skills: [], load }]),
    requester: {
      send: () => Promise.reject(new Error("nothing is sent")),
      answer: () => new Promise(() => {}),
    },
    taskOf: () => undefined,
    skillTopic: () => Promise.reject(new Error("no skill topic")),
  });
  const inLab: ToolContext = { ...testContext(), scope: { zone: "lab", zones: ["public", "lab"] } };
  await assert.rejects(
    delegation.delegate({ task: "rows?", to: { agent: "b" }, waitMs: 0 }, inLab),
    /^Error: Cannot delegate work of zone "lab" to "b": it is not a member of the zone$/,
  );
});

Deno.test("a zone's task declined moves on to a member through the zone's inbox only, and to nobody without the zones", async () => {
  const deadline = "2026-12-04T12:01:00.000Z";
  const sendLab = (r: ReturnType<typeof rig>) =>
    r.requester.send({
      type: "request",
      payload: taskPayload("r", { task_id: "t1", content: "x", deadline_at: deadline }),
      taint: "untrusted",
    }, { topic: `group.${G}.zone.lab.requests`, zone: "lab" });
  {
    // Of the live workers a and b, only b is in lab.
    using r = rig({ zones: labWith(["r", "b"]) });
    await sendLab(r);
    await r.requester.handleStatus(status("a", "declined"));
    assert.deepEqual(said(r).slice(1), [`request@2>group.${G}.zone.lab.inbox`]);
    assert.equal(r.sent.at(-1)!.envelope.payload.target_id, "b");
    // b's claim of attempt 2 is granted on lab's status stream and in lab's inbox, nowhere else.
    await r.requester.handleStatus(status("b", "claimed", 2));
    const grants = r.sent.filter((s) => s.envelope.payload.status === "assigned");
    assert.deepEqual(grants.map((g) => g.topic), [
      `group.${G}.zone.lab.tasks.status`,
      `group.${G}.zone.lab.inbox`,
    ]);
    await r.requester.handleStatus(status("b", "declined", 2));
    assert.deepEqual(said(r).slice(2), []);
    assert.deepEqual(r.sent.filter((s) => !s.topic.startsWith(`group.${G}.zone.lab.`)), []);
  }
  {
    using r = rig();
    await sendLab(r);
    await r.requester.handleStatus(status("a", "declined"));
    assert.deepEqual(said(r).slice(1), []);
  }
});

Deno.test("a requester refuses to send a zone's task to a topic outside the zone, and a group task into a zone", async () => {
  using r = rig({ zones: labWith(["r", "b"]) });
  const payload = (id: string) => taskPayload("r", { task_id: id, content: "x" });
  await assert.rejects(
    r.requester.send({ type: "request", payload: payload("t1"), taint: "trusted" }, {
      topic: `group.${G}.agent.b.inbox`,
      zone: "lab",
    }),
    /^Error: Cannot send a task of zone "lab" to group\.g1\.agent\.b\.inbox: it is not a topic of its place$/,
  );
  await assert.rejects(
    r.requester.send({ type: "request", payload: payload("t2"), taint: "trusted" }, {
      topic: `group.${G}.zone.lab.requests`,
    }),
    /^Error: Cannot send a task of group "g1" to group\.g1\.zone\.lab\.requests/,
  );
  assert.deepEqual(r.sent, []);
});

Deno.test("a queued zone task whose topic is outside its zone fails with the reason, and nothing is sent", async () => {
  using r = rig({ zones: labWith(["r", "b"]) });
  const request = taskPayload("r", { task_id: "tq", content: "x" });
  r.timeline.groupTasks.addOutgoing({
    taskId: "tq",
    type: "request",
    request,
    taint: "trusted",
    topic: `group.${G}.requests`,
    zone: "lab",
    status: "queued",
  });
  await r.requester.sendQueued();
  const task = r.timeline.groupTasks.outgoing("tq")!;
  assert.equal(task.status, "failed");
  assert.equal(
    task.reason,
    `Cannot send a task of zone "lab" to group.${G}.requests: it is not a topic of its place`,
  );
  assert.deepEqual(r.sent, []);
});

Deno.test("a zone task whose lease lapsed moves on to another member through the zone's inbox", async () => {
  using r = rig({ zones: labWith(["r", "a", "b"]) });
  const labStatus = `group.${G}.zone.lab.tasks.status`;
  await r.requester.send({
    type: "request",
    payload: taskPayload("r", {
      task_id: "t1",
      content: "x",
      deadline_at: new Date(r.clock.t + 60_000).toISOString(),
    }),
    taint: "untrusted",
  }, { topic: `group.${G}.zone.lab.requests`, zone: "lab" });
  await r.requester.handleStatus(status("a", "claimed"));
  const grant = r.sent.find((s) => s.topic === labStatus)!.envelope;
  // The grant came back on lab's status stream; then a is silent past the lease.
  await r.requester.handleStatus(record(labStatus, grant));
  r.clock.t += 5001;
  await r.requester.tick();
  assert.deepEqual(r.audits.map((a) => a.event), ["lease_lapsed"]);
  const retry = r.sent.at(-1)!;
  assert.equal(retry.topic, `group.${G}.zone.lab.inbox`);
  assert.deepEqual([retry.envelope.payload.target_id, retry.envelope.payload.attempt], ["b", 2]);
  assert.deepEqual(r.sent.filter((s) => !s.topic.startsWith(`group.${G}.zone.lab.`)), []);
});
