/**
 * The group's audit topic: a record that fails verification at a member (here a heartbeat forged
 * in another agent's name) is kept in the member's timeline and told to the group on
 * `observe.audit`, naming the agent it claimed to be and why it was dropped.
 */
import assert from "node:assert/strict";
import { GroupAudit } from "../../../../core/group/mod.ts";
import {
  agentKey as agentKeyOf,
  parseRecord,
  signRecord,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  agentHome,
  certify,
  heartbeatValue,
  makeGroup,
  startMember,
} from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";

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
      value: heartbeatValue("alice", 99),
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
