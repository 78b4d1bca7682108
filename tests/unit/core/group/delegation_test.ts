/**
 * The group as the agent's tools see it: where delegate_task sends a task, with which limits,
 * how long it waits, and who group_members lists.
 */
import assert from "node:assert/strict";
import {
  type Accepted,
  type FinalAnswer,
  GroupDelegation,
  LiveWorkerSet,
} from "../../../../core/group/mod.ts";
import type { RequestPayload } from "../../../../core/protocol/mod.ts";
import type { ToolContext } from "../../../../core/tools/mod.ts";
import { testContext } from "../tools/_context.ts";

const load = { running: 1, capacity: 4 };
const now = new Date("2026-12-04T12:00:00Z");

function rig(
  answer?: FinalAnswer,
  parent?: { task: RequestPayload; accepted: Accepted },
  skillTopic?: (skill: string) => Promise<void>,
) {
  const sent: {
    request: Record<string, unknown>;
    to: { topic: string; zone?: string | undefined };
  }[] = [];
  const delegation = new GroupDelegation({
    agentId: "me",
    group: "g1",
    workers: new LiveWorkerSet([
      { agentId: "me", skills: [], load },
      { agentId: "b", skills: ["sql"], load },
    ]),
    requester: {
      send: (
        request,
        to,
      ) => (sent.push({ request, to }), Promise.resolve(String(request.payload.task_id))),
      answer: () => answer ? Promise.resolve(answer) : new Promise(() => {}),
    },
    taskOf: (session) => session === "task:p" ? parent : undefined,
    now: () => now,
    ...(skillTopic === undefined ? {} : { skillTopic }),
  });
  return { delegation, sent };
}

/** The task `p` of `a`, at `depth`, whose turn delegates. */
const parentTask = (depth: number): RequestPayload => ({
  task_id: "p",
  attempt: 1,
  description: "",
  content: "",
  requester_id: "a",
  original_requester_id: "a",
  arbiter: "requester",
  delegation: { depth, chain: ["a"] },
});

const ctx = (extra: Partial<ToolContext> = {}): ToolContext => ({ ...testContext(), ...extra });

Deno.test("group_members lists the live members but this agent", () => {
  assert.deepEqual(rig().delegation.members(), [{ agentId: "b", skills: ["sql"], load }]);
});

Deno.test("a task from an owner's turn starts a tree: to a named agent's inbox, trusted, with the defaults", async () => {
  const done: FinalAnswer = { taskId: "x", status: "completed", content: "4" };
  const { delegation, sent } = rig(done);
  const owner = {
    channel: "cli",
    sender: "owner",
    messageType: "internal" as const,
    taint: "trusted" as const,
    ownerReachable: true,
  };
  const result = await delegation.delegate(
    { task: "2+2", to: { agent: "b" }, waitMs: 1000 },
    ctx({ origin: owner, taint: "trusted" }),
  );
  assert.equal(result.answer, done);
  const [{ request, to }] = sent as [typeof sent[0]];
  assert.equal(to.topic, "group.g1.agent.b.inbox");
  const payload = request.payload as Record<string, unknown>;
  assert.deepEqual(
    [request.type, request.taint, payload.target_id, payload.requester_id, payload.arbiter],
    ["request", "trusted", "b", "me", "requester"],
  );
  assert.deepEqual(payload.delegation, {
    depth: 0,
    chain: ["me"],
    budget: { tasks: 10, tokens: 200_000 },
  });
  assert.equal(payload.deadline_at, "2026-12-04T12:10:00.000Z");
});

Deno.test("a skill's task goes to the skill's topic, a zone's work to the zone; untrusted without an origin", async () => {
  const { delegation, sent } = rig();
  const skill = await delegation.delegate(
    { task: "rows?", to: { skill: "sql" }, waitMs: 0 },
    ctx(),
  );
  assert.deepEqual(skill, { taskId: (sent[0]!.request.payload as { task_id: string }).task_id });
  assert.deepEqual([sent[0]!.to.topic, sent[0]!.request.type, sent[0]!.request.taint], [
    "group.g1.skill.sql.requests",
    "skill_request",
    "untrusted",
  ]);
  await delegation.delegate(
    { task: "x", description: "d", to: { group: true }, waitMs: 0 },
    ctx({ scope: { zone: "lab", zones: ["public", "lab"] } }),
  );
  assert.deepEqual(sent[1]!.to, { topic: "group.g1.zone.lab.requests", zone: "lab" });
  await delegation.delegate({ task: "x", to: { group: true }, waitMs: 0 }, ctx());
  assert.equal(sent[2]!.to.topic, "group.g1.requests");
  await assert.rejects(
    delegation.delegate({ task: "x", to: { agent: "me" }, waitMs: 0 }, ctx()),
    /delegate_task sends work to another agent, not to this one/,
  );
});

