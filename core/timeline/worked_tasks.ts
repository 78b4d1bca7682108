/**
 * Group tasks this agent worked on for another (`group_tasks`, direction `incoming`): one row per
 * task, the latest attempt that came here, with the request as it came, how the attempt ended and
 * the answer sent. What `kafclaw task list`, `task show` and `task replay` read in a worker's home,
 * where no task was sent.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { date, int, optText, text } from "./_row.ts";

/**
 * How an attempt that came here ended: answered (`completed`, `failed`, `rejected`), handed back
 * (`declined`: a skill not offered, the agent stopping), or given up without an answer
 * (`revoked`: the requester gave it to another; `stopped`: the grant lost).
 */
export type WorkedStatus = "completed" | "failed" | "rejected" | "declined" | "revoked" | "stopped";

/** An attempt of another agent's task, as this agent worked on it. */
export interface WorkedTask {
  readonly taskId: string;
  readonly attempt: number;
  /** `request` or `skill_request`. */
  readonly type: string;
  /** The request's payload as it came. */
  readonly request: Readonly<Record<string, unknown>>;
  /** The request's taint as it came. */
  readonly taint: "trusted" | "untrusted";
  readonly zone: string | undefined;
  readonly status: WorkedStatus;
  /** What the response said, when one was sent. */
  readonly answer: string | undefined;
  readonly reason: string | undefined;
  /** When the attempt came. */
  readonly receivedAt: Date;
  /** When it ended (its response sent, or given up). */
  readonly endedAt: Date;
}

function toWorked(row: Row): WorkedTask {
  const came = JSON.parse(text(row, "request")) as {
    type: string;
    payload: Record<string, unknown>;
    taint: "trusted" | "untrusted";
  };
  return {
    taskId: text(row, "task_id"),
    attempt: int(row, "attempt"),
    type: came.type,
    request: came.payload,
    taint: came.taint,
    zone: optText(row, "zone"),
    status: text(row, "status") as WorkedStatus,
    answer: optText(row, "response_content"),
    reason: optText(row, "reason"),
    receivedAt: date(row, "created_at"),
    endedAt: date(row, "responded_at"),
  };
}

const SELECT = "SELECT * FROM group_tasks WHERE direction = 'incoming'";

/** The `workedTasks` repository of a Timeline. */
export class WorkedTaskStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Records how an attempt that came here ended. A later attempt of the same task replaces an
   * earlier one's row; an earlier one, recorded late, leaves a later one as it is.
   */
  record(task: WorkedTask): void {
    const p = task.request;
    // A field the request does not carry as a string is stored as `fallback`.
    const str = (key: string, fallback: string | null) =>
      typeof p[key] === "string" ? p[key] as string : fallback;
    const requester = str("requester_id", "");
    this.#db.run(
      `INSERT INTO group_tasks (task_id, direction, attempt, description, content, skill, zone,
        requester_id, target_id, parent_task_id, original_requester_id, deadline_at, arbiter,
        status, response_content, reason, request, created_at, updated_at, responded_at)
        VALUES (?1, 'incoming', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
          ?17, ?18, ?18)
        ON CONFLICT (task_id, direction) DO UPDATE SET attempt = excluded.attempt,
          zone = excluded.zone, status = excluded.status,
          response_content = excluded.response_content, reason = excluded.reason,
          request = excluded.request, created_at = excluded.created_at,
          updated_at = excluded.updated_at, responded_at = excluded.responded_at
        WHERE excluded.attempt >= group_tasks.attempt`,
      task.taskId,
      task.attempt,
      str("description", ""),
      str("content", ""),
      str("skill", null),
      task.zone ?? null,
      requester,
      str("target_id", null),
      str("parent_task_id", null),
      str("original_requester_id", requester),
      str("deadline_at", null),
      p.arbiter === "requester" ? "requester" : "none",
      task.status,
      task.answer ?? null,
      task.reason ?? null,
      JSON.stringify({ type: task.type, payload: p, taint: task.taint }),
      task.receivedAt.toISOString(),
      task.endedAt.toISOString(),
    );
  }

  /** The tasks worked on here, the latest ended first, at most `limit`. */
  list(limit = 50): WorkedTask[] {
    return this.#db.all(`${SELECT} ORDER BY updated_at DESC, id DESC LIMIT ?`, limit)
      .map(toWorked);
  }

  /** A task worked on here, by id. */
  get(taskId: string): WorkedTask | undefined {
    const row = this.#db.get(`${SELECT} AND task_id = ?`, taskId);
    return row && toWorked(row);
  }
}
