/**
 * Group tasks a requester sent (PROTOCOL.md, semantics 3): one row per task, holding the request
 * as sent, its current attempt, the worker holding the grant, the workers it must not go to
 * again, and, once there is one, its final answer. A requester that restarts reads its unfinished
 * tasks back from here and resumes them. A task `queued` here (by `kafclaw task submit`, beside
 * a running gateway of the same home) is sent by that gateway's requester.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { date, int, optDate, optText, text } from "./_row.ts";

/** Where an outgoing task is: queued to send, sent and waiting, held by a worker, or finished. */
export type OutgoingStatus =
  | "queued"
  | "sent"
  | "assigned"
  | "completed"
  | "failed"
  | "rejected"
  | "expired";

/** The statuses after which nothing more happens to a task. */
export const FINAL_OUTGOING: readonly OutgoingStatus[] = [
  "completed",
  "failed",
  "rejected",
  "expired",
];

/**
 * Why a retry or a declined task went to the inbox it went to: the worker chosen, its expertise
 * score in the task's skill and its load as its heartbeat said, and the reason.
 */
export interface RouteChoice {
  readonly attempt: number;
  readonly agent_id: string;
  /** Its expertise score in the skill (0 when it advertised none); absent for a task without one. */
  readonly score?: number;
  readonly load: { readonly running: number; readonly capacity: number };
  /** Why the task moved, and why to this worker. */
  readonly reason: string;
  /** How many live workers could take it. */
  readonly candidates: number;
  /** When it was chosen (RFC 3339). */
  readonly at: string;
}

/** An outgoing task as stored. */
export interface OutgoingTask {
  readonly taskId: string;
  /** `request` or `skill_request`. */
  readonly type: string;
  /** The request's payload as sent first (attempt 1); later attempts change only `attempt`. */
  readonly request: Readonly<Record<string, unknown>>;
  /** The envelope's taint as sent. */
  readonly taint: "trusted" | "untrusted";
  readonly attempt: number;
  readonly status: OutgoingStatus;
  /** The worker holding the current attempt's grant, if any. */
  readonly workerId: string | undefined;
  /** Workers the task must not go to again. */
  readonly excluded: readonly string[];
  /** The topic the current attempt went to. */
  readonly topic: string | undefined;
  readonly zone: string | undefined;
  readonly deadlineAt: Date | undefined;
  readonly responseContent: string | undefined;
  readonly reason: string | undefined;
  readonly createdAt: Date;
  readonly respondedAt: Date | undefined;
  /** Each choice of a worker for a retry or a declined task, oldest first. */
  readonly routes: readonly RouteChoice[];
}

/** A new outgoing task. */
export interface OutgoingInput {
  readonly taskId: string;
  readonly type: string;
  readonly request: Readonly<Record<string, unknown>>;
  readonly taint: "trusted" | "untrusted";
  readonly topic: string;
  readonly zone?: string | undefined;
  /** `queued` for the running requester of this home to send; default `sent`. */
  readonly status?: "queued" | "sent";
}

/** What changes of an outgoing task. */
export interface OutgoingChange {
  readonly attempt?: number;
  readonly status?: OutgoingStatus;
  /** `null` clears the holder. */
  readonly workerId?: string | null;
  readonly excluded?: readonly string[];
  readonly topic?: string;
  /** Set with a final status. */
  readonly responseContent?: string;
  readonly reason?: string;
  /** A worker chosen for the current attempt, added to the task's routes. */
  readonly route?: RouteChoice;
}

function toTask(row: Row): OutgoingTask {
  // The request column holds the request as sent, `{type, payload, taint}`, and the workers
  // chosen for its retries, `routes`.
  const sent = JSON.parse(text(row, "request")) as {
    type: string;
    payload: Record<string, unknown>;
    taint: "trusted" | "untrusted";
    routes?: RouteChoice[];
  };
  return {
    taskId: text(row, "task_id"),
    type: sent.type,
    request: sent.payload,
    taint: sent.taint,
    attempt: int(row, "attempt"),
    status: text(row, "status") as OutgoingStatus,
    workerId: optText(row, "worker_id"),
    excluded: JSON.parse(text(row, "excluded")),
    topic: optText(row, "topic"),
    zone: optText(row, "zone"),
    deadlineAt: optDate(row, "deadline_at"),
    responseContent: optText(row, "response_content"),
    reason: optText(row, "reason"),
    createdAt: date(row, "created_at"),
    respondedAt: optDate(row, "responded_at"),
    routes: sent.routes ?? [],
  };
}

