/**
 * Policy decisions: every time the policy engine allows or denies a tool call, one row saying who
 * asked, through which channel, with what trust, and why (ARCHITECTURE.md, Policy).
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { bool, date, int, optText, pageLimit, pageOf, text } from "./_row.ts";
import type { MessageType, Page, PageOptions, Taint, Tier } from "./types.ts";

/** A decision to record. */
export interface DecisionInput {
  readonly traceId: string;
  readonly taskId?: string;
  readonly tool: string;
  readonly tier: Tier;
  readonly sender: string;
  readonly channel: string;
  readonly messageType: MessageType;
  readonly taint: Taint;
  readonly allowed: boolean;
  /** Denied until the owner approves. */
  readonly requiresApproval?: boolean;
  /** Why, e.g. `tier_2_requires_approval`. */
  readonly reason: string;
}

/** A recorded decision. */
export interface Decision extends Required<Omit<DecisionInput, "taskId">> {
  readonly id: number;
  readonly taskId: string | undefined;
  readonly createdAt: Date;
}

function toDecision(row: Row): Decision {
  return {
    id: int(row, "id"),
    traceId: text(row, "trace_id"),
    taskId: optText(row, "task_id"),
    tool: text(row, "tool"),
    tier: int(row, "tier") as Tier,
    sender: text(row, "sender"),
    channel: text(row, "channel"),
    messageType: text(row, "message_type") as MessageType,
    taint: text(row, "taint") as Taint,
    allowed: bool(row, "allowed"),
    requiresApproval: bool(row, "requires_approval"),
    reason: text(row, "reason"),
    createdAt: date(row, "created_at"),
  };
}

/** The `decisions` repository of a Timeline. */
export class DecisionLog {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Records a decision. */
  record(input: DecisionInput): Decision {
    const row = this.#db.get(
      `INSERT INTO policy_decisions (trace_id, task_id, tool, tier, sender, channel, message_type,
        taint, allowed, requires_approval, reason, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      input.traceId,
      input.taskId,
      input.tool,
      input.tier,
      input.sender,
      input.channel,
      input.messageType,
      input.taint,
      input.allowed,
      input.requiresApproval ?? false,
      input.reason,
      this.#db.now(),
    );
    return toDecision(row!);
  }

  /** The decisions of a trace, oldest first. */
  byTrace(traceId: string): Decision[] {
    return this.#db.all("SELECT * FROM policy_decisions WHERE trace_id = ? ORDER BY id", traceId)
      .map(toDecision);
  }

  /** All decisions, newest first. */
  list(options: PageOptions = {}): Page<Decision> {
    const limit = pageLimit(options.limit);
    const rows = this.#db.all(
      "SELECT * FROM policy_decisions WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2",
      options.before,
      limit + 1,
    );
    return pageOf(rows, limit, toDecision);
  }
}
