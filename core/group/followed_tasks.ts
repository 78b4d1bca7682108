/**
 * What a {@link Requester} keeps of the tasks it follows (requester.ts): each task's stored row,
 * when its holder last spoke, the `seq` last read from each worker, its submit span, and the
 * promise of its one final answer, and which answers count as that one.
 *
 * @module
 */
import {
  FINAL_OUTGOING,
  type GroupTaskStore,
  type OutgoingStatus,
  type OutgoingTask,
} from "../timeline/mod.ts";
import type { ResponsePayload } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";
import type { GroupSpans, OpenSpan, TraceContext } from "./spans.ts";

/** A task's end, as the requester keeps it. */
export interface FinalAnswer {
  readonly taskId: string;
  readonly status: "completed" | "failed" | "rejected" | "expired";
  readonly content: string;
  readonly reason?: string | undefined;
  readonly responderId?: string | undefined;
}

/** Something the requester audits: a lapsed lease, a response dropped as not the first. */
export interface RequesterAudit {
  readonly event: "lease_lapsed" | "response_dropped";
  readonly taskId: string;
  readonly detail: string;
}

/**
 * Why a task moves on to its next attempt: in full (its worker's words included), and in a few
 * words made of ids alone, for the span of the route (FollowedTask `why`, `movedBecause`).
 */
export interface MoveReason {
  readonly full: string;
  readonly brief: string;
}

/** One task the requester follows until its final answer. */
export interface FollowedTask {
  task: OutgoingTask;
  /** When the holder last claimed or renewed (or the attempt was sent), in ms. */
  lastRenewal: number;
  /** Waiting for a live worker to send the current attempt to. */
  unrouted: boolean;
  /** The first request, when it could not be sent (Kafka out of reach): the next look sends it. */
  unsent: OutboundRecord | undefined;
  /** Why the current attempt moves on (kept with the worker chosen for it). */
  why: string;
  /**
   * The same in a few words made of ids alone (no worker's text), for the span of its route:
   * `w2 declined attempt 1`, `the lease of w2 lapsed`.
   */
  movedBecause: string;
  /** The last `seq` read from each worker: an older status is a late copy. */
  readonly seqs: Map<string, number>;
  readonly done: PromiseWithResolvers<FinalAnswer>;
  /** The submit span, from the first send to the final answer. */
  span: OpenSpan | undefined;
}

/** The tasks a requester follows, stored in `groupTasks` and held in memory until they end. */
export class FollowedTasks {
  readonly #store: GroupTaskStore;
  readonly #spans: GroupSpans | undefined;
  readonly #now: () => number;
  readonly #live = new Map<string, FollowedTask>();

  constructor(store: GroupTaskStore, spans: GroupSpans | undefined, now: () => number) {
    this.#store = store;
    this.#spans = spans;
    this.#now = now;
  }