const FINAL_SQL = FINAL_OUTGOING.map((s) => `'${s}'`).join(", ");
const SELECT = "SELECT * FROM group_tasks";

/** The `groupTasks` repository of a Timeline. */
export class GroupTaskStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Records a task this agent sent and returns it as stored; a task id already recorded is left
   * as it is, and returned as it was. The row comes back from the write itself (`RETURNING`), not
   * from a second statement.
   */
  addOutgoing(input: OutgoingInput): OutgoingTask {
    const now = this.#db.now();
    const p = input.request;
    const str = (key: string) => typeof p[key] === "string" ? p[key] as string : null;
    const row = this.#db.get(
      `INSERT INTO group_tasks (task_id, direction, attempt, description, content, skill, zone,
        requester_id, target_id, parent_task_id, original_requester_id, deadline_at, arbiter,
        status, request, topic, created_at, updated_at)
        VALUES (?1, 'outgoing', 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?15, ?12, ?13,
          ?14, ?14) ON CONFLICT (task_id, direction) DO NOTHING RETURNING *`,
      input.taskId,
      str("description") ?? "",
      str("content") ?? "",
      str("skill"),
      input.zone ?? null,
      str("requester_id") ?? "",
      str("target_id"),
      str("parent_task_id"),
      str("original_requester_id") ?? str("requester_id") ?? "",
      str("deadline_at"),
      p.arbiter === "requester" ? "requester" : "none",
      JSON.stringify({ type: input.type, payload: p, taint: input.taint }),
      input.topic,
      now,
      input.status ?? "sent",
    );
    return row === undefined ? this.outgoing(input.taskId)! : toTask(row);
  }

  /** The outgoing tasks, newest first, at most `limit`. */
  listOutgoing(limit = 50): OutgoingTask[] {
    return this.#db.all(
      `${SELECT} WHERE direction = 'outgoing' ORDER BY id DESC LIMIT ?`,
      limit,
    ).map(toTask);
  }

  /** The tasks queued to send, oldest first. */
  queued(): OutgoingTask[] {
    return this.#db.all(
      `${SELECT} WHERE direction = 'outgoing' AND status = 'queued' ORDER BY id`,
    ).map(toTask);
  }

  /** An outgoing task by id. */
  outgoing(taskId: string): OutgoingTask | undefined {
    const row = this.#db.get(`${SELECT} WHERE task_id = ? AND direction = 'outgoing'`, taskId);
    return row && toTask(row);
  }

  /** The outgoing tasks sent and not finished yet, oldest first: what a requester resumes. */
  unfinishedOutgoing(): OutgoingTask[] {
    return this.#db.all(
      `${SELECT} WHERE direction = 'outgoing' AND status NOT IN (${FINAL_SQL}, 'queued')
        ORDER BY id`,
    ).map(toTask);
  }

  /**
   * Changes an unfinished outgoing task; returns it as it is now, or undefined when it is
   * unknown or already finished (a final answer is never replaced). The row comes back from the
   * write itself (`RETURNING`), not from a second statement.
   */
  update(taskId: string, change: OutgoingChange): OutgoingTask | undefined {
    const final = change.status !== undefined && FINAL_OUTGOING.includes(change.status);
    const row = this.#db.get(
      `UPDATE group_tasks SET attempt = coalesce(?2, attempt), status = coalesce(?3, status),
        worker_id = CASE WHEN ?4 = 1 THEN ?5 ELSE worker_id END,
        excluded = coalesce(?6, excluded), topic = coalesce(?7, topic),
        response_content = coalesce(?8, response_content), reason = coalesce(?9, reason),
        responded_at = CASE WHEN ?10 = 1 THEN ?11 ELSE responded_at END, updated_at = ?11,
        request = CASE WHEN ?12 IS NULL THEN request ELSE json_set(request, '$.routes',
          json_insert(coalesce(json_extract(request, '$.routes'), json('[]')), '$[#]', json(?12)))
        END
        WHERE task_id = ?1 AND direction = 'outgoing' AND status NOT IN (${FINAL_SQL})
        RETURNING *`,
      taskId,
      change.attempt ?? null,
      change.status ?? null,
      change.workerId === undefined ? 0 : 1,
      change.workerId ?? null,
      change.excluded ? JSON.stringify(change.excluded) : null,
      change.topic ?? null,
      change.responseContent ?? null,
      change.reason ?? null,
      final ? 1 : 0,
      this.#db.now(),
      change.route ? JSON.stringify(change.route) : null,
    );
    return row && toTask(row);
  }
}
