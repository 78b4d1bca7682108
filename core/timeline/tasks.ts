/**
 * Tasks: one per inbound message the agent handles, created under an idempotency key so a
 * redelivered message never runs twice. A task moves pending → processing → completed | failed,
 * accumulates token counts and cost, and tracks the delivery of its answer with retries.
 *
 * @module
 */
import type { Db, Param, Row } from "./_db.ts";
import { date, int, optDate, optText, pageLimit, pageOf, randomHex, real, text } from "./_row.ts";
import type { MessageType, Page, PageOptions } from "./types.ts";

/**
 * What a delivery attempt throws when its channel can never deliver the text as it is (WhatsApp's
 * customer-service window has closed): {@link TaskStore.deliveryFailed} then fails the delivery at
 * once, with this message as the task's `errorText`, instead of retrying in vain.
 */
export class UndeliverableError extends Error {
  override name = "UndeliverableError";
}

/** Where a task is in its life. */
export type TaskStatus = "pending" | "processing" | "completed" | "failed";

/** Where the delivery of a task's answer is. */
export type DeliveryStatus = "pending" | "sent" | "failed" | "skipped";

/** A stored task. */
export interface Task {
  readonly id: number;
  readonly taskId: string;
  readonly idempotencyKey: string;
  readonly traceId: string;
  readonly channel: string;
  readonly chatId: string;
  readonly senderId: string;
  readonly messageType: MessageType;
  readonly status: TaskStatus;
  readonly contentIn: string;
  readonly contentOut: string | undefined;
  readonly errorText: string | undefined;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly costUsd: number;
  readonly deliveryStatus: DeliveryStatus;
  readonly deliveryAttempts: number;
  readonly deliveryNextAt: Date | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | undefined;
}

/** A new task. `taskId` and `traceId` are made when not given. */
export interface TaskInput {
  readonly idempotencyKey: string;
  readonly channel: string;
  readonly taskId?: string;
  readonly traceId?: string;
  readonly chatId?: string;
  readonly senderId?: string;
  readonly messageType?: MessageType;
  readonly contentIn?: string;
}

/** Tokens and cost of one or more model calls, added to a task's totals. */
export interface TaskUsage {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly costUsd?: number;
  /** The provider and model of the latest call. */
  readonly provider?: string;
  readonly model?: string;
}

/** The retry rule for deliveries: wait `baseMs · 2^(attempt-1)`, at most `capMs`. */
export interface DeliveryRetry {
  /** Attempts before the delivery counts as failed (default 5). */
  readonly maxAttempts?: number;
  /** Default 30 000. */
  readonly baseMs?: number;
  /** Default 300 000. */
  readonly capMs?: number;
}

function toTask(row: Row): Task {
  return {
    id: int(row, "id"),
    taskId: text(row, "task_id"),
    idempotencyKey: text(row, "idempotency_key"),
    traceId: text(row, "trace_id"),
    channel: text(row, "channel"),
    chatId: text(row, "chat_id"),
    senderId: text(row, "sender_id"),
    messageType: text(row, "message_type") as MessageType,
    status: text(row, "status") as TaskStatus,
    contentIn: text(row, "content_in"),
    contentOut: optText(row, "content_out"),
    errorText: optText(row, "error_text"),
    promptTokens: int(row, "prompt_tokens"),
    completionTokens: int(row, "completion_tokens"),
    totalTokens: int(row, "total_tokens"),
    provider: optText(row, "provider"),
    model: optText(row, "model"),
    costUsd: real(row, "cost_usd"),
    deliveryStatus: text(row, "delivery_status") as DeliveryStatus,
    deliveryAttempts: int(row, "delivery_attempts"),
    deliveryNextAt: optDate(row, "delivery_next_at"),
    createdAt: date(row, "created_at"),
    updatedAt: date(row, "updated_at"),
    completedAt: optDate(row, "completed_at"),
  };
}

const FINISHED = "status IN ('completed', 'failed') AND content_out IS NOT NULL";

