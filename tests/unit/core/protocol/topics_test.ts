import assert from "node:assert/strict";
import {
  agentConsumerGroup,
  agentInbox,
  deadLetterTopicFor,
  GROUP_TOPICS,
  isAgentId,
  isGroupId,
  isId,
  isLegalTopicName,
  isMemberId,
  parseTopic,
  RESERVED_AGENT_IDS,
  SHARED_GROUP_WORDS,
  skillRequests,
  type TopicInfo,
  topicsFor,
  topicZone,
  ZONE_TOPIC_KINDS,
  zoneTopic,
  type ZoneTopicKind,
} from "../../../../core/protocol/mod.ts";

Deno.test("topicsFor names every group-wide topic of PROTOCOL.md", () => {
  assert.deepEqual(topicsFor("g1"), {
    announce: "group.g1.announce",
    roster: "group.g1.control.roster",
    onboarding: "group.g1.control.onboarding",
    heartbeats: "group.g1.heartbeats",
    requests: "group.g1.requests",
    responses: "group.g1.responses",
    tasksStatus: "group.g1.tasks.status",
    traces: "group.g1.traces",
    audit: "group.g1.observe.audit",
    memoryShared: "group.g1.memory.shared",
    memoryContext: "group.g1.memory.context",
    orchestrator: "group.g1.orchestrator",
    skills: "group.g1.skills",
    deadLetter: "group.g1.dead-letter",
  });
});

Deno.test("skill, inbox and zone topics are built from their ids", () => {
  assert.equal(skillRequests("g1", "web_search"), "group.g1.skill.web_search.requests");
  assert.equal(agentInbox("g1", "alice"), "group.g1.agent.alice.inbox");
  assert.equal(zoneTopic("g1", "lab", "tasks.status"), "group.g1.zone.lab.tasks.status");
  assert.equal(zoneTopic("g1", "lab", "dead-letter"), "group.g1.zone.lab.dead-letter");
});

Deno.test("a name built from input cannot smuggle a dot or another character", () => {
  const bad = ["", "a.b", "g1.requests", "A", "a b", "a/b", "-a", "_a", "ä", "a\n", "x".repeat(65)];
  for (const id of bad) {
    assert.throws(() => topicsFor(id), TypeError, JSON.stringify(id));
    assert.throws(() => skillRequests("g1", id), TypeError, JSON.stringify(id));
    assert.throws(() => agentInbox("g1", id), TypeError, JSON.stringify(id));
    assert.throws(() => zoneTopic("g1", id, "requests"), TypeError, JSON.stringify(id));
  }
  assert.throws(() => zoneTopic("g1", "lab", "requests.x" as ZoneTopicKind), TypeError);
  assert.throws(
    () => agentInbox("g1", "agent.bob"),
    { name: "TypeError", message: 'Cannot build a topic name: agent id "agent.bob" is not valid' },
  );
});

Deno.test("group ids have no underscore, so topic names cannot collide in Kafka's metrics", () => {
  assert.equal(isGroupId("g-1"), true);
  assert.equal(isGroupId("g_skill_x"), false);
  assert.throws(() => topicsFor("g_skill_x"), TypeError);
  assert.equal(isId("web_search"), true);
});

Deno.test("reserved ids are no agent's", () => {
  assert.deepEqual([...RESERVED_AGENT_IDS], ["owner", "workers", "sponsors"]);
  for (const id of RESERVED_AGENT_IDS) {
    assert.equal(isAgentId(id), false);
    assert.equal(isId(id), true);
    assert.throws(() => agentInbox("g1", id), TypeError);
  }
  assert.equal(isAgentId("x".repeat(64)), true);
});

Deno.test("the words that begin the names of shared consumer groups are no member's id", () => {
  assert.deepEqual([...SHARED_GROUP_WORDS], ["workers", "sponsors", "skill", "zone", "reader"]);
  for (const word of SHARED_GROUP_WORDS) {
    assert.equal(isMemberId(word), false, word);
    assert.throws(() => agentConsumerGroup("g1", word), TypeError);
  }
  assert.equal(isMemberId("skills"), true);
  assert.equal(agentConsumerGroup("g1", "zoe"), "kafclaw.g1.zoe");
  // Another agent's records under such an id are still read as the protocol says.
  assert.equal(isAgentId("zone"), true);
});

