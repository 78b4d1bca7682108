import assert from "node:assert/strict";
import {
  type Accepted,
  checkRequest,
  DEFAULT_TASK_LIMITS,
  subTaskLimits,
} from "../../../../core/group/mod.ts";
import type { RequestPayload } from "../../../../core/protocol/mod.ts";

const now = new Date("2026-12-04T12:00:00Z");
const limits = DEFAULT_TASK_LIMITS;

function task(fields: Partial<RequestPayload> = {}): RequestPayload {
  return {
    task_id: "t1",
    attempt: 1,
    description: "",
    content: "x",
    requester_id: "a",
    original_requester_id: "a",
    arbiter: "requester",
    delegation: { depth: 0, chain: ["a"] },
    ...fields,
  };
}

const check = (t: RequestPayload, receiver = "b") => checkRequest(t, { receiver, now, limits });

Deno.test("a request at the depth limit is rejected, one below it accepted", () => {
  const deep = check(task({ delegation: { depth: 3, chain: ["a"] } }));
  assert.deepEqual(deep, {
    ok: false,
    reason: "delegation depth 3 reaches the limit of 3 (group.maxDelegationDepth)",
  });
  assert.equal(check(task({ delegation: { depth: 2, chain: ["a"] } })).ok, true);
});

Deno.test("a receiver already in the chain, or the original requester itself, closes a cycle", () => {
  const inChain = check(task({ delegation: { depth: 1, chain: ["a", "b"] } }));
  assert.deepEqual(inChain, {
    ok: false,
    reason: "the task already passed through b (a -> b): a cycle",
  });
  const back = check(task({ delegation: { depth: 0, chain: [] } }), "a");
  assert.equal(back.ok, false);
});

Deno.test("a budget with no tokens left is exhausted; no budget means the receiver's default", () => {
  const broke = check(
    task({ delegation: { depth: 0, chain: ["a"], budget: { tasks: 2, tokens: 0 } } }),
  );
  assert.deepEqual(broke, { ok: false, reason: "the task's token budget is exhausted" });
  const fine = check(task()) as Accepted;
  assert.deepEqual(fine.budget, limits.defaultBudget);
  assert.equal(fine.deadline.getTime(), now.getTime() + limits.defaultDeadlineMs);
});

Deno.test("a deadline passed by more than the clock skew is rejected; within the skew it is not", () => {
  const late = check(task({ deadline_at: "2026-12-04T11:57:59Z" }));
  assert.deepEqual(late, {
    ok: false,
    reason: "the deadline 2026-12-04T11:57:59Z had passed when the task arrived",
  });
  assert.equal(check(task({ deadline_at: "2026-12-04T11:58:30Z" })).ok, true);
});

Deno.test("a sub-task carries depth+1, the chain plus its sender, a smaller budget, no later deadline", () => {
  const parent = task({
    delegation: { depth: 1, chain: ["a", "b"], budget: { tasks: 3, tokens: 1000 } },
    original_requester_id: "a",
  });
  const accepted = check(parent, "c") as Accepted;
  const sub = subTaskLimits({ task: parent, accepted }, { self: "c", tokensSpent: 400 });
  assert.deepEqual(sub, {
    ok: true,
    limits: {
      delegation: { depth: 2, chain: ["a", "b", "c"], budget: { tasks: 2, tokens: 600 } },
      original_requester_id: "a",
      parent_task_id: "t1",
      deadline_at: accepted.deadline.toISOString(),
    },
  });
  const sooner = new Date(now.getTime() + 1000);
  const tight = subTaskLimits({ task: parent, accepted }, {
    self: "c",
    tokensSpent: 0,
    deadline: sooner,
  });
  assert.equal(tight.ok && tight.limits.deadline_at, sooner.toISOString());
  const later = new Date(accepted.deadline.getTime() + 1000);
  const capped = subTaskLimits({ task: parent, accepted }, {
    self: "c",
    tokensSpent: 0,
    deadline: later,
  });
  assert.equal(capped.ok && capped.limits.deadline_at, accepted.deadline.toISOString());
});

Deno.test("no sub-task once the budget has no tasks or no tokens left", () => {
  const parent = task();
  const none = { ok: true as const, budget: { tasks: 0, tokens: 10 }, deadline: now };
  assert.deepEqual(subTaskLimits({ task: parent, accepted: none }, { self: "b", tokensSpent: 0 }), {
    ok: false,
    reason: "the task's budget allows no more sub-tasks",
  });
  const spent = { ok: true as const, budget: { tasks: 2, tokens: 10 }, deadline: now };
  assert.deepEqual(
    subTaskLimits({ task: parent, accepted: spent }, { self: "b", tokensSpent: 10 }),
    {
      ok: false,
      reason: "the task's token budget is exhausted",
    },
  );
});
