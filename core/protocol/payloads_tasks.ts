/**
 * Task payloads: `request` and `skill_request`, `task_status`, `response` and `skill_response`
 * (PROTOCOL.md, Types and payloads), with the defaults for simple foreign senders and the aliases
 * through which the Go KafClaw's shapes are read.
 *
 * @module
 */

import { z } from "zod";
import { AgentId, Count, OpaqueId, SkillName, Timestamp } from "./fields.ts";

/** What a delegated task may still spend. */
export const Budget = z.looseObject({ tasks: Count, tokens: Count }).meta({ id: "Budget" });

/** A task's place in a delegation: depth, the agents it passed through, what it may spend. */
export const Delegation = z.looseObject({
  depth: Count,
  chain: z.array(AgentId),
  budget: Budget.optional(),
}).meta({ id: "Delegation" });

/** A task's delegation state. */
export type Delegation = z.output<typeof Delegation>;

/** A task's attempt: 1 for the first, one more for each re-publication. */
const Attempt = z.int().min(1);

const RequestFields = z.looseObject({
  task_id: OpaqueId,
  attempt: Attempt.default(1),
  description: z.string(),
  content: z.string(),
  requester_id: AgentId,
  target_id: AgentId.optional(),
  skill: SkillName.optional(),
  parent_task_id: OpaqueId.optional(),
  delegation: Delegation.default(() => ({ depth: 0, chain: [] })),
  original_requester_id: AgentId.optional().meta({ description: "Defaults to requester_id" }),
  deadline_at: Timestamp.optional(),
  arbiter: z.enum(["requester", "none"]).default("none"),
}).meta({
  id: "RequestPayload",
  description: "request and skill_request. Readers also accept the Go alias delegation_depth " +
    "for delegation.depth.",
});

/**
 * The payload of `request` and `skill_request`. After parsing, `attempt`, `delegation`,
 * `original_requester_id` and `arbiter` are always there; budget and deadline stay absent when
 * the sender left them out (the receiver applies its own defaults).
 */
export const RequestPayload = RequestFields.transform((payload) => ({
  ...payload,
  original_requester_id: payload.original_requester_id ?? payload.requester_id,
}));

/** A parsed request payload. */
export type RequestPayload = z.output<typeof RequestPayload>;

/** Every status of a task, as `task_status` reports it. */
export const TASK_STATUSES = [
  "claimed",
  "assigned",
  "in_progress",
  "completed",
  "failed",
  "declined",
  "rejected",
  "revoked",
] as const;

/** A task status. */
export type TaskStatus = typeof TASK_STATUSES[number];

/**
 * The payload of `task_status`. `attempt` and `seq` are required of every sender: without them a
 * status cannot be placed among the others of its task (PROTOCOL.md, semantics 7).
 */
export const TaskStatusPayload = z.looseObject({
  task_id: OpaqueId,
  attempt: Attempt,
  worker_id: AgentId,
  status: z.enum(TASK_STATUSES),
  summary: z.string().optional(),
  progress: z.number().min(0).max(1).optional(),
  seq: Count,
}).meta({
  id: "TaskStatusPayload",
  description: "Readers also accept the Go aliases responder_id for worker_id and status " +
    '"accepted" for "claimed".',
});

/** A parsed task status payload. */
export type TaskStatusPayload = z.output<typeof TaskStatusPayload>;

/** The payload of `response` and `skill_response`; `attempt` says which attempt answered. */
export const ResponsePayload = z.looseObject({
  task_id: OpaqueId,
  attempt: Attempt,
  responder_id: AgentId,
  content: z.string(),
  status: z.enum(["completed", "failed", "rejected"]),
  reason: z.string().optional(),
  usage: z.looseObject({ prompt_tokens: Count, completion_tokens: Count }).optional(),
}).meta({ id: "ResponsePayload" });

/** A parsed response payload. */
export type ResponsePayload = z.output<typeof ResponsePayload>;

/**
 * Reads the Go KafClaw's field names into ours, on a copy: `delegation_depth` becomes
 * `delegation: {depth, chain: []}` and, in `task_status`, `responder_id` becomes `worker_id` and
 * status `accepted` becomes `claimed`. An alias is only read when the field it stands for is
 * absent; otherwise it stays, as an unknown field.
 */
export function applyGoAliases(
  type: string,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...payload };
  if (
    (type === "request" || type === "skill_request") && "delegation_depth" in out &&
    !("delegation" in out)
  ) {
    out.delegation = { depth: out.delegation_depth, chain: [] };
    delete out.delegation_depth;
  }
  if (type === "task_status") {
    if ("responder_id" in out && !("worker_id" in out)) {
      out.worker_id = out.responder_id;
      delete out.responder_id;
    }
    if (out.status === "accepted") out.status = "claimed";
  }
  return out;
}
