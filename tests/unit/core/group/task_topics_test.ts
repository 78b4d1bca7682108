/**
 * Where a task's records may be read back from: the group's topics, the agent's inbox, every
 * skill's work topic, and the topics of the zones the agent is a member of (never of the others,
 * nor of `public`, which is the group's own).
 */
import assert from "node:assert/strict";
import { taskTopics, type TaskTopicsView } from "../../../../core/group/mod.ts";

const view: TaskTopicsView = {
  skills: { all: () => [{ skill: "math" }, { skill: "search" }] },
  zones: {
    zonesOf: (agentId) => agentId === "ann" ? ["public", "lab"] : ["public"],
  },
};

Deno.test("a member reads its inbox, every skill's work topic and its zones' topics", () => {
  assert.deepEqual(taskTopics("g1", "ann", view), {
    requests: [
      "group.g1.requests",
      "group.g1.agent.ann.inbox",
      "group.g1.skill.math.requests",
      "group.g1.skill.search.requests",
      "group.g1.zone.lab.requests",
      "group.g1.zone.lab.inbox",
    ],
    responses: ["group.g1.responses", "group.g1.zone.lab.responses"],
    traces: ["group.g1.traces", "group.g1.zone.lab.traces"],
    optional: [
      "group.g1.agent.ann.inbox",
      "group.g1.skill.math.requests",
      "group.g1.skill.search.requests",
      "group.g1.zone.lab.requests",
      "group.g1.zone.lab.inbox",
      "group.g1.zone.lab.responses",
      "group.g1.zone.lab.traces",
    ],
  });
});

Deno.test("an agent of no zone but public reads no zone's topics", () => {
  const topics = taskTopics("g1", "ben", view);
  assert.deepEqual(topics.responses, ["group.g1.responses"]);
  assert.deepEqual(topics.traces, ["group.g1.traces"]);
  assert.ok(!topics.requests.some((t) => t.includes(".zone.")), String(topics.requests));
});

Deno.test("a reader that never joined reads the group's and the skills' topics, no inbox", () => {
  assert.deepEqual(taskTopics("g1", undefined, view), {
    requests: [
      "group.g1.requests",
      "group.g1.skill.math.requests",
      "group.g1.skill.search.requests",
    ],
    responses: ["group.g1.responses"],
    traces: ["group.g1.traces"],
    optional: ["group.g1.skill.math.requests", "group.g1.skill.search.requests"],
  });
});
