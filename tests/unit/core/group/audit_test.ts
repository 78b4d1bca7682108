/**
 * The group's audit topic: a record that fails verification at a member (here a heartbeat forged
 * in another agent's name) is kept in the member's timeline and told to the group on
 * `observe.audit`, naming the agent it claimed to be and why it was dropped.
 */
import assert from "node:assert/strict";
import { AUDIT_WAITING, GroupAudit, MembershipClosed } from "../../../../core/group/mod.ts";
import {
  agentKey as agentKeyOf,
  parseRecord,
  signRecord,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { agentHome, certify, makeGroup, startMember } from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

/** The audit payloads on the group's audit topic so far, with their sender. */
function auditsOn(transport: MemoryTransport, group: string): Record<string, unknown>[] {
  const log = transport.broker.topics.get(topicsFor(group).audit)?.log.flat() ?? [];
  return log.flatMap((record) => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "audit") return [];
    const payload: Record<string, unknown> = parsed.envelope.payload;
    return [{ sender: parsed.envelope.sender_id, ...payload }];
  });
}

Deno.test("a forged record dropped by a member shows up on the group's audit topic", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "au1");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using malloryHome = await agentHome("mallory");
  const late: { audit?: GroupAudit } = {};
  const boss = await startMember(transport, g, g.owner, g.init.certificate, {
    onDropped: (dropped) => late.audit?.dropped(dropped),
  });
  late.audit = new GroupAudit({ agentId: "boss", group: "au1", send: (r) => boss.send(r) });
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  const mallory = await startMember(
    transport,
    g,
    malloryHome,
    await certify(transport, g, malloryHome),
  );
  try {
    await waitFor(() => boss.get("mallory") !== undefined, "mallory at boss");
    // Mallory signs a heartbeat in alice's name with its own key.
    const forged = {
      topic: topicsFor("au1").heartbeats,
      key: agentKeyOf("alice"),
      value: heartbeatJson("alice", { capacity: 99 }),
    };
    const headers = await signRecord(forged, {
      keyId: "alice",
      privateKey: malloryHome.key.privateKey,
    });
    await transport.produce([{ ...forged, headers }]);
    await waitFor(() => auditsOn(transport, "au1").length > 0, "an audit record", {
      state: () => auditsOn(transport, "au1"),
    });
    const [audit] = auditsOn(transport, "au1");
    assert.equal(audit?.sender, "boss");
    assert.equal(audit?.event_type, "signature_invalid");
    assert.equal(audit?.agent_id, "alice");
    assert.equal(audit?.code, "bad_signature");
    assert.equal(audit?.topic, "group.au1.heartbeats");
    assert.match(String(audit?.detail), /^dropped a record on group\.au1\.heartbeats: /);
    // The member's own record of it stays where it was (its timeline).
    const kept = g.owner.timeline.events.list({ kind: "GROUP" }).items;
    assert.equal(kept.filter((e) => e.metadata.event_type === "signature_invalid").length, 1);
  } finally {
    await mallory.leave();
    await alice.leave();
    await boss.leave();
  }
});

Deno.test("an audit about the owner names the auditor as agent and the owner apart", async () => {
  const transport = new MemoryTransport();
  const sent: string[] = [];
  const audit = new GroupAudit({
    agentId: "boss",
    group: "au2",
    send: (records) => {
      sent.push(...records.map((r) => String(r.value)));
      return Promise.resolve();
    },
  });
  audit.publish({ eventType: "signature_invalid", agentId: "owner", detail: "bad", code: "x" });
  const parsed = parseRecord({ topic: topicsFor("au2").audit, key: "agent:boss", value: sent[0]! });
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
  assert.equal(parsed.envelope.type, "audit");
  const payload = parsed.envelope.payload as Record<string, unknown>;
  assert.equal(payload.agent_id, "boss");
  assert.equal(payload.claimed_sender, "owner");
  await transport.close();
});

/** A GroupAudit of agent "ann" in group "au3" keeping a timeline, with the payloads it sent. */
function auditor(send?: () => Promise<void>, warn?: (message: string) => void) {
  const timeline = Timeline.open(":memory:");
  const sent: Record<string, unknown>[] = [];
  const audit = new GroupAudit({
    agentId: "ann",
    group: "au3",
    events: timeline.events,
    send: send ?? ((records) => {
      for (const record of records) {
        assert.equal(record.topic, topicsFor("au3").audit);
        assert.equal(record.key, "agent:ann");
        const parsed = parseRecord({ ...record, key: record.key ?? null });
        assert.ok(parsed.ok && parsed.envelope.type === "audit");
        const { payload, correlation_id, timestamp } = parsed.envelope;
        sent.push({ correlation_id, timestamp, ...payload });
      }
      return Promise.resolve();
    }),
    ...(warn ? { warn } : {}),
    now: () => new Date("2026-12-04T10:00:00Z"),
  });
  return { audit, sent, timeline, [Symbol.dispose]: () => timeline.close() };
}

