import assert from "node:assert/strict";
import { aclBindings, aclLine, principalOf } from "../../../../core/group/mod.ts";

const lines = (agents: Parameters<typeof aclBindings>[1]) => aclBindings("g1", agents).map(aclLine);

Deno.test("a member's ACLs: its inbox to read, every inbox to write, the group's topics, skill topics to make, its own groups", () => {
  assert.deepEqual(lines([{ agentId: "alice" }]), [
    "ALLOW User:alice READ TOPIC group.g1.control.roster (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.announce (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.announce (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.orchestrator (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.orchestrator (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.skills (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.skills (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.heartbeats (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.heartbeats (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.control.onboarding (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.control.onboarding (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.requests (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.requests (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.skill. (PREFIXED)",
    "ALLOW User:alice WRITE TOPIC group.g1.skill. (PREFIXED)",
    "ALLOW User:alice CREATE TOPIC group.g1.skill. (PREFIXED)",
    "ALLOW User:alice READ TOPIC group.g1.responses (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.responses (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.tasks.status (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.tasks.status (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.traces (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.traces (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.observe.audit (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.observe.audit (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.memory.shared (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.memory.shared (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.memory.context (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.memory.context (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.dead-letter (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.dead-letter (LITERAL)",
    "ALLOW User:alice READ TOPIC group.g1.agent.alice.inbox (LITERAL)",
    "ALLOW User:alice CREATE TOPIC group.g1.agent.alice.inbox (LITERAL)",
    "ALLOW User:alice WRITE TOPIC group.g1.agent. (PREFIXED)",
    "ALLOW User:alice DESCRIBE_CONFIGS TOPIC group.g1. (PREFIXED)",
    "ALLOW User:alice READ GROUP kafclaw.g1.alice (LITERAL)",
    "ALLOW User:alice READ GROUP kafclaw.g1.alice. (PREFIXED)",
    "ALLOW User:alice DELETE GROUP kafclaw.g1.alice. (PREFIXED)",
    "ALLOW User:alice READ GROUP kafclaw.g1.workers (LITERAL)",
    "ALLOW User:alice READ GROUP kafclaw.g1.skill. (PREFIXED)",
  ]);
});

Deno.test("a member may read no other agent's inbox or own groups, nor write the roster or sponsor", () => {
  const acls = aclBindings("g1", [{ agentId: "alice" }, { agentId: "bob" }]);
  const alice = acls.filter((a) => a.principal === "User:alice");
  const reads = alice.filter((a) => a.operation === "READ").map((a) => a.resourceName);
  assert.ok(!reads.some((name) => name.includes("bob")), reads.join());
  assert.ok(!reads.includes("kafclaw.g1.sponsors"));
  // No prefix of alice's covers another id that starts the same way.
  assert.ok(alice.every((a) => a.patternType === "LITERAL" || a.resourceName.endsWith(".")));
  const roster = alice.filter((a) => a.resourceName === "group.g1.control.roster");
  assert.deepEqual(roster.map((a) => a.operation), ["READ"]);
  // The only topics a member makes are its inbox and a skill's requests, never other group topics.
  const creates = alice.filter((a) => a.operation === "CREATE").map((a) => a.resourceName);
  assert.deepEqual(creates, ["group.g1.skill.", "group.g1.agent.alice.inbox"]);
  // A member of no zone but public reads and writes no zone's topics.
  assert.ok(!alice.some((a) => a.resourceName.includes(".zone.")), "zone ACLs for no zone");
});

Deno.test("a member reads and writes the topics of its own zones only, each under a prefix that ends with a dot", () => {
  const acls = lines([{ agentId: "alice", zones: ["public", "lab", "ops", "lab"] }]);
  const zoned = acls.filter((line) => line.includes(".zone."));
  assert.deepEqual(zoned, [
    "ALLOW User:alice READ TOPIC group.g1.zone.lab. (PREFIXED)",
    "ALLOW User:alice WRITE TOPIC group.g1.zone.lab. (PREFIXED)",
    "ALLOW User:alice READ TOPIC group.g1.zone.ops. (PREFIXED)",
    "ALLOW User:alice WRITE TOPIC group.g1.zone.ops. (PREFIXED)",
    "ALLOW User:alice READ GROUP kafclaw.g1.zone.lab (LITERAL)",
    "ALLOW User:alice READ GROUP kafclaw.g1.zone.ops (LITERAL)",
  ]);
  assert.equal(acls.length, lines([{ agentId: "alice" }]).length + 6);
  const bob = aclBindings("g1", [{ agentId: "bob", zones: ["labs"] }]);
  assert.ok(!bob.some((a) => a.resourceName === "group.g1.zone.lab."), "labs is not lab");
  assert.throws(
    () => aclBindings("g1", [{ agentId: "alice", zones: ["Lab.Bad"] }]),
    /Cannot make ACLs for agent "alice": zone "Lab.Bad" is not a valid id/,
  );
});

Deno.test("the owner's agent also writes the roster, sponsors, and makes and fixes the group's topics", () => {
  const boss = lines([{ agentId: "boss", principal: "User:ops-boss", owner: true }]);
  for (
    const line of [
      "ALLOW User:ops-boss WRITE TOPIC group.g1.control.roster (LITERAL)",
      "ALLOW User:ops-boss READ GROUP kafclaw.g1.sponsors (LITERAL)",
      "ALLOW User:ops-boss CREATE TOPIC group.g1. (PREFIXED)",
      "ALLOW User:ops-boss ALTER_CONFIGS TOPIC group.g1. (PREFIXED)",
    ]
  ) assert.ok(boss.includes(line), line);
  assert.equal(boss.length, lines([{ agentId: "boss" }]).length + 4);
});

Deno.test("principals default to User:<agent id>; ids that would reach shared groups are refused", () => {
  assert.equal(principalOf("alice"), "User:alice");
  assert.equal(principalOf("alice", { alice: "User:CN=alice" }), "User:CN=alice");
  for (const id of ["skill", "zone", "reader", "owner", "Bad.Id"]) {
    assert.throws(() => aclBindings("g1", [{ agentId: id }]), /Cannot make ACLs for agent/);
  }
});
