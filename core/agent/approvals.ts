/**
 * Approvals: a tool call the policy does not allow on its own waits for the owner. The request is
 * stored in the timeline (so `kafclaw approvals approve|deny <id>`, another process, can answer
 * it), shown to the owner where the owner is (the terminal in `kafclaw agent`), never to the
 * sender whose message caused it, and denied when it times out or no owner can be reached.
 * Waiting blocks only the session that asked.
 *
 * @module
 */
import {
  answerRefusal,
  type Approval,
  approvalArguments,
  type Timeline,
  WAITER_HEARTBEAT_MS,
  WAITER_STALE_MS,
} from "../timeline/mod.ts";

export { WAITER_HEARTBEAT_MS, WAITER_STALE_MS };
import type { Tier } from "../tools/mod.ts";

/** Sends a text to one owner identity (`channel:sender`) on its channel. */
export type SendToOwner = (owner: string, text: string) => Promise<void>;

/** Asks the owner about one request; resolves undefined when the owner cannot be asked here. */
export type AskOwner = (approval: Approval, signal: AbortSignal) => Promise<boolean | undefined>;

/** What a request is about. */
export interface ApprovalAsk {
  readonly traceId: string;
  readonly sessionKey: string;
  readonly tool: string;
  readonly tier: Tier;
  readonly arguments: Record<string, unknown>;
  /** Who sent the message that led to the call. */
  readonly requester: string;
  readonly channel: string;
  readonly reason: string;
}

/** How a request ended. */
export interface ApprovalOutcome {
  readonly approved: boolean;
  readonly approvalId: string;
  readonly status: "approved" | "denied" | "timeout";
  readonly reason: string;
}

/** Options of {@link Approvals}. */
export interface ApprovalsOptions {
  readonly timeoutMs: number;
  /** The owner's terminal or channel; absent: only other processes (the CLI) can answer. */
  readonly ask?: AskOwner;
  /** Whether any owner can be reached at all; false denies at once. */
  readonly ownerReachable: boolean;
  /** How often a waiting request looks for an answer given by another process. */
  readonly pollMs?: number;
}

/** Requests, waits for and answers approvals. */
export class Approvals {
  readonly #timeline: Timeline;
  readonly #options: ApprovalsOptions;

  constructor(timeline: Timeline, options: ApprovalsOptions) {
    this.#timeline = timeline;
    this.#options = options;
  }

  /**
   * Marks requests left pending by a process that has gone (a previous run) as timed out; returns
   * how many. Requests another live process on the same timeline waits for are left alone.
   */
  recoverAtStartup(): number {
    return this.#timeline.approvals.timeoutOrphaned(WAITER_STALE_MS).length;
  }

  /** Answers a pending request (the owner's `approve <id>` / `deny <id>`). */
  answer(approvalId: string, approved: boolean, responder: string): string {
    const r = this.#timeline.approvals.resolve(approvalId, {
      status: approved ? "approved" : "denied",
      responder,
    }, { staleMs: WAITER_STALE_MS });
    if (r.ok) return `${approved ? "Approved" : "Denied"} ${approvalId} (${r.approval.tool})`;
    return answerRefusal(approvalId, r.reason);
  }

  /** Asks for approval and waits for the answer, the timeout, or `signal`. */
  async request(ask: ApprovalAsk, signal: AbortSignal): Promise<ApprovalOutcome> {
    const store = this.#timeline.approvals;
    const expiresAt = new Date(Date.now() + this.#options.timeoutMs);
    const created = store.create({
      traceId: ask.traceId,
      sessionKey: ask.sessionKey,
      tool: ask.tool,
      tier: ask.tier,
      arguments: ask.arguments,
      requester: ask.requester,
      channel: ask.channel,
      expiresAt,
    });
    const id = created.approvalId;
    if (!this.#options.ownerReachable) {
      store.resolve(id, { status: "denied", responder: "policy", reason: "no owner can be asked" });
      return { approved: false, approvalId: id, status: "denied", reason: "no owner can be asked" };
    }
    const done = new AbortController();
    const stop = AbortSignal.any([signal, done.signal]);
    this.#options.ask?.(created, stop).then((answer) => {
      if (answer !== undefined) this.answer(id, answer, "owner");
    }, () => {});
    let saidAlive = Date.now();
    try {
      while (!stop.aborted) {
        if (Date.now() - saidAlive >= WAITER_HEARTBEAT_MS) {
          store.touch(id);
          saidAlive = Date.now();
        }
        const now = store.get(id);
        if (now && now.status !== "pending") {
          const approved = now.status === "approved";
          return {
            approved,
            approvalId: id,
            status: now.status,
            reason: now.reason ?? (approved ? "approved by the owner" : "denied by the owner"),
          };
        }
        if (Date.now() >= expiresAt.getTime()) break;
        await new Promise((r) => setTimeout(r, this.#options.pollMs ?? 200));
      }
      store.resolve(id, {
        status: "timeout",
        responder: "policy",
        reason: signal.aborted ? "the turn was cancelled" : "no answer in time",
      });
      return {
        approved: false,
        approvalId: id,
        status: "timeout",
        reason: signal.aborted ? "the turn was cancelled" : "no answer in time",
      };
    } finally {
      done.abort();
    }
  }
}

/** How much of a call's arguments a notice on a chat channel shows. */
export const NOTICE_ARGUMENT_CHARS = 1500;

/** The text an owner receives about a request. */
export function approvalNotice(approval: Approval): string {
  return `Approval needed ${approval.approvalId}: ${approval.tool} (tier ${approval.tier}) ` +
    `${approvalArguments(approval, NOTICE_ARGUMENT_CHARS)}, asked for by ${approval.requester}. ` +
    `Reply "approve ${approval.approvalId}" or "deny ${approval.approvalId}" ` +
    `(until ${approval.expiresAt.toISOString()}).`;
}

/**
 * An {@link AskOwner} that notifies every owner (`policy.owners`) through `send` and leaves the
 * answer to their `approve <id>` / `deny <id>` (core/agent/door.ts). When no notice can be
 * delivered it resolves false, so the request is denied rather than left waiting for nobody.
 */
export function ownerNotifier(owners: readonly string[], send: SendToOwner): AskOwner {
  return async (approval) => {
    const results = await Promise.allSettled(
      owners.map(async (owner) => await send(owner, approvalNotice(approval))),
    );
    return results.some((r) => r.status === "fulfilled") ? undefined : false;
  };
}
