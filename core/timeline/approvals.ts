/**
 * Approval requests: a tool call that the policy holds until the owner answers. A request is
 * answered at most once (approved, denied, or timed out); a late or second answer is refused, and
 * requests left pending by a process that stopped are timed out when the next one starts.
 *
 * @module
 */
import { DEFAULT_COMMAND } from "../config/mod.ts";
import type { Db, Row } from "./_db.ts";
import { date, int, json, optDate, optText, randomHex, text } from "./_row.ts";
import type { Tier } from "./types.ts";

/** Where an approval request is. */
export type ApprovalStatus = "pending" | "approved" | "denied" | "timeout";

/** A new request. */
export interface ApprovalInput {
  readonly traceId: string;
  readonly tool: string;
  readonly tier: Tier;
  readonly arguments: Record<string, unknown>;
  /** Who asked for the tool call (the sender of the turn). */
  readonly requester: string;
  readonly channel: string;
  /** When the waiting call gives up. */
  readonly expiresAt: Date;
  readonly taskId?: string;
  readonly sessionKey?: string;
  /** Default: 16 random hex digits. */
  readonly approvalId?: string;
}

/** A stored request. */
export interface Approval {
  readonly id: number;
  readonly approvalId: string;
  readonly traceId: string;
  readonly taskId: string | undefined;
  readonly sessionKey: string | undefined;
  readonly tool: string;
  readonly tier: Tier;
  readonly arguments: Record<string, unknown>;
  readonly requester: string;
  readonly channel: string;
  readonly status: ApprovalStatus;
  readonly reason: string | undefined;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly respondedAt: Date | undefined;
  readonly responder: string | undefined;
  /** When its waiter last said it still waits (see {@link ApprovalStore.touch}). */
  readonly aliveAt: Date | undefined;
}

/** An answer to a request. */
export interface ApprovalAnswer {
  readonly status: Exclude<ApprovalStatus, "pending">;
  readonly responder?: string;
  readonly reason?: string;
}

/**
 * What {@link ApprovalStore.resolve} did: `unknown` (no such request), `answered` (it already had
 * an answer), `expired` (it passed its deadline unanswered), `orphaned` (the process that asked
 * stopped waiting: nothing would run). Expired and orphaned requests are now marked timeout.
 */
export type ResolveResult =
  | { readonly ok: true; readonly approval: Approval }
  | { readonly ok: false; readonly reason: "unknown" }
  | {
    readonly ok: false;
    readonly reason: "answered" | "expired" | "orphaned";
    readonly approval: Approval;
  };

/** How often a waiting request says it still waits. */
export const WAITER_HEARTBEAT_MS = 2_000;
/** A request whose waiter has been silent this long has no waiter any more. */
export const WAITER_STALE_MS = 15_000;

/**
 * Why an answer to `approvalId` was not taken, as the owner reads it (the terminal, a channel,
 * `kafclaw approvals`).
 */
export function answerRefusal(
  approvalId: string,
  reason: "unknown" | "answered" | "expired" | "orphaned",
): string {
  switch (reason) {
    case "unknown":
      return `No approval request ${approvalId}`;
    case "answered":
      return `Approval request ${approvalId} was already answered`;
    case "expired":
      return `Approval request ${approvalId} has expired`;
    default:
      return `Approval request ${approvalId} timed out: the kafclaw that asked has stopped, so ` +
        `nothing would run`;
  }
}

/**
 * A request's arguments as the owner reads them: the exact JSON of the call (with only secrets'
 * own characters masked, by the guard), whole up to `limit` characters. Past it the text is cut
 * and says so, and where to read all of it (the command started by `options.command`, `kafclaw` by
 * default): nothing can hide behind padding.
 */
export function approvalArguments(
  approval: Approval,
  limit: number,
  options: { readonly command?: string } = {},
): string {
  const text = JSON.stringify(approval.arguments);
  if (text.length <= limit) return text;
  const command = options.command ?? DEFAULT_COMMAND;
  return `${text.slice(0, limit)}… [cut: ${text.length} characters in all; ` +
    `${command} approvals show ${approval.approvalId} shows them whole]`;
}

const byId = (a: Approval, b: Approval) => a.id - b.id;

function toApproval(row: Row): Approval {
  return {
    id: int(row, "id"),
    approvalId: text(row, "approval_id"),
    traceId: text(row, "trace_id"),
    taskId: optText(row, "task_id"),
    sessionKey: optText(row, "session_key"),
    tool: text(row, "tool"),
    tier: int(row, "tier") as Tier,
    arguments: json(row, "arguments"),
    requester: text(row, "requester"),
    channel: text(row, "channel"),
    status: text(row, "status") as ApprovalStatus,
    reason: optText(row, "reason"),
    createdAt: date(row, "created_at"),
    expiresAt: date(row, "expires_at"),
    respondedAt: optDate(row, "responded_at"),
    responder: optText(row, "responder"),
    aliveAt: optDate(row, "alive_at"),
  };
}