Deno.test("a task from a task's turn is its sub-task, and none is sent past the parent's budget", async () => {
  const task = parentTask(1);
  const deadline = new Date("2026-12-04T12:05:00Z");
  const { delegation, sent } = rig(undefined, {
    task,
    accepted: { ok: true, budget: { tasks: 2, tokens: 50 }, deadline },
  });
  await delegation.delegate(
    { task: "x", to: { group: true }, waitMs: 0 },
    ctx({ sessionKey: "task:p" }),
  );
  const payload = sent[0]!.request.payload as Record<string, unknown>;
  assert.deepEqual(payload.delegation, {
    depth: 2,
    chain: ["a", "me"],
    budget: { tasks: 1, tokens: 50 },
  });
  assert.deepEqual([payload.parent_task_id, payload.original_requester_id, payload.deadline_at], [
    "p",
    "a",
    deadline.toISOString(),
  ]);
  const broke = rig(undefined, {
    task,
    accepted: { ok: true, budget: { tasks: 0, tokens: 50 }, deadline },
  });
  await assert.rejects(
    broke.delegation.delegate(
      { task: "x", to: { group: true }, waitMs: 0 },
      ctx({ sessionKey: "task:p" }),
    ),
    /^Error: Cannot delegate from task p: the task's budget allows no more sub-tasks$/,
  );
});

Deno.test("a sub-task gets the tokens its parent's turn left, and a parent that spent them all delegates nothing", async () => {
  const task = parentTask(0);
  const accepted: Accepted = {
    ok: true,
    budget: { tasks: 3, tokens: 1000 },
    deadline: new Date("2026-12-04T12:05:00Z"),
  };
  const { delegation, sent } = rig(undefined, { task, accepted });
  const sub = { task: "x", to: { group: true as const }, waitMs: 0 };
  await delegation.delegate(sub, ctx({ sessionKey: "task:p", tokensSpent: 700 }));
  const payload = sent[0]!.request.payload as { delegation: { budget: unknown } };
  assert.deepEqual(payload.delegation.budget, { tasks: 2, tokens: 300 });
  for (const spent of [1000, 1500]) {
    await assert.rejects(
      delegation.delegate(sub, ctx({ sessionKey: "task:p", tokensSpent: spent })),
      /^Error: Cannot delegate from task p: the task's token budget is exhausted$/,
    );
  }
  assert.equal(sent.length, 1, "nothing sent past the budget");
});

Deno.test("a skill's work topic is made before its first task is sent, and a failure to make it sends nothing", async () => {
  const made: string[] = [];
  const { delegation, sent } = rig(undefined, undefined, (skill) => {
    made.push(`${skill} (${sent.length} sent)`);
    return skill === "broken" ? Promise.reject(new Error("no such topic")) : Promise.resolve();
  });
  await delegation.delegate({ task: "rows?", to: { skill: "sql" }, waitMs: 0 }, ctx());
  await delegation.delegate({ task: "x", to: { agent: "b" }, waitMs: 0 }, ctx());
  assert.deepEqual(made, ["sql (0 sent)"]);
  await assert.rejects(
    delegation.delegate({ task: "x", to: { skill: "broken" }, waitMs: 0 }, ctx()),
    /no such topic/,
  );
  assert.equal(sent.length, 2);
});

Deno.test("a task to an agent not live now is sent to its inbox, and the turn is told at once, not after the wait", async () => {
  const { delegation, sent } = rig();
  const result = await delegation.delegate(
    { task: "hi", to: { agent: "gone" }, waitMs: 60_000 },
    ctx(),
  );
  assert.equal(sent[0]!.to.topic, "group.g1.agent.gone.inbox");
  assert.equal(result.answer, undefined);
  assert.match(
    result.note!,
    /^"gone" is not live in the group now \(it left, or has not been heard/,
  );
});
