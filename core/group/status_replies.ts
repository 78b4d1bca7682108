/**
 * What a requester answers to a worker's status on one of its tasks (PROTOCOL.md, semantics 3
 * and 4), decided from the task as stored and the status alone, so the rules read in one place:
 *
 * - a claim of the current attempt by nobody's holder (or the holder again) is granted;
 * - any other claim, or a renewal of another attempt or by another worker, is revoked;
 * - the holder's renewal is acknowledged;
 * - `declined` by the holder, or before any claim, moves the task on to another worker;
 * - `rejected` ends the task (final);
 * - anything else (a late word on an older attempt, `completed` before its response) needs no
 *   answer;
 * - with `arbiter: "none"` claims and renewals need none either: the first claim is the grant,
 *   nobody acknowledges renewals, and nobody revokes.
 *
 * @module
 */
import type { TaskStatusPayload } from "../protocol/mod.ts";
import type { OutgoingTask } from "../timeline/mod.ts";

/** The requester's answer to one status of a worker. */
export type StatusReply =
  | { readonly kind: "grant" }
  | { readonly kind: "acknowledge" }
  | { readonly kind: "revoke"; readonly attempt: number }
  | { readonly kind: "move_on"; readonly why: string }
  | { readonly kind: "end_rejected"; readonly reason: string };

/** The answer to `status` (its worker speaking for itself) on `task`; undefined for none. */
export function replyTo(
  task: Pick<OutgoingTask, "attempt" | "workerId" | "request">,
  status: Pick<TaskStatusPayload, "attempt" | "worker_id" | "status" | "summary">,
): StatusReply | undefined {
  const asks = status.status === "claimed" || status.status === "in_progress";
  if (asks && task.request.arbiter !== "requester") return undefined;
  const worker = status.worker_id;
  const holder = task.workerId;
  const mayHold = holder === undefined || holder === worker;
  if (status.attempt !== task.attempt) {
    return asks ? { kind: "revoke", attempt: status.attempt } : undefined;
  }
  switch (status.status) {
    case "claimed":
      return mayHold ? { kind: "grant" } : { kind: "revoke", attempt: status.attempt };
    case "in_progress":
      return holder === worker
        ? { kind: "acknowledge" }
        : { kind: "revoke", attempt: status.attempt };
    case "declined": {
      if (!mayHold) return undefined;
      const summary = status.summary ? `: ${status.summary}` : "";
      return { kind: "move_on", why: `${worker} declined attempt ${status.attempt}${summary}` };
    }
    case "rejected":
      return { kind: "end_rejected", reason: status.summary ?? "rejected" };
    default:
      return undefined;
  }
}
