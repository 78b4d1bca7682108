import assert from "node:assert/strict";
import {
  agentConsumerGroup,
  MAX_MESSAGE_BYTES,
  skillConsumerGroup,
  sponsorsConsumerGroup,
  topicKind,
  topicsFor,
  topicSpec,
  topicSpecs,
  workersConsumerGroup,
} from "../../../../core/protocol/mod.ts";

Deno.test("state topics are compacted, with short segments and the broker's append time", () => {
  for (const name of ["announce", "control.roster", "orchestrator", "skills"]) {
    assert.deepEqual(topicSpec(`group.g1.${name}`), {
      name: `group.g1.${name}`,
      kind: "state",
      partitions: 1,
      config: {
        "max.message.bytes": "2097152",
        "cleanup.policy": "compact",
        "segment.ms": "3600000",
        "message.timestamp.type": "LogAppendTime",
      },
    });
  }
});

Deno.test("streams and work topics are deleted after their retention", () => {
  const day = 86_400_000;
  const expected: Array<[string, string, number, number]> = [
    ["group.g1.heartbeats", "stream", 3, day / 4],
    ["group.g1.requests", "work", 12, 7 * day],
    ["group.g1.skill.s.requests", "work", 12, 7 * day],
    ["group.g1.zone.lab.requests", "work", 12, 7 * day],
    ["group.g1.control.onboarding", "work", 3, 7 * day],
    ["group.g1.agent.alice.inbox", "work", 1, 7 * day],
    ["group.g1.responses", "stream", 3, 7 * day],
    ["group.g1.tasks.status", "stream", 3, 7 * day],
    ["group.g1.traces", "stream", 3, 7 * day],
    ["group.g1.observe.audit", "stream", 3, 30 * day],
    ["group.g1.memory.shared", "stream", 3, 90 * day],
    ["group.g1.memory.context", "stream", 3, day],
    ["group.g1.dead-letter", "stream", 3, 14 * day],
    ["group.g1.zone.lab.responses", "stream", 3, 7 * day],
    ["group.g1.zone.lab.tasks.status", "stream", 3, 7 * day],
    ["group.g1.zone.lab.traces", "stream", 3, 7 * day],
    ["group.g1.zone.lab.memory", "stream", 3, 90 * day],
    ["group.g1.zone.lab.dead-letter", "stream", 3, 14 * day],
  ];
  for (const [name, kind, partitions, retention] of expected) {
    const spec = topicSpec(name);
    assert.deepEqual([spec.kind, spec.partitions], [kind, partitions], name);
    assert.deepEqual(spec.config, {
      "max.message.bytes": String(MAX_MESSAGE_BYTES),
      "cleanup.policy": "delete",
      "retention.ms": String(retention),
    }, name);
  }
});

Deno.test("options set work partitions, replication and min ISR", () => {
  const options = { workPartitions: 24, replicationFactor: 3, minInsyncReplicas: 2 };
  const work = topicSpec("group.g1.requests", options);
  assert.equal(work.partitions, 24);
  assert.equal(work.replicationFactor, 3);
  assert.equal(work.config["min.insync.replicas"], "2");
  assert.equal(topicSpec("group.g1.agent.alice.inbox", options).partitions, 1);
  assert.equal("replicationFactor" in topicSpec("group.g1.requests"), false);
});

Deno.test("topicSpecs covers the group, and the skills, zones and agents asked for", () => {
  const base = topicSpecs("g1");
  assert.deepEqual(base.map((spec) => spec.name), Object.values(topicsFor("g1")));
  const all = topicSpecs("g1", {
    skills: ["s1"],
    zones: ["lab"],
    agents: ["alice"],
    workPartitions: 6,
  });
  assert.equal(all.length, base.length + 1 + 7 + 1);
  const inbox = all.find((spec) => spec.name === "group.g1.zone.lab.inbox");
  assert.equal(inbox?.partitions, 3);
  assert.ok(
    all.some((spec) => spec.name === "group.g1.skill.s1.requests" && spec.partitions === 6),
  );
  assert.ok(all.some((spec) => spec.name === "group.g1.agent.alice.inbox"));
  assert.throws(() => topicSpecs("g1", { zones: ["La b"] }), TypeError);
});

Deno.test("topicSpec refuses names that are not of this protocol", () => {
  assert.throws(
    () => topicSpec("__consumer_offsets"),
    {
      name: "TypeError",
      message: 'Cannot make a topic spec: "__consumer_offsets" is not a KafClaw topic',
    },
  );
});

Deno.test("consumer groups are named as PROTOCOL.md says", () => {
  assert.equal(agentConsumerGroup("g1", "alice"), "kafclaw.g1.alice");
  assert.equal(workersConsumerGroup("g1"), "kafclaw.g1.workers");
  assert.equal(skillConsumerGroup("g1", "web_search"), "kafclaw.g1.skill.web_search");
  assert.equal(sponsorsConsumerGroup("g1"), "kafclaw.g1.sponsors");
});

Deno.test("an agent's own consumer group can never be a shared one", () => {
  assert.throws(() => agentConsumerGroup("g1", "workers"), TypeError);
  assert.throws(() => agentConsumerGroup("g1", "sponsors"), TypeError);
  assert.throws(() => agentConsumerGroup("g1", "a.b"), TypeError);
  assert.throws(() => skillConsumerGroup("g1", "a.b"), TypeError);
  assert.throws(() => workersConsumerGroup("g.1"), TypeError);
  assert.throws(() => sponsorsConsumerGroup(""), TypeError);
});

Deno.test("topicKind tells state, stream and work topics, and nothing of other names", () => {
  assert.equal(topicKind("group.g1.skills"), "state");
  assert.equal(topicKind("group.g1.control.roster"), "state");
  assert.equal(topicKind("group.g1.zone.lab.traces"), "stream");
  assert.equal(topicKind("group.g1.agent.bob.inbox"), "work");
  assert.equal(topicKind("elsewhere"), undefined);
});