/** The `tasks` repository of a Timeline. */
export class TaskStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Creates a task, or returns the one already created under the same idempotency key. */
  create(input: TaskInput): { readonly task: Task; readonly created: boolean } {
    const now = this.#db.now();
    const row = this.#db.get(
      `INSERT INTO tasks (task_id, idempotency_key, trace_id, channel, chat_id, sender_id,
        message_type, content_in, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      input.taskId ?? randomHex(16),
      input.idempotencyKey,
      input.traceId ?? randomHex(16),
      input.channel,
      input.chatId ?? "",
      input.senderId ?? "",
      input.messageType ?? "internal",
      input.contentIn ?? "",
      now,
      now,
    );
    if (row) return { task: toTask(row), created: true };
    return { task: this.byIdempotencyKey(input.idempotencyKey)!, created: false };
  }

  /** A task by id. */
  get(taskId: string): Task | undefined {
    const row = this.#db.get("SELECT * FROM tasks WHERE task_id = ?", taskId);
    return row && toTask(row);
  }

  /** A task by idempotency key. */
  byIdempotencyKey(key: string): Task | undefined {
    const row = this.#db.get("SELECT * FROM tasks WHERE idempotency_key = ?", key);
    return row && toTask(row);
  }

  /** Tasks, newest first, optionally with one status. */
  list(options: PageOptions & { readonly status?: TaskStatus } = {}): Page<Task> {
    const limit = pageLimit(options.limit);
    const rows = this.#db.all(
      `SELECT * FROM tasks WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR id < ?2)
        ORDER BY id DESC LIMIT ?3`,
      options.status,
      options.before,
      limit + 1,
    );
    return pageOf(rows, limit, toTask);
  }

  /** `?1` is now, `?2` the task id, `?3` … the params. */
  #update(taskId: string, set: string, where: string, ...params: Param[]): Task | undefined {
    const row = this.#db.get(
      `UPDATE tasks SET ${set}, updated_at = ?1 WHERE task_id = ?2 AND ${where} RETURNING *`,
      this.#db.now(),
      taskId,
      ...params,
    );
    return row && toTask(row);
  }

  #missing(taskId: string): never {
    throw new RangeError(`Cannot find task ${JSON.stringify(taskId)}`);
  }

  #refuse(taskId: string, what: (task: Task) => string): never {
    const task = this.get(taskId) ?? this.#missing(taskId);
    throw new RangeError(`Cannot ${what(task)}`);
  }

  #move(taskId: string, to: TaskStatus, from: TaskStatus[], set: string, ...params: Param[]) {
    const allowed = from.map((s) => `'${s}'`).join(", ");
    return this.#update(taskId, `status = '${to}', ${set}`, `status IN (${allowed})`, ...params) ??
      this.#refuse(taskId, (t) => `move task ${JSON.stringify(taskId)} from ${t.status} to ${to}`);
  }

  /** pending → processing. Throws RangeError for an unknown task or another state. */
  start(taskId: string): Task {
    return this.#move(taskId, "processing", ["pending"], "error_text = NULL");
  }

  /** pending | processing → completed, with the answer to deliver. */
  complete(taskId: string, contentOut: string): Task {
    return this.#move(
      taskId,
      "completed",
      ["pending", "processing"],
      "content_out = ?3, completed_at = ?1",
      contentOut,
    );
  }

  /** pending | processing → failed, with the error and, if any, a reply to deliver. */
  fail(taskId: string, errorText: string, options: { readonly reply?: string } = {}): Task {
    return this.#move(
      taskId,
      "failed",
      ["pending", "processing"],
      "error_text = ?3, content_out = ?4, completed_at = ?1",
      errorText,
      options.reply ?? null,
    );
  }

  /** Adds the tokens and cost of model calls to a task. */
  addUsage(taskId: string, usage: TaskUsage): Task {
    const prompt = usage.promptTokens ?? 0;
    const completion = usage.completionTokens ?? 0;
    return this.#update(
      taskId,
      `prompt_tokens = prompt_tokens + ?3, completion_tokens = completion_tokens + ?4,
        total_tokens = total_tokens + ?3 + ?4, cost_usd = cost_usd + ?5,
        provider = coalesce(?6, provider), model = coalesce(?7, model)`,
      "1",
      prompt,
      completion,
      usage.costUsd ?? 0,
      usage.provider ?? null,
      usage.model ?? null,
    ) ?? this.#missing(taskId);
  }

  /** Records the answer as sent (counting the attempt), or as deliberately not sent. */
  markDelivery(taskId: string, status: "sent" | "skipped"): Task {
    return this.#update(
      taskId,
      `delivery_status = ?3, delivery_next_at = NULL,
        delivery_attempts = delivery_attempts + (?3 = 'sent')`,
      "delivery_status = 'pending'",
      status,
    ) ?? this.#refuse(taskId, (t) => this.#deliveryDone(t, status));
  }

  /**
   * Records a failed delivery attempt: the next attempt is due after the backoff, or, once
   * `maxAttempts` have failed, the delivery is failed for good; at once when `error` (what the
   * attempt threw) is an {@link UndeliverableError}.
   */
  deliveryFailed(taskId: string, retry: DeliveryRetry = {}, error?: unknown): Task {
    // A text the channel can never deliver as it is fails now, with the reason on the task.
    const final = error instanceof UndeliverableError;
    const max = final ? 0 : retry.maxAttempts ?? 5;
    const base = retry.baseMs ?? 30_000;
    const cap = retry.capMs ?? 300_000;
    return this.#db.tx(() => {
      const task = this.get(taskId);
      if (task?.deliveryStatus !== "pending") {
        return this.#refuse(taskId, (t) => this.#deliveryDone(t, "failed"));
      }
      const attempts = task.deliveryAttempts + 1;
      const waitMs = Math.min(cap, base * 2 ** (attempts - 1));
      const next = attempts >= max ? null : new Date(this.#db.now().getTime() + waitMs);
      return this.#update(
        taskId,
        `delivery_attempts = ?3, delivery_next_at = ?4,
          delivery_status = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'pending' END,
          error_text = coalesce(error_text, ?5)`,
        "1",
        attempts,
        next,
        final ? `delivery: ${error.message}` : null,
      )!;
    });
  }

  /**
   * Records that a delivery marked sent did not arrive after all (the platform reported it later):
   * the delivery becomes failed, with `reason` as the task's `errorText` unless it has one.
   * Undefined, and nothing changed, for a task that is unknown or not marked sent.
   */
  deliveryLost(taskId: string, reason: string): Task | undefined {
    return this.#update(
      taskId,
      "delivery_status = 'failed', error_text = coalesce(error_text, ?3)",
      "delivery_status = 'sent'",
      reason,
    );
  }

  #deliveryDone(task: Task, status: DeliveryStatus): string {
    return `mark the delivery of task ${JSON.stringify(task.taskId)} ${status}: ` +
      `it is already ${task.deliveryStatus}`;
  }

  /** Finished tasks whose answer is waiting to be delivered and whose next attempt is due. */
  dueDeliveries(now: Date = this.#db.now(), options: { readonly limit?: number } = {}): Task[] {
    return this.#db.all(
      `SELECT * FROM tasks WHERE delivery_status = 'pending' AND ${FINISHED}
        AND (delivery_next_at IS NULL OR delivery_next_at <= ?)
        ORDER BY coalesce(delivery_next_at, completed_at), id LIMIT ?`,
      now,
      pageLimit(options.limit, 100),
    ).map(toTask);
  }
}