Deno.test("a rejected task is kept in the auditor's timeline and told to the group with why, where and which task", () => {
  using a = auditor();
  a.audit.record({
    eventType: "policy_decision",
    decision: "task_rejected",
    agentId: "ben",
    detail: "delegation depth 3 reached",
    code: "depth",
    topic: "group.au3.requests",
    taskId: "t-1",
  });
  a.audit.record({ eventType: "skill_registered", detail: "offers summarize" });
  assert.deepEqual(a.sent, [{
    correlation_id: "t-1",
    timestamp: "2026-12-04T10:00:00.000Z",
    event_type: "policy_decision",
    decision: "task_rejected",
    detail: "delegation depth 3 reached",
    agent_id: "ben",
    code: "depth",
    topic: "group.au3.requests",
    task_id: "t-1",
  }, {
    correlation_id: a.sent[1]!.correlation_id,
    timestamp: "2026-12-04T10:00:00.000Z",
    event_type: "skill_registered",
    detail: "offers summarize",
    agent_id: "ann",
  }]);
  assert.match(String(a.sent[1]!.correlation_id), /^audit-[0-9a-f-]{36}$/);
  const kept = a.timeline.events.list({ kind: "GROUP" }).items.toReversed();
  assert.deepEqual(kept.map((e) => [e.sender, e.contentText, e.metadata]), [
    ["ben", "task t-1: delegation depth 3 reached", {
      event_type: "task_rejected",
      code: "depth",
      topic: "group.au3.requests",
      task_id: "t-1",
    }],
    ["ann", "offers summarize", { event_type: "skill_registered" }],
  ]);
});

Deno.test("a requester's lapsed lease and dropped response, and a replayed or uncertified record, are audited by their kind", () => {
  using a = auditor();
  a.audit.requester({ event: "lease_lapsed", taskId: "t-2", detail: "ben went silent" });
  a.audit.requester({ event: "response_dropped", taskId: "t-2", detail: "a second answer" });
  a.audit.dropped({
    eventType: "replay_dropped",
    code: "replay",
    agentId: "cy",
    topic: "group.au3.responses",
    detail: "seen before",
  });
  a.audit.dropped({
    eventType: "certificate_missing",
    code: "parked",
    agentId: "dee",
    topic: "group.au3.requests",
    detail: 'the certificate of "dee" did not arrive in time',
  });
  assert.deepEqual(
    a.sent.map((p) => [p.event_type, p.decision, p.agent_id, p.code, p.task_id]),
    [
      ["lease_lapsed", undefined, "ann", undefined, "t-2"],
      ["policy_decision", "response_dropped", "ann", undefined, "t-2"],
      ["replay_dropped", undefined, "cy", "replay", undefined],
      ["signature_invalid", undefined, "dee", "parked", undefined],
    ],
  );
  assert.equal(a.sent[2]!.detail, "dropped a record on group.au3.responses: seen before");
  // The requester's events are the auditor's own; dropped records the membership keeps itself.
  const kept = a.timeline.events.list({ kind: "GROUP" }).items.map((e) => e.metadata.event_type);
  assert.deepEqual(kept.toSorted(), ["lease_lapsed", "response_dropped"]);
});

Deno.test("an audit record the broker refuses is told to warn and never fails the work that caused it", async () => {
  const warned: string[] = [];
  const refuse = () => Promise.reject(new Error("broker down"));
  using a = auditor(refuse, (message) => warned.push(message));
  a.audit.record({ eventType: "poison_record", detail: "not JSON" });
  using quiet = auditor(refuse);
  quiet.audit.publish({ eventType: "poison_record", detail: "not JSON" });
  await waitFor(() => warned.length === 1, "the warning");
  assert.deepEqual(warned, ["Cannot send an audit record: broker down"]);
  assert.equal(a.timeline.events.list({ kind: "GROUP" }).items.length, 1, "kept all the same");
});

Deno.test("an audit record that comes after the agent left its group (or was revoked) is kept here, and not warned about", async () => {
  const warned: string[] = [];
  let tried = 0;
  const left = () => (tried++, Promise.reject(new MembershipClosed("ann has left group au3")));
  using a = auditor(left, (message) => warned.push(message));
  a.audit.record({ eventType: "signature_invalid", detail: "its own heartbeat, now revoked" });
  await waitFor(() => tried === 1, "the send tried");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(warned, []);
  assert.equal(a.timeline.events.list({ kind: "GROUP" }).items.length, 1, "kept here");
});