  /**
   * Starts following `task` (its lease clock starts now) with its submit span: a new one as it is
   * sent to `topic` (under `parent`, the span of the task whose turn delegates it), or the one
   * an earlier run stored open when it resumes.
   */
  follow(
    task: OutgoingTask,
    sent: { readonly topic: string; readonly parent?: TraceContext | undefined } | "resumed",
  ): FollowedTask {
    const span = sent === "resumed"
      ? this.#spans?.reopen(task.taskId, "submit")
      : this.#spans?.begin({
        parent: sent.parent,
        type: "DELEGATION",
        title: `submit to ${sent.topic}`,
        attributes: { task_id: task.taskId, step: "submit", topic: sent.topic },
        content: String(task.request.content),
        zone: task.zone,
      });
    const followed: FollowedTask = {
      task,
      lastRenewal: this.#now(),
      unrouted: false,
      unsent: undefined,
      why: "",
      movedBecause: "",
      seqs: new Map(),
      done: Promise.withResolvers(),
      span,
    };
    this.#live.set(task.taskId, followed);
    return followed;
  }

  /** The followed task of `taskId`, if it has not ended. */
  get(taskId: string): FollowedTask | undefined {
    return this.#live.get(taskId);
  }

  /** The task ids followed now. */
  ids(): string[] {
    return [...this.#live.keys()];
  }

  /** A snapshot of the followed tasks (one may end while the caller walks it). */
  all(): FollowedTask[] {
    return [...this.#live.values()];
  }

  /** The final answer of a followed or kept task; undefined for an unknown one. */
  answer(taskId: string): Promise<FinalAnswer> | undefined {
    const live = this.#live.get(taskId);
    if (live) return live.done.promise;
    const task = this.#store.outgoing(taskId);
    return task && FINAL_OUTGOING.includes(task.status)
      ? Promise.resolve(finalOf(task))
      : undefined;
  }

  /**
   * The followed task that `answer` ends: one of its current attempt, from its holder (or from
   * anyone before a claim, since nothing is ordered across topics). Any other answer is dropped,
   * and audited unless it is the kept answer told again (redelivered, or a rejected status then
   * its response).
   */
  answered(
    answer: ResponsePayload,
    audit?: (event: RequesterAudit) => void,
  ): FollowedTask | undefined {
    const live = this.#live.get(answer.task_id);
    const holder = live?.task.workerId;
    if (
      live !== undefined && answer.attempt === live.task.attempt &&
      (holder === undefined || holder === answer.responder_id)
    ) return live;
    const kept = live?.task ?? this.#store.outgoing(answer.task_id);
    const same = kept?.workerId === answer.responder_id && kept?.status === answer.status &&
      kept?.responseContent === answer.content;
    if (kept !== undefined && !same) {
      audit?.({
        event: "response_dropped",
        taskId: answer.task_id,
        detail: `a response from ${answer.responder_id} (attempt ${answer.attempt}) that is ` +
          `not the task's first final answer from its holder`,
      });
    }
    return undefined;
  }

  /** Changes the stored row of a followed task, and the copy it holds. */
  update(live: FollowedTask, change: Parameters<GroupTaskStore["update"]>[1]): void {
    live.task = this.#store.update(live.task.taskId, change) ?? live.task;
  }

  /**
   * Moves a task on to its next attempt because of `why`, waiting for a worker to be chosen;
   * `from` (the worker that declined or lapsed) is never chosen for it again.
   */
  moveOn(live: FollowedTask, from: string | undefined, why: MoveReason): void {
    const { excluded } = live.task;
    this.update(live, {
      attempt: live.task.attempt + 1,
      status: "sent",
      workerId: null,
      excluded: from === undefined || excluded.includes(from) ? excluded : [...excluded, from],
    });
    live.unrouted = true;
    live.why = why.full;
    live.movedBecause = why.brief;
  }

  /**
   * Ends a task with its final answer: stored, no longer followed, waiters told, then its span
   * ended. The store holds the answer before any waiter can read it; the span ends at this
   * moment, but is stored and sent after the hand-over (spans.ts `endSoon`).
   */
  finish(live: FollowedTask, answer: Omit<FinalAnswer, "taskId">): void {
    this.update(live, {
      status: answer.status as OutgoingStatus,
      responseContent: answer.content,
      ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      ...(answer.responderId === undefined ? {} : { workerId: answer.responderId }),
    });
    this.#live.delete(live.task.taskId);
    live.done.resolve({ taskId: live.task.taskId, ...answer });
    live.span?.endSoon({
      attributes: {
        status: answer.status,
        ...(answer.responderId === undefined ? {} : { responder: answer.responderId }),
        ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      },
      content: answer.content,
    });
  }

  /** One step of a task (a grant, a revocation, an attempt sent on) under its submit span. */
  step(
    live: FollowedTask,
    step: "grant" | "revoke" | "route",
    title: string,
    attributes: Readonly<Record<string, unknown>>,
  ): void {
    if (live.span === undefined) return;
    this.#spans?.record({
      parent: live.span.context,
      type: "DELEGATION",
      title,
      attributes: { task_id: live.task.taskId, step, ...attributes },
      zone: live.task.zone,
    });
  }
}

function finalOf(task: OutgoingTask): FinalAnswer {
  return {
    taskId: task.taskId,
    status: task.status as FinalAnswer["status"],
    content: task.responseContent ?? "",
    reason: task.reason,
    responderId: task.workerId,
  };
}
