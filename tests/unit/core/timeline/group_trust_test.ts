/** The roster, certificate cache and invites of group membership, as SQLite keeps them. */
import assert from "node:assert/strict";
import type { StoredMember } from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

const alice: StoredMember = {
  agentId: "alice",
  agentName: "Alice",
  model: "openai/gpt-test",
  role: "worker",
  publicKey: "k",
  capabilities: ["read_file"],
  skills: ["sql"],
  zones: ["public"],
  status: "active",
  heartbeatIntervalMs: 10_000,
  joinedAt: new Date("2026-11-25T09:00:00.000Z"),
  lastSeen: new Date("2026-11-25T09:59:00.000Z"),
  load: { running: 1, capacity: 4 },
  expertise: { sql: 0.5 },
};

Deno.test("the roster keeps each member's identity, load and expertise, replaced on update", async () => {
  await using t = await tempTimeline();
  const { members } = t.timeline;
  members.put(alice);
  members.put({ ...alice, agentId: "bob", role: undefined });
  members.put({ ...alice, status: "stale", load: { running: 0, capacity: 4 } });
  assert.deepEqual(members.list(), [
    { ...alice, status: "stale", load: { running: 0, capacity: 4 } },
    { ...alice, agentId: "bob", role: undefined },
  ]);
  assert.equal(members.remove("bob"), true);
  assert.equal(members.remove("bob"), false);
  members.clear();
  assert.deepEqual(members.list(), []);
});

Deno.test("a revocation replaces a cached certificate, and a certificate a revocation", async () => {
  await using t = await tempTimeline();
  const { certificates } = t.timeline;
  certificates.put({ agentId: "alice", revoked: false, cert: "c", certSig: "s" });
  certificates.put({ agentId: "bob", revoked: true, reason: "key lost" });
  assert.deepEqual(certificates.list(), [
    { agentId: "alice", revoked: false, cert: "c", certSig: "s" },
    { agentId: "bob", revoked: true, reason: "key lost" },
  ]);
  certificates.put({ agentId: "alice", revoked: true, reason: "left" });
  certificates.put({ agentId: "bob", revoked: false, cert: "c2", certSig: "s2" });
  assert.deepEqual(certificates.list(), [
    { agentId: "alice", revoked: true, reason: "left" },
    { agentId: "bob", revoked: false, cert: "c2", certSig: "s2" },
  ]);
});

Deno.test("an invite is usable until it expires or is used, and is used once", async () => {
  await using t = await tempTimeline();
  const { invites } = t.timeline;
  const now = t.clock.now();
  const hour = new Date(now.getTime() + 3_600_000);
  invites.add({ id: "i1", group: "g1", secret: "s1", expiresAt: hour });
  invites.add({ id: "i2", group: "g1", secret: "s2", expiresAt: now });
  invites.add({ id: "i3", group: "g2", secret: "s3", expiresAt: hour });
  assert.deepEqual(invites.usable("g1", now).map((i) => i.id), ["i1"]);
  assert.equal(invites.use("i1", "bob"), true);
  assert.equal(invites.use("i1", "carol"), false);
  assert.deepEqual(invites.usable("g1", now), []);
  const [first] = invites.list("g1").filter((i) => i.id === "i1");
  assert.equal(first?.usedBy, "bob");
  assert.deepEqual(first?.usedAt, now);
  assert.deepEqual(first?.createdAt, now);
  assert.equal(invites.list("g1").find((i) => i.id === "i2")?.usedAt, undefined);
});
