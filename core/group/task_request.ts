/**
 * A new task's request as this agent sends it: where it goes (a named agent's inbox, or its zone's
 * inbox; a zone's requests topic for a task of a zone, a skill's or the group's requests topic)
 * and its full payload (PROTOCOL.md,
 * `request`): attempt 1, depth, chain, budget and deadline, `arbiter: "requester"`. The agent's
 * `delegate_task` and `kafclaw task submit` both build theirs here.
 *
 * @module
 */
import { skillRequests, topicsFor, zoneTopic } from "../protocol/mod.ts";
import type { DelegateTarget } from "../tools/mod.ts";
import { DEFAULT_TASK_LIMITS, type TaskLimits } from "./limits.ts";
import { inboxFor } from "./status_records.ts";

/** What a new task says and where it goes. */
export interface NewTask {
  readonly taskId: string;
  readonly content: string;
  readonly description?: string | undefined;
  readonly to: DelegateTarget;
  /** The zone of the work it derives from: the zone's requests topic instead of a skill's or the group's. */
  readonly zone?: string | undefined;
}

/** A request ready for the requester: its type, payload and topic. */
export interface TaskRequestOut {
  readonly type: "request" | "skill_request";
  readonly payload: Readonly<Record<string, unknown>>;
  readonly topic: string;
}

/**
 * Depth, chain, budget and deadline of a task that starts a new tree: depth 0, the chain holding
 * the sender, the default budget, a deadline `deadlineMs` from now (default the limits').
 */
export function rootLimits(
  agentId: string,
  now: Date,
  options: { readonly limits?: TaskLimits; readonly deadlineMs?: number | undefined } = {},
) {
  const limits = options.limits ?? DEFAULT_TASK_LIMITS;
  return {
    delegation: { depth: 0, chain: [agentId], budget: limits.defaultBudget },
    original_requester_id: agentId,
    deadline_at: new Date(now.getTime() + (options.deadlineMs ?? limits.defaultDeadlineMs))
      .toISOString(),
  };
}

/** The request of `task` from `agentId` in `group`, carrying `limits` (see {@link rootLimits}). */
export function taskRequest(
  agentId: string,
  group: string,
  task: NewTask & { readonly limits: object },
): TaskRequestOut {
  const { to, zone } = task;
  // Work derived from a zone stays in it: a skill's task too goes to the zone's requests topic
  // (its workers there decline it without the skill), a named agent's to the zone's inbox, which
  // the caller allows only for a member of the zone.
  const topic = "agent" in to
    ? inboxFor({ group, zone }, to.agent)
    : zone
    ? zoneTopic(group, zone, "requests")
    : "skill" in to
    ? skillRequests(group, to.skill)
    : topicsFor(group).requests;
  return {
    type: "skill" in to ? "skill_request" : "request",
    topic,
    payload: {
      task_id: task.taskId,
      attempt: 1,
      description: task.description ?? "",
      content: task.content,
      requester_id: agentId,
      ...("agent" in to ? { target_id: to.agent } : {}),
      ...("skill" in to ? { skill: to.skill } : {}),
      ...task.limits,
      arbiter: "requester",
    },
  };
}
