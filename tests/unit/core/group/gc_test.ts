import assert from "node:assert/strict";
import { formatDuration, planGc, runGc, type Sighting } from "../../../../core/group/mod.ts";

const NOW = Date.parse("2026-12-04T12:00:00Z");
const MIN = 60_000;
const HOUR = 60 * MIN;

function sighting(agentId: string, more: Partial<Sighting> = {}): [string, Sighting] {
  return [agentId, {
    agentId,
    certified: true,
    revoked: false,
    heartbeatIntervalMs: 10_000,
    ...more,
  }];
}

const inbox = (id: string) => `group.g1.agent.${id}.inbox`;

function plan(agents: [string, Sighting][], groups: [string, number][], more = {}) {
  const ids = agents.map(([id]) => id);
  return planGc({
    group: "g1",
    olderThanMs: HOUR,
    now: NOW,
    sightings: { agents: new Map(agents), heartbeatsFrom: NOW - 6 * HOUR },
    topics: ["group.g1.requests", "group.g2.agent.old.inbox", ...ids.map(inbox)],
    groups: groups.map(([groupId, members]) => ({ groupId, members })),
    ...more,
  });
}

Deno.test("an agent that left long ago loses its inbox and every group of its own; a live one keeps them", () => {
  const result = plan(
    [
      sighting("old", { lastAnnounce: { action: "leave", at: NOW - 3 * HOUR } }),
      sighting("live", {
        lastAnnounce: { action: "join", at: NOW - 5 * HOUR },
        lastHeartbeat: NOW - 5_000,
      }),
    ],
    [
      ["kafclaw.g1.old", 0],
      ["kafclaw.g1.old.tasks", 0],
      ["kafclaw.g1.old.inbox", 0],
      ["kafclaw.g1.old.state.abc1", 0],
      ["kafclaw.g1.older", 0],
      ["kafclaw.g1.live", 1],
      ["kafclaw.g1.live.inbox", 0],
      ["kafclaw.g1.workers", 0],
      ["kafclaw.g1.sponsors", 0],
      ["kafclaw.g1.skill.old", 0],
    ],
  );
  assert.deepEqual(result.collect, [{
    agentId: "old",
    why: "left",
    goneSince: NOW - 3 * HOUR,
    topics: [inbox("old")],
    groups: [
      "kafclaw.g1.old",
      "kafclaw.g1.old.tasks",
      "kafclaw.g1.old.inbox",
      "kafclaw.g1.old.state.abc1",
    ],
  }]);
  assert.deepEqual(result.kept.map((k) => k.agentId), ["live", "older"]);
  assert.match(result.kept[0]!.reason, /live: kafclaw.g1.live has 1 member/);
  assert.match(result.kept[1]!.reason, /never announced/);
});

Deno.test("a silent agent goes only once stale and gone longer than asked; without heartbeats it counts as seen when the stream begins", () => {
  const groups: [string, number][] = [["kafclaw.g1.a", 0], ["kafclaw.g1.b", 0], [
    "kafclaw.g1.c",
    0,
  ]];
  const withStream = planGc({
    group: "g1",
    olderThanMs: HOUR,
    now: NOW,
    sightings: {
      agents: new Map([
        sighting("a", {
          lastAnnounce: { action: "join", at: NOW - 9 * HOUR },
          lastHeartbeat: NOW - 2 * HOUR,
        }),
        sighting("b", {
          lastAnnounce: { action: "join", at: NOW - 9 * HOUR },
          lastHeartbeat: NOW - 20_000,
        }),
        sighting("c", { lastAnnounce: { action: "join", at: NOW - 9 * HOUR } }),
      ]),
      heartbeatsFrom: NOW - 30 * MIN,
    },
    topics: [],
    groups: groups.map(([groupId, members]) => ({ groupId, members })),
  });
  assert.deepEqual(withStream.collect.map((c) => [c.agentId, c.why, c.goneSince]), [
    ["a", "silent", NOW - 2 * HOUR],
  ]);
  assert.deepEqual(
    withStream.kept.map((k) => `${k.agentId}: ${k.reason}`),
    [
      "b: live: heard from within 3 of its heartbeat intervals",
      "c: silent 30m ago, not longer than --older-than",
    ],
  );
});

Deno.test("empty per-run state groups go whoever made them; shared groups and groups with members never", () => {
  const result = plan(
    [sighting("live", { lastAnnounce: { action: "join", at: NOW - MIN }, lastHeartbeat: NOW })],
    [
      ["kafclaw.g1.live", 1],
      ["kafclaw.g1.live.state.run1", 0],
      ["kafclaw.g1.live.state.run2", 1],
      ["kafclaw.g1.reader.state.run3", 0],
      ["kafclaw.g1.workers", 0],
    ],
  );
  assert.deepEqual(result.collect, []);
  assert.deepEqual(result.stateGroups, [
    "kafclaw.g1.live.state.run1",
    "kafclaw.g1.reader.state.run3",
  ]);
});