Deno.test("the longest names stay within Kafka's 249 characters", () => {
  const id = "x".repeat(64);
  for (const kind of ZONE_TOPIC_KINDS) assert.ok(isLegalTopicName(zoneTopic(id, id, kind)));
  assert.ok(isLegalTopicName(skillRequests(id, id)));
  assert.ok(isLegalTopicName(agentInbox(id, id)));
  for (const name of Object.values(topicsFor(id))) assert.ok(isLegalTopicName(name));
});

Deno.test("parseTopic reads every topic name back", () => {
  const names: Array<[string, TopicInfo]> = [
    ["group.g1.skill.web_search.requests", {
      group: "g1",
      role: "skillRequests",
      skill: "web_search",
    }],
    ["group.g1.agent.alice.inbox", { group: "g1", role: "inbox", agent: "alice" }],
    ["group.g1.zone.lab.tasks.status", {
      group: "g1",
      role: "zone",
      zone: "lab",
      kind: "tasks.status",
    }],
    ["group.g1.zone.lab.memory", { group: "g1", role: "zone", zone: "lab", kind: "memory" }],
    ["group.g1.zone.lab.inbox", { group: "g1", role: "zone", zone: "lab", kind: "inbox" }],
  ];
  for (const [role, suffix] of Object.entries(GROUP_TOPICS)) {
    names.push([`group.g-2.${suffix}`, { group: "g-2", role } as TopicInfo]);
  }
  for (const [name, info] of names) assert.deepEqual(parseTopic(name), info, name);
});

Deno.test("topicZone names the zone of a zone's own topic, and none of any other", () => {
  assert.equal(topicZone("group.g1.zone.lab.traces"), "lab");
  assert.equal(topicZone("group.g1.zone.lab.inbox"), "lab");
  for (const name of ["group.g1.traces", "group.g1.agent.lab.inbox", "group.g1.zone.Lab.traces"]) {
    assert.equal(topicZone(name), undefined, name);
  }
});

Deno.test("parseTopic refuses names that are not of this protocol", () => {
  for (
    const name of [
      "requests",
      "group.g1",
      "group.g1.",
      "group.G1.requests",
      "group.g_1.requests",
      "group.g1.unknown",
      "group.g1.skill.Web.requests",
      "group.g1.skill.a.b.requests",
      "group.g1.skill.x.responses",
      "group.g1.agent.owner.inbox",
      "group.g1.agent.a.b.inbox",
      "group.g1.zone.lab.unknown",
      "group.g1.zone.Lab.requests",
      "group.g1.zone.lab.memory.shared",
      "other.g1.requests",
    ]
  ) {
    assert.equal(parseTopic(name), undefined, name);
  }
});

Deno.test("dead letters go to the zone's dead-letter topic for zone records, the group's otherwise", () => {
  assert.equal(deadLetterTopicFor("group.g1.requests"), "group.g1.dead-letter");
  assert.equal(deadLetterTopicFor("group.g1.skill.s.requests"), "group.g1.dead-letter");
  assert.equal(deadLetterTopicFor("group.g1.zone.lab.requests"), "group.g1.zone.lab.dead-letter");
  assert.equal(deadLetterTopicFor("elsewhere"), undefined);
});

Deno.test("isLegalTopicName follows Kafka's rule", () => {
  for (const name of ["a", "A.b_c-d", "x".repeat(249)]) {
    assert.equal(isLegalTopicName(name), true, name);
  }
  for (const name of ["", ".", "..", "x".repeat(250), "a b", "a\nb", "a:b", "ä"]) {
    assert.equal(isLegalTopicName(name), false, JSON.stringify(name));
  }
});

Deno.test("topicsFor makes a group's names once, and they cannot be changed", () => {
  const first = topicsFor("g-kept");
  assert.equal(topicsFor("g-kept"), first);
  assert.ok(Object.isFrozen(first));
  // However many groups a process names, each gets its own names.
  for (let i = 0; i < 200; i++) assert.equal(topicsFor(`g${i}`).requests, `group.g${i}.requests`);
  assert.equal(topicsFor("g-kept").requests, "group.g-kept.requests");
});
