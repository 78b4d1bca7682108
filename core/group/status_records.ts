/**
 * The records of a task's life that are not the request itself: `task_status` (claimed,
 * assigned, in_progress, declined, rejected, revoked …) and `response`, with the topic each goes
 * to and a `seq` that only grows per producer, even across restarts (PROTOCOL.md, semantics 7).
 *
 * @module
 */
import {
  agentInbox,
  parseTopic,
  PROTOCOL_VERSION,
  type ResponsePayload,
  type TaskStatus,
  topicsFor,
  zoneTopic,
} from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";

/** Where a task lives: its group, and its zone if it came through one. */
export interface TaskPlace {
  readonly group: string;
  readonly zone?: string | undefined;
}

/**
 * Where a record addressed to one agent goes: its inbox, or for a zone's task the zone's inbox
 * (`group.<g>.zone.<z>.inbox`, read by the zone's members only), so a zone's task never leaves its
 * zone's topics when it is addressed to one member (a retry, a grant, a named sub-task).
 */
export function inboxFor(at: TaskPlace, agentId: string): string {
  return at.zone ? zoneTopic(at.group, at.zone, "inbox") : agentInbox(at.group, agentId);
}

/**
 * Throws when `topic` is not of the task's place: a zone's task only on its zone's topics, a
 * group task only on the group's. Every request a requester sends passes here.
 */
export function checkPlace(at: TaskPlace, topic: string): void {
  const where = parseTopic(topic);
  const zone = where?.role === "zone" ? where.zone : undefined;
  if (where?.group === at.group && zone === at.zone) return;
  const place = at.zone === undefined ? `group "${at.group}"` : `zone "${at.zone}"`;
  throw new Error(`Cannot send a task of ${place} to ${topic}: it is not a topic of its place`);
}

/** A producer's `seq`: the time in ms, or one more than the last when the clock did not move. */
export class SeqCounter {
  #last = 0;

  /** The next seq, larger than every one before. */
  next(now: number = Date.now()): number {
    this.#last = Math.max(this.#last + 1, now);
    return this.#last;
  }
}

/** What a status record says. */
export interface StatusFields {
  readonly taskId: string;
  readonly attempt: number;
  readonly workerId: string;
  readonly status: TaskStatus;
  readonly summary?: string | undefined;
}

/** Builds a task's records as one agent sends them. */
export class TaskRecords {
  readonly #sender: string;
  readonly #seq = new SeqCounter();
  readonly #now: () => Date;
  #lastSeq = 0;

  /** Records sent by `sender`. */
  constructor(sender: string, now: () => Date = () => new Date()) {
    this.#sender = sender;
    this.#now = now;
  }

  #envelope(type: string, taskId: string, payload: Readonly<Record<string, unknown>>) {
    return {
      type,
      correlation_id: taskId,
      sender_id: this.#sender,
      timestamp: this.#now().toISOString(),
      protocol: PROTOCOL_VERSION,
      payload,
    };
  }

  /**
   * A request (or skill request) to `topic`, keyed by its task id; with `trace`, the envelope
   * carries the task's trace id and the span that sent it, the parent of the receiver's spans.
   */
  request(
    topic: string,
    request: {
      readonly type: string;
      readonly payload: Readonly<Record<string, unknown>>;
      readonly taint: "trusted" | "untrusted";
    },
    trace?: { readonly traceId: string; readonly spanId: string },
  ): OutboundRecord {
    const taskId = String(request.payload.task_id);
    const envelope = this.#envelope(request.type, taskId, request.payload);
    const context = trace ? { trace_id: trace.traceId, span_id: trace.spanId } : {};
    return {
      topic,
      key: taskId,
      value: JSON.stringify({ ...envelope, ...context, taint: request.taint }),
    };
  }

  /** The `seq` of the latest status built. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** A status on the place's status stream, and also in the inbox of agent `inbox` when given ({@link inboxFor}). */
  status(at: TaskPlace, fields: StatusFields, inbox?: string): OutboundRecord[] {
    const value = JSON.stringify(this.#envelope("task_status", fields.taskId, {
      task_id: fields.taskId,
      attempt: fields.attempt,
      worker_id: fields.workerId,
      status: fields.status,
      ...(fields.summary === undefined ? {} : { summary: fields.summary }),
      seq: this.#lastSeq = this.#seq.next(this.#now().getTime()),
    }));
    const stream = at.zone
      ? zoneTopic(at.group, at.zone, "tasks.status")
      : topicsFor(at.group).tasksStatus;
    const records: OutboundRecord[] = [{ topic: stream, key: fields.taskId, value }];
    if (inbox !== undefined) {
      records.push({ topic: inboxFor(at, inbox), key: fields.taskId, value });
    }
    return records;
  }

  /** A response (or skill response) on the place's responses topic. */
  response(
    at: TaskPlace,
    task: { readonly taskId: string; readonly attempt: number; readonly skill: boolean },
    answer: Pick<ResponsePayload, "content" | "status" | "reason" | "usage"> & {
      readonly taint: "trusted" | "untrusted";
      readonly traceId?: string | undefined;
      /** The worker's span of the attempt. */
      readonly spanId?: string | undefined;
    },
  ): OutboundRecord {
    const { taint, traceId, spanId, ...rest } = answer;
    const value = JSON.stringify({
      ...this.#envelope(
        task.skill ? "skill_response" : "response",
        task.taskId,
        { task_id: task.taskId, attempt: task.attempt, responder_id: this.#sender, ...rest },
      ),
      ...(traceId ? { trace_id: traceId } : {}),
      ...(traceId && spanId ? { span_id: spanId } : {}),
      taint,
    });
    const topic = at.zone
      ? zoneTopic(at.group, at.zone, "responses")
      : topicsFor(at.group).responses;
    return { topic, key: task.taskId, value };
  }
}