const TIME_OUT = `UPDATE approval_requests SET status = 'timeout', reason = ?1, responded_at = ?2
  WHERE status = 'pending'`;

/** The `approvals` repository of a Timeline. */
export class ApprovalStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Stores a pending request. */
  create(input: ApprovalInput): Approval {
    const row = this.#db.get(
      `INSERT INTO approval_requests (approval_id, trace_id, task_id, session_key, tool, tier,
        arguments, requester, channel, created_at, expires_at, alive_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10) RETURNING *`,
      input.approvalId ?? randomHex(8),
      input.traceId,
      input.taskId,
      input.sessionKey,
      input.tool,
      input.tier,
      JSON.stringify(input.arguments),
      input.requester,
      input.channel,
      this.#db.now(),
      input.expiresAt,
    );
    return toApproval(row!);
  }

  /** A request by id. */
  get(approvalId: string): Approval | undefined {
    const row = this.#db.get("SELECT * FROM approval_requests WHERE approval_id = ?", approvalId);
    return row && toApproval(row);
  }

  /** Requests still waiting for an answer, oldest first. */
  pending(): Approval[] {
    return this.#db.all("SELECT * FROM approval_requests WHERE status = 'pending' ORDER BY id")
      .map(toApproval);
  }

  /**
   * Answers a pending request, once. Approving or denying after the deadline is refused (and
   * the request marked timeout); so is any answer to a request that already has one. With
   * `staleMs`, so is an answer to a request whose waiter has not said it waits for that long: the
   * process that asked is gone, and an "approved" would claim a run that never comes.
   */
  resolve(
    approvalId: string,
    answer: ApprovalAnswer,
    options: { readonly staleMs?: number } = {},
  ): ResolveResult {
    return this.#db.tx((): ResolveResult => {
      const now = this.#db.now();
      const alive = options.staleMs === undefined
        ? null
        : new Date(now.getTime() - options.staleMs);
      const row = this.#db.get(
        `UPDATE approval_requests SET status = ?1, responder = ?2, reason = ?3, responded_at = ?4
          WHERE approval_id = ?5 AND status = 'pending' AND (?1 = 'timeout' OR (expires_at > ?4
            AND (?6 IS NULL OR alive_at >= ?6)))
          RETURNING *`,
        answer.status,
        answer.responder,
        answer.reason,
        now,
        approvalId,
        alive,
      );
      if (row) return { ok: true, approval: toApproval(row) };
      const approval = this.get(approvalId);
      if (approval === undefined) return { ok: false, reason: "unknown" };
      if (approval.status !== "pending") return { ok: false, reason: "answered", approval };
      const reason = approval.expiresAt > now ? "orphaned" : "expired";
      const timedOut = this.#db.get(
        `${TIME_OUT} AND approval_id = ?3 RETURNING *`,
        reason === "orphaned" ? "process restarted" : "expired",
        now,
        approvalId,
      );
      return { ok: false, reason, approval: toApproval(timedOut!) };
    });
  }

  /** Marks pending requests past their deadline as timed out, and returns them. */
  expirePending(now: Date = this.#db.now()): Approval[] {
    return this.#db.all(`${TIME_OUT} AND expires_at <= ?2 RETURNING *`, "expired", now)
      .map(toApproval).sort(byId);
  }

  /** Notes that the waiter of a pending request still waits; false when it is not pending. */
  touch(approvalId: string): boolean {
    return this.#db.get(
      `UPDATE approval_requests SET alive_at = ?1 WHERE approval_id = ?2 AND status = 'pending'
        RETURNING id`,
      this.#db.now(),
      approvalId,
    ) !== undefined;
  }

  /**
   * Marks the pending requests that nobody waits for any more as timed out, with the reason
   * "process restarted", and returns them: those whose waiter has not said it waits for
   * `staleMs` (a live waiter says so every few seconds). Another process still waiting keeps its
   * requests.
   */
  timeoutOrphaned(staleMs: number): Approval[] {
    const now = this.#db.now();
    return this.#db.all(
      `${TIME_OUT} AND (alive_at IS NULL OR alive_at < ?3) RETURNING *`,
      "process restarted",
      now,
      new Date(now.getTime() - staleMs),
    ).map(toApproval).sort(byId);
  }
}
