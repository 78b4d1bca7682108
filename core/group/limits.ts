/**
 * Depth, chain, budget and deadline of a delegated task (PROTOCOL.md, semantics 5): what the
 * receiver checks before it takes a request, and what a sub-task inherits from the task that
 * made it, each only ever shrinking.
 *
 * - depth: a request is rejected when `delegation.depth >= maxDepth`;
 * - chain: the agents a task passed through (the first requester included); a receiver already
 *   in it, or the original requester itself, would close a cycle;
 * - budget: `tasks` is how many sub-tasks the receiver may still make from it, `tokens` how many
 *   LLM tokens it may spend; a budget with no tokens left is exhausted;
 * - deadline: past `deadline_at` (allowing the clock skew) the task is rejected; a request
 *   without one gets the receiver's default.
 *
 * @module
 */
import type { Delegation, RequestPayload } from "../protocol/mod.ts";

/** What a receiver allows. */
export interface TaskLimits {
  /** `group.maxDelegationDepth` (default 3). */
  readonly maxDepth: number;
  /** The budget of a request that carries none. */
  readonly defaultBudget: { readonly tasks: number; readonly tokens: number };
  /** The time a request without `deadline_at` may take, in ms. */
  readonly defaultDeadlineMs: number;
  /** How far clocks may disagree, in ms (PROTOCOL.md: 2 min). */
  readonly clockSkewMs: number;
}

/** The limits of PROTOCOL.md's defaults. */
export const DEFAULT_TASK_LIMITS: TaskLimits = Object.freeze({
  maxDepth: 3,
  defaultBudget: Object.freeze({ tasks: 10, tokens: 200_000 }),
  defaultDeadlineMs: 10 * 60_000,
  clockSkewMs: 2 * 60_000,
});

/** A request the receiver takes, with the budget and deadline that apply to it. */
export interface Accepted {
  readonly ok: true;
  readonly budget: { readonly tasks: number; readonly tokens: number };
  readonly deadline: Date;
}

/** A request the receiver rejects: final, with the reason the requester reads. */
export interface Rejected {
  readonly ok: false;
  readonly reason: string;
}

/**
 * Whether `receiver` takes the request `task` at `now`, by depth, chain, budget and deadline.
 *
 * @example
 * ```ts
 * import { checkRequest, DEFAULT_TASK_LIMITS } from "./limits.ts";
 * const task = {
 *   task_id: "t1", attempt: 1, description: "", content: "hi", requester_id: "a",
 *   original_requester_id: "a", arbiter: "none" as const,
 *   delegation: { depth: 3, chain: ["a"] },
 * };
 * const verdict = checkRequest(task, { receiver: "b", now: new Date(), limits: DEFAULT_TASK_LIMITS });
 * console.assert(!verdict.ok);
 * ```
 */
export function checkRequest(
  task: RequestPayload,
  at: { readonly receiver: string; readonly now: Date; readonly limits: TaskLimits },
): Accepted | Rejected {
  const { receiver, now, limits } = at;
  const { depth, chain } = task.delegation;
  if (depth >= limits.maxDepth) {
    return {
      ok: false,
      reason: `delegation depth ${depth} reaches the limit of ${limits.maxDepth} ` +
        `(group.maxDelegationDepth)`,
    };
  }
  const passed = [...new Set([task.original_requester_id, ...chain])];
  if (passed.includes(receiver)) {
    return {
      ok: false,
      reason: `the task already passed through ${receiver} (${passed.join(" -> ")}): a cycle`,
    };
  }
  const budget = task.delegation.budget ?? limits.defaultBudget;
  if (budget.tokens <= 0) return { ok: false, reason: "the task's token budget is exhausted" };
  const deadline = task.deadline_at === undefined
    ? new Date(now.getTime() + limits.defaultDeadlineMs)
    : new Date(task.deadline_at);
  if (deadline.getTime() + limits.clockSkewMs <= now.getTime()) {
    return {
      ok: false,
      reason: `the deadline ${task.deadline_at} had passed when the task arrived`,
    };
  }
  return { ok: true, budget, deadline };
}

/** What a sub-task of an accepted task carries: the fields of its request that limit it. */
export interface SubTaskLimits {
  readonly delegation: Delegation;
  readonly original_requester_id: string;
  readonly parent_task_id: string;
  readonly deadline_at: string;
}

/**
 * The limits of a sub-task that `self` makes while working on `parent`: depth+1, the chain plus
 * `self`, a budget cut from the parent's (one task fewer, the tokens not spent yet), the same
 * original requester, and a deadline no later than the parent's. Undefined with the reason when
 * the parent's budget allows no more sub-tasks.
 */
export function subTaskLimits(
  parent: { readonly task: RequestPayload; readonly accepted: Accepted },
  at: { readonly self: string; readonly tokensSpent: number; readonly deadline?: Date },
): { readonly ok: true; readonly limits: SubTaskLimits } | Rejected {
  const { task, accepted } = parent;
  if (accepted.budget.tasks <= 0) {
    return { ok: false, reason: "the task's budget allows no more sub-tasks" };
  }
  const tokens = Math.max(0, accepted.budget.tokens - at.tokensSpent);
  if (tokens === 0) return { ok: false, reason: "the task's token budget is exhausted" };
  const deadline = at.deadline && at.deadline < accepted.deadline ? at.deadline : accepted.deadline;
  return {
    ok: true,
    limits: {
      delegation: {
        depth: task.delegation.depth + 1,
        chain: [...task.delegation.chain, at.self],
        budget: { tasks: accepted.budget.tasks - 1, tokens },
      },
      original_requester_id: task.original_requester_id,
      parent_task_id: task.task_id,
      deadline_at: deadline.toISOString(),
    },
  };
}