Deno.test("a poison record is audited with its topic, partition, offset and reason, and nothing of its value", () => {
  using a = auditor();
  a.audit.poison({
    topic: "group.au3.requests",
    key: "t-7",
    value: new TextEncoder().encode('{"content":"sk-live-secret"'),
    headers: {},
    partition: 2,
    offset: "41",
    timestamp: Date.now(),
  }, "the value is not valid JSON");
  const [told] = a.sent;
  assert.deepEqual({ ...told, correlation_id: undefined }, {
    correlation_id: undefined,
    timestamp: "2026-12-04T10:00:00.000Z",
    event_type: "poison_record",
    detail: "poison record at group.au3.requests@2:41: the value is not valid JSON",
    agent_id: "ann",
    code: "poison",
    topic: "group.au3.requests",
    partition: 2,
    offset: "41",
  });
  const [kept] = a.timeline.events.list({ kind: "GROUP" }).items;
  assert.deepEqual(kept?.metadata, {
    event_type: "poison_record",
    code: "poison",
    topic: "group.au3.requests",
    partition: 2,
    offset: "41",
  });
  assert.ok(!JSON.stringify([a.sent, kept]).includes("sk-live-secret"));
});

Deno.test("events audited before the audit opens are kept at once and sent when it opens, in order", () => {
  const timeline = Timeline.open(":memory:");
  const warned: string[] = [];
  const sent: string[] = [];
  const audit = new GroupAudit({
    agentId: "ann",
    group: "au5",
    events: timeline.events,
    warn: (message) => warned.push(message),
  });
  try {
    audit.dropped({
      eventType: "signature_invalid",
      code: "bad_signature",
      agentId: "cy",
      topic: "group.au5.announce",
      detail: "forged",
    });
    audit.rejected("zed", "the invite was used before");
    for (let i = 0; i < AUDIT_WAITING; i++) {
      audit.record({ eventType: "poison_record", detail: `poison ${i}` });
    }
    // Nothing can go out yet; the timeline has what the audit itself records, all of it.
    assert.equal(timeline.events.list({ kind: "GROUP", limit: 500 }).items.length, AUDIT_WAITING);
    audit.open((records) => {
      for (const r of records) sent.push(JSON.parse(String(r.value)).payload.detail);
      return Promise.resolve();
    });
    assert.deepEqual(sent.slice(0, 3), [
      "dropped a record on group.au5.announce: forged",
      "refused to onboard zed: the invite was used before",
      "poison 0",
    ]);
    assert.equal(sent.length, AUDIT_WAITING, "the first ones waited; the rest are kept only");
    assert.deepEqual(warned, [
      `2 audit event(s) before the group was joined are in the timeline only (at most ${AUDIT_WAITING} wait to be sent)`,
    ]);
    // Once open, each goes at once.
    audit.record({ eventType: "poison_record", detail: "after" });
    assert.equal(sent.at(-1), "after");
    assert.equal(warned.length, 1);
  } finally {
    timeline.close();
  }
});

Deno.test("a batch that could not be decoded is audited with its offset range and why", () => {
  using a = auditor();
  a.audit.undecodable({
    topic: "group.au3.requests",
    partition: 1,
    firstOffset: "10",
    lastOffset: "14",
    reason: "Cannot decompress a zstd batch",
  });
  assert.deepEqual({ ...a.sent[0], correlation_id: undefined }, {
    correlation_id: undefined,
    timestamp: "2026-12-04T10:00:00.000Z",
    event_type: "poison_record",
    detail: "undecodable batch at group.au3.requests@1:10-14: Cannot decompress a zstd batch",
    agent_id: "ann",
    code: "undecodable_batch",
    topic: "group.au3.requests",
    partition: 1,
    offset: "10",
    last_offset: "14",
  });
  const [kept] = a.timeline.events.list({ kind: "GROUP" }).items;
  assert.equal(kept?.metadata.last_offset, "14");
});

Deno.test("an event the timeline cannot keep still reaches the group, and warn says so", () => {
  const warned: string[] = [];
  const sent: unknown[] = [];
  const audit = new GroupAudit({
    agentId: "ann",
    group: "au6",
    events: { record: () => assert.fail("disk full") },
    send: (records) => {
      sent.push(...records);
      return Promise.resolve();
    },
    warn: (message) => warned.push(message),
  });
  audit.record({ eventType: "poison_record", detail: "not JSON" });
  assert.equal(sent.length, 1);
  assert.deepEqual(warned, ["Cannot keep an audit event: disk full"]);
});
