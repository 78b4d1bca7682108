/**
 * Whether a worker takes a task it received (task_intake.ts, step 3), before it claims it: who
 * sent it ({@link Trust}), whether its depth, chain, budget and deadline allow it (limits.ts, a
 * `rejected` task is final) and whether this agent offers its skill (else `declined`, and the
 * requester sends it to another worker).
 *
 * @module
 */
import type { Envelope, EnvelopeOf, RequestPayload } from "../protocol/mod.ts";
import type { InboundRecord } from "../transport/mod.ts";
import { type Accepted, checkRequest, type TaskLimits } from "./limits.ts";
import type { TraceContext } from "./spans.ts";

/** A task request as it came in. */
export type TaskRequest = EnvelopeOf<"request" | "skill_request">;

/** Whether a parsed record's sender is who it says, and whether its certificate vouches for it. */
export type Trust = (
  record: InboundRecord,
  envelope: Envelope,
) => Promise<
  { readonly ok: true; readonly vouched: boolean } | { readonly ok: false; readonly reason: string }
>;

/**
 * The trust of a group in open mode (`group.security: open`): nobody's signature is checked, so
 * nobody is vouched for; every task is external and untrusted. Signed groups verify each record
 * against the group's roster instead (core/protocol `verifyRecord`).
 */
export const openTrust: Trust = () => Promise.resolve({ ok: true, vouched: false });

/** A task being worked on, with the budget and deadline its receiver accepted it with. */
export interface ActiveTask {
  readonly task: RequestPayload;
  readonly accepted: Accepted;
  /** The worker's span of the attempt: the parent of its sub-tasks' spans. */
  readonly trace?: TraceContext | undefined;
}

/** What a receiver does with a task: take it, reject it (final) or decline it (to another). */
export type Admission =
  | Accepted
  | { readonly ok: false; readonly status: "rejected" | "declined"; readonly reason: string };

/** Whether `receiver`, offering `skills`, takes `task` at `now` under `limits`. */
export function admit(
  task: RequestPayload,
  at: {
    readonly receiver: string;
    readonly now: Date;
    readonly limits: TaskLimits;
    readonly skills: readonly string[];
  },
): Admission {
  const verdict = checkRequest(task, at);
  if (!verdict.ok) return { ok: false, status: "rejected", reason: verdict.reason };
  if (task.skill !== undefined && !at.skills.includes(task.skill)) {
    const reason = `${at.receiver} does not offer the skill ${task.skill}`;
    return { ok: false, status: "declined", reason };
  }
  return verdict;
}