Deno.test("an agent named skill, zone or reader is never collected: its groups' names cover shared ones", () => {
  const result = plan(
    [sighting("skill", { lastAnnounce: { action: "leave", at: NOW - 9 * HOUR } })],
    [["kafclaw.g1.skill", 0], ["kafclaw.g1.skill.tasks", 0]],
  );
  assert.deepEqual(result.collect, []);
  assert.match(result.kept[0]!.reason, /shared "skill" groups/);
  const zone = plan(
    [sighting("zone", { lastAnnounce: { action: "leave", at: NOW - 9 * HOUR } })],
    [["kafclaw.g1.zone.lab", 0]],
  );
  assert.deepEqual(zone.collect, []);
  assert.match(zone.kept[0]!.reason, /shared "zone" groups/);
});

Deno.test("a zone's shared group is nobody's: not listed as an agent's, and never collected", () => {
  const result = plan([], [["kafclaw.g1.zone.lab", 0], ["kafclaw.g1.zone.ops", 2]]);
  assert.deepEqual([result.collect, result.kept, result.stateGroups], [[], [], []]);
});

Deno.test("runGc deletes the plan's topics and groups and reports the groups Kafka refused", async () => {
  const calls: string[] = [];
  const refused = await runGc({
    deleteTopics: (names) => {
      calls.push(`topics ${names.join(",")}`);
      return Promise.resolve();
    },
    deleteGroups: (ids) => {
      calls.push(`groups ${ids.join(",")}`);
      return Promise.resolve(new Map([["kafclaw.g1.x", "NON_EMPTY_GROUP"]]));
    },
  }, {
    collect: [{
      agentId: "x",
      why: "left",
      goneSince: 0,
      topics: [inbox("x")],
      groups: ["kafclaw.g1.x"],
    }],
    kept: [],
    stateGroups: ["kafclaw.g1.y.state.r"],
  });
  assert.deepEqual(calls, [
    `topics ${inbox("x")}`,
    "groups kafclaw.g1.x,kafclaw.g1.y.state.r",
  ]);
  assert.deepEqual([...refused], [["kafclaw.g1.x", "NON_EMPTY_GROUP"]]);
});

Deno.test("a duration shows in the largest unit that fits", () => {
  assert.equal(formatDuration(3 * HOUR + 5 * MIN), "3h");
  assert.equal(formatDuration(42_000), "42s");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(-20), "0ms", "a clock a little behind shows no negative time");
});

Deno.test("gc looks only at its own group's inboxes and says nothing of an agent that left nothing behind", () => {
  const result = planGc({
    group: "g1",
    olderThanMs: HOUR,
    now: NOW,
    sightings: {
      agents: new Map([
        sighting("tidy", { lastAnnounce: { action: "leave", at: NOW - 9 * HOUR } }),
        sighting("gone", { lastAnnounce: { action: "leave", at: NOW - 9 * HOUR } }),
      ]),
      heartbeatsFrom: undefined,
    },
    topics: ["group.g2.agent.gone.inbox", "group.g2.agent.other.inbox", "not-a-group-topic"],
    groups: [],
  });
  assert.deepEqual(result, { collect: [], kept: [], stateGroups: [] });
});

Deno.test("an agent that left counts as gone since its last sign of life, a heartbeat after its leave included", () => {
  const result = plan(
    [
      sighting("late", {
        lastAnnounce: { action: "leave", at: NOW - 5 * HOUR },
        lastHeartbeat: NOW - 2 * HOUR,
      }),
      sighting("recent", {
        lastAnnounce: { action: "leave", at: NOW - 5 * HOUR },
        lastHeartbeat: NOW - 10 * MIN,
      }),
    ],
    [["kafclaw.g1.late", 0], ["kafclaw.g1.recent", 0]],
  );
  assert.deepEqual(result.collect.map((c) => [c.agentId, c.why, c.goneSince]), [
    ["late", "left", NOW - 2 * HOUR],
  ]);
  assert.deepEqual(result.kept, [{
    agentId: "recent",
    reason: "left 10m ago, not longer than --older-than",
  }]);
});

Deno.test("with an empty heartbeats stream a silent agent counts as seen as late as the stream keeps them (6 h)", () => {
  const result = planGc({
    group: "g1",
    olderThanMs: 5 * HOUR,
    now: NOW,
    sightings: {
      agents: new Map([
        sighting("quiet", { lastAnnounce: { action: "join", at: NOW - 9 * HOUR } }),
      ]),
      heartbeatsFrom: undefined,
    },
    topics: [inbox("quiet")],
    groups: [],
  });
  assert.deepEqual(result.collect, [{
    agentId: "quiet",
    why: "silent",
    goneSince: NOW - 6 * HOUR,
    topics: [inbox("quiet")],
    groups: [],
  }]);
});
