/** The roster's rules on times given by hand, and the feed's handling of odd records. */
import assert from "node:assert/strict";
import {
  constantTimeEqual,
  matchInvite,
  Roster,
  type RosterChange,
  RosterFeed,
} from "../../../../core/group/mod.ts";
import type { InboundRecord } from "../../../../core/transport/mod.ts";
import { identityOf } from "../../../_support/group_member.ts";

const beat = (agentId: string, capacity: number, intervalMs = 1000) => ({
  agent_id: agentId,
  status: "active",
  load: { running: 0, capacity },
  skills: ["x"],
  heartbeat_interval_ms: intervalMs,
});

Deno.test("a heartbeat before the announce is held, the newest one, until the join", () => {
  const roster = new Roster();
  assert.equal(roster.heartbeat(beat("alice", 2), 2000), undefined);
  assert.equal(roster.heartbeat(beat("alice", 1), 1000), undefined); // older: not kept
  assert.equal(roster.get("alice"), undefined);
  roster.join(identityOf("alice", "k"), 500);
  assert.deepEqual(roster.get("alice")?.load, { running: 0, capacity: 2 });
  assert.equal(roster.get("alice")?.lastSeen, 2000);
});

Deno.test("a heartbeat older than what the roster has changes nothing; an unknown leave is nothing", () => {
  const roster = new Roster();
  roster.join(identityOf("alice", "k"), 1000);
  assert.deepEqual(roster.heartbeat(beat("alice", 3), 3000), { agentId: "alice", kind: "updated" });
  assert.equal(roster.heartbeat(beat("alice", 9), 2000), undefined);
  assert.equal(roster.get("alice")?.load.capacity, 3);
  assert.equal(roster.leave("nobody"), undefined);
  // A join again keeps what heartbeats said.
  roster.join(identityOf("alice", "k"), 2500);
  assert.equal(roster.get("alice")?.lastSeen, 3000);
  assert.equal(roster.get("alice")?.load.capacity, 3);
});

Deno.test("a removed member comes back with its next heartbeat; each is judged by its own interval", () => {
  const roster = new Roster();
  roster.join(identityOf("slow", "k", { intervalMs: 10_000 }), 0);
  roster.join(identityOf("fast", "k", { intervalMs: 100 }), 0);
  assert.deepEqual(roster.sweep(600), [{ agentId: "fast", kind: "removed" }]);
  assert.deepEqual(roster.sweep(30_000), [{ agentId: "slow", kind: "stale" }]);
  assert.deepEqual(roster.sweep(30_001), []); // stale stays stale until removal
  roster.heartbeat(beat("fast", 1, 100), 30_000);
  assert.equal(roster.get("fast")?.status, "active");
  assert.deepEqual(roster.members().map((m) => m.agentId), ["fast", "slow"]);
});

function record(topic: string, value: unknown, key: string | null = null): InboundRecord {
  return {
    topic,
    partition: 0,
    offset: "0",
    key,
    value: new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)),
    headers: {},
    timestamp: Date.now(),
  };
}

Deno.test("the feed skips poison, records of another type, and old heartbeats", async () => {
  const changes: RosterChange[] = [];
  const roster = new Roster();
  const feed = new RosterFeed({
    roster,
    trust: undefined,
    audit: () => assert.fail("nothing is verified in an open group"),
    changed: (c) => changes.push(c),
    now: () => Date.now(),
  });
  const poison = await feed.onAnnounce(record("group.f.announce", "{"));
  assert.ok(poison && "poison" in poison);
  const audit = {
    type: "audit",
    correlation_id: "a-1",
    sender_id: "alice",
    timestamp: new Date().toISOString(),
    payload: { event_type: "poison_record", detail: "y", agent_id: "alice" },
  };
  // A type that does not go on the topic is poison too.
  const wrong = await feed.onAnnounce(record("group.f.announce", audit, "agent:alice"));
  assert.ok(wrong && "poison" in wrong);
  const old = { ...record("group.f.heartbeats", "{"), timestamp: Date.now() - 600_000 };
  assert.equal(await feed.onHeartbeat(old), undefined);
  assert.deepEqual(changes, []);
  // In an open group, roster records count whoever sends them.
  const revocation = {
    type: "roster",
    correlation_id: "r-1",
    sender_id: "alice",
    timestamp: new Date().toISOString(),
    payload: { agent_id: "bob", revoked: true, reason: "r" },
  };
  roster.join(identityOf("bob", "k"), Date.now());
  await feed.onRoster(record("group.f.control.roster", revocation, "cert:bob"));
  assert.deepEqual(changes, [{ agentId: "bob", kind: "left" }]);
  const certificate = { ...revocation, payload: { agent_id: "bob", cert: "YQ", cert_sig: "YQ" } };
  assert.equal(
    await feed.onRoster(record("group.f.control.roster", certificate, "cert:bob")),
    undefined,
  );
});

Deno.test("constant-time comparison and invite matching refuse what differs, in any length", async () => {
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 0]), new Uint8Array([1, 2])), false);
  const parts = { challenge: "c", requesterId: "bob", publicKey: "k", sponsorId: "boss" };
  assert.equal(await matchInvite("not base64url!", [{ secret: "s" }], parts), undefined);
});

Deno.test("a fetched batch of state records starts its signature checks together, old heartbeats left out", async () => {
  const ahead: string[][] = [];
  const trust = {
    verifyAhead: (records: readonly InboundRecord[]) => {
      ahead.push(records.map((r) => `${r.topic}@${r.offset}`));
      return Promise.resolve();
    },
    certifiedZones: () => [],
  };
  const feed = new RosterFeed({
    roster: new Roster(),
    trust: trust as unknown as ConstructorParameters<typeof RosterFeed>[0]["trust"],
    audit: () => {},
    changed: () => {},
    now: () => Date.now(),
  });
  const at = (topic: string, offset: string, timestamp = Date.now()) => ({
    ...record(topic, "{}"),
    offset,
    timestamp,
  });
  await feed.onRoster.prepare!([
    at("group.f.control.roster", "0"),
    at("group.f.control.roster", "1"),
  ]);
  await feed.onHeartbeat.prepare!([
    at("group.f.heartbeats", "7", Date.now() - 600_000),
    at("group.f.heartbeats", "8"),
  ]);
  assert.deepEqual(ahead, [
    ["group.f.control.roster@0", "group.f.control.roster@1"],
    ["group.f.heartbeats@8"],
  ]);
});
