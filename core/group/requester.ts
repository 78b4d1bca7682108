/**
 * The requester's side of claim, grant, lease (PROTOCOL.md, semantics 3 and 4), with
 * `arbiter: "requester"`: every task it sends is stored (core/timeline `groupTasks`) and followed
 * on the status stream and the responses topic until one final answer is kept.
 *
 * - The first `claimed` of the current attempt gets `assigned` (in the worker's inbox and on the
 *   status stream); any other claimant, or a claim of an older attempt, gets `revoked`.
 * - Each renewal (`in_progress`) of the holder is acknowledged with `assigned`.
 * - A lease lapses only after `leaseMs` of silence from the holder *and* while the status consumer
 *   has no lag: every status the requester sent has come back to it on the stream, and the
 *   transport's measure (`statusCaughtUp`) agrees; then attempt+1 goes to the inbox of another
 *   live worker that offers the skill (live_workers.ts), never back to the lapsed holder.
 * - `declined` (and the requester's own request met on a shared topic: an agent never takes its
 *   own task) sends attempt+1 to another worker's inbox; `rejected` is final.
 * - An unclaimed task is not re-published; at its deadline the task ends `expired` with a reason
 *   that says whether anyone claimed it.
 * - The first final response of the current attempt (or one that comes before any claim, since
 *   nothing is ordered across topics) is kept; any later one is dropped and audited.
 * - {@link Requester.start} resumes the unfinished tasks of an earlier run: their lease clock
 *   starts again, the status stream (caught up from the agent's own consumer group) does the rest.
 * - With `spans` (spans.ts), a task's life is a `submit` span (its trace id and id go in the
 *   request's envelope; a sub-task's hangs under its parent's attempt) with its grants,
 *   revocations and attempts sent on as steps under it; it ends with the final answer, and a
 *   resumed task ends the span stored open in the earlier run.
 * - {@link Requester.sendQueued} sends the tasks another process of the same home queued in the
 *   store (`kafclaw task submit` beside a running gateway) and follows them as its own.
 *
 * @module
 */
import { agentInbox, type EnvelopeOf, parseRecord } from "../protocol/mod.ts";
import type { HandlerResult, InboundRecord, OutboundRecord } from "../transport/mod.ts";
import {
  FINAL_OUTGOING,
  type GroupTaskStore,
  type OutgoingStatus,
  type OutgoingTask,
} from "../timeline/mod.ts";
import { type LiveWorkers, rankWorkers, scoreOf } from "./live_workers.ts";
import type { GroupSpans, OpenSpan, TraceContext } from "./spans.ts";
import { type TaskPlace, TaskRecords } from "./status_records.ts";

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

/** What a {@link Requester} is built from. */
export interface RequesterDeps {
  readonly agentId: string;
  readonly group: string;
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  readonly store: GroupTaskStore;
  readonly workers: LiveWorkers;
  /** `group.heartbeatIntervalMs` (default 10 s): how often leases and deadlines are looked at. */
  readonly heartbeatIntervalMs?: number;
  /** Silence after which a lease lapses (default 30 s, kafkajs' retry budget, + 3 intervals). */
  readonly leaseMs?: number;
  /** Whether the status consumer has read everything there is (no lag); default: always. */
  readonly statusCaughtUp?: () => boolean | Promise<boolean>;
  readonly audit?: (event: RequesterAudit) => void;
  /** Records the task's steps as spans (spans.ts): submit, grants, attempts sent on. */
  readonly spans?: GroupSpans;
  readonly now?: () => Date;
}

interface Live {
  task: OutgoingTask;
  lastRenewal: number;
  /** Waiting for a live worker to send the current attempt to. */
  unrouted: boolean;
  /** Why the current attempt moves on (kept with the worker chosen for it). */
  why: string;
  readonly seqs: Map<string, number>;
  readonly done: PromiseWithResolvers<FinalAnswer>;
  /** The submit span, from the first send to the final answer. */
  span: OpenSpan | undefined;
}

/** Sends tasks and sees each through to one final answer; see the module documentation. */
export class Requester {
  readonly #deps: RequesterDeps;
  readonly #records: TaskRecords;
  readonly #live = new Map<string, Live>();
  readonly #interval: number;
  readonly #leaseMs: number;
  /** The seq of each status this requester sent and has not read back yet, with when it was sent. */
  readonly #inFlight = new Map<number, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #queueing = false;

  constructor(deps: RequesterDeps) {
    this.#deps = deps;
    this.#records = new TaskRecords(deps.agentId, deps.now);
    this.#interval = deps.heartbeatIntervalMs ?? 10_000;
    this.#leaseMs = deps.leaseMs ?? 30_000 + 3 * this.#interval;
  }

  #now(): number {
    return (this.#deps.now?.() ?? new Date()).getTime();
  }

  /** Resumes the unfinished tasks of an earlier run and starts watching leases and deadlines. */
  start(): void {
    for (const task of this.#deps.store.unfinishedOutgoing()) {
      if (!this.#live.has(task.taskId)) {
        this.#follow(task).span = this.#deps.spans?.reopen(task.taskId, "submit");
      }
    }
    // A look that failed to send (a grant, a revocation) is made again at the next interval.
    this.#timer ??= setInterval(() => this.tick().catch(() => {}), this.#interval);
  }

  /** Stops watching (tasks stay stored, to resume). Waiters of unfinished tasks stay pending. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Silence after which a holder's lease lapses, in milliseconds. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /** The task ids this requester follows now. */
  following(): string[] {
    return [...this.#live.keys()];
  }

  /**
   * Sends a request (its payload complete: `task_id`, `requester_id` this agent, `arbiter`) to
   * `topic`, stores it, and follows it. Resolves once the record is sent. Its submit span is a
   * child of `parent` (the span of the task whose turn delegates it), else a new trace's root.
   */
  async send(
    request: {
      readonly type: "request" | "skill_request";
      readonly payload: Readonly<Record<string, unknown>>;
      readonly taint: "trusted" | "untrusted";
    },
    to: { readonly topic: string; readonly zone?: string | undefined },
    parent?: TraceContext,
  ): Promise<string> {
    const taskId = String(request.payload.task_id);
    const task = this.#deps.store.addOutgoing({
      taskId,
      type: request.type,
      request: request.payload,
      taint: request.taint,
      topic: to.topic,
      zone: to.zone,
    });
    await this.#dispatch(task, to.topic, parent);
    return taskId;
  }

  /**
   * Sends the tasks queued in the store by another process of this agent's home (`kafclaw task
   * submit` beside a running gateway), and follows them as its own.
   */
  async sendQueued(): Promise<void> {
    if (this.#queueing) return;
    this.#queueing = true;
    try {
      for (const queued of this.#deps.store.queued()) {
        const task = this.#deps.store.update(queued.taskId, { status: "sent" });
        if (task !== undefined && !this.#live.has(task.taskId)) {
          await this.#dispatch(task, task.topic ?? "");
        }
      }
    } finally {
      this.#queueing = false;
    }
  }

  async #dispatch(task: OutgoingTask, topic: string, parent?: TraceContext): Promise<void> {
    const live = this.#follow(task);
    live.span = this.#deps.spans?.begin({
      parent,
      type: "DELEGATION",
      title: `submit to ${topic}`,
      attributes: { task_id: task.taskId, step: "submit", topic },
      content: String(task.request.content ?? ""),
      zone: task.zone,
    });
    const { type, request: payload, taint } = task;
    await this.#deps.send([
      this.#records.request(topic, { type, payload, taint }, live.span?.context),
    ]);
  }

  /** The final answer of a task this requester follows or kept; undefined for an unknown one. */
  answer(taskId: string): Promise<FinalAnswer> | undefined {
    const live = this.#live.get(taskId);
    if (live) return live.done.promise;
    const task = this.#deps.store.outgoing(taskId);
    return task && FINAL_OUTGOING.includes(task.status)
      ? Promise.resolve(finalOf(task))
      : undefined;
  }

  #follow(task: OutgoingTask): Live {
    const live: Live = {
      task,
      lastRenewal: this.#now(),
      unrouted: false,
      why: "",
      seqs: new Map(),
      done: Promise.withResolvers(),
      span: undefined,
    };
    this.#live.set(task.taskId, live);
    return live;
  }

  #place(live: Live): TaskPlace {
    return { group: this.#deps.group, zone: live.task.zone };
  }

  async #tell(
    live: Live,
    worker: string,
    status: "assigned" | "revoked",
    attempt = live.task.attempt,
    renewal = false,
  ): Promise<void> {
    const { taskId } = live.task;
    const fields = { taskId, attempt, workerId: worker, status };
    const records = this.#records.status(this.#place(live), fields, worker);
    if (!renewal) {
      const step = status === "assigned" ? "grant" : "revoke";
      this.#step(live, step, `${status} attempt ${attempt} to ${worker}`, { attempt, worker });
    }
    const seq = this.#records.lastSeq;
    this.#inFlight.set(seq, this.#now());
    try {
      await this.#deps.send(records);
    } catch (error) {
      this.#inFlight.delete(seq);
      throw error;
    }
  }

  /**
   * Whether the status consumer has read everything up to now, as far as this requester can
   * tell: every status it sent itself came back (one not back after three leases counts as
   * lost), and the transport's own measure, if any, says so too.
   */
  async #caughtUp(now: number): Promise<boolean> {
    for (const [seq, sentAt] of this.#inFlight) {
      if (now - sentAt > 3 * this.#leaseMs) this.#inFlight.delete(seq);
    }
    if (this.#inFlight.size > 0) return false;
    return await (this.#deps.statusCaughtUp?.() ?? true);
  }

  #update(live: Live, change: Parameters<GroupTaskStore["update"]>[1]): void {
    live.task = this.#deps.store.update(live.task.taskId, change) ?? live.task;
  }

  /** The handler of the status stream (the group's `tasks.status`, a zone's). */
  readonly handleStatus = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "task_status") return;
    const status = parsed.envelope.payload;
    if (parsed.envelope.sender_id === this.#deps.agentId) {
      this.#inFlight.delete(status.seq);
      return;
    }
    const live = this.#live.get(status.task_id);
    // Only a worker speaks for itself here (the grants this agent sent name the worker too).
    if (!live || parsed.envelope.sender_id !== status.worker_id) return;
    const last = live.seqs.get(status.worker_id) ?? -1;
    if (status.seq <= last) return;
    live.seqs.set(status.worker_id, status.seq);
    const worker = status.worker_id;
    const holder = live.task.workerId;
    if (status.attempt !== live.task.attempt) {
      if (status.status === "claimed" || status.status === "in_progress") {
        await this.#tell(live, worker, "revoked", status.attempt);
      }
      return;
    }
    switch (status.status) {
      case "claimed":
        if (holder === undefined || holder === worker) {
          this.#update(live, { status: "assigned", workerId: worker });
          live.lastRenewal = this.#now();
          await this.#tell(live, worker, "assigned");
        } else await this.#tell(live, worker, "revoked");
        return;
      case "in_progress":
        if (holder !== worker) return await this.#tell(live, worker, "revoked");
        live.lastRenewal = this.#now();
        return await this.#tell(live, worker, "assigned", live.task.attempt, true);
      case "declined":
        if (holder === undefined || holder === worker) {
          const summary = status.summary ? `: ${status.summary}` : "";
          await this.#retry(live, worker, `${worker} declined attempt ${status.attempt}${summary}`);
        }
        return;
      case "rejected":
        return this.#finish(live, {
          status: "rejected",
          content: "",
          reason: status.summary ?? "rejected",
          responderId: worker,
        });
    }
  };

  /** The handler of the responses topic (the group's, a zone's). */
  readonly handleResponse = (record: InboundRecord): HandlerResult => {
    const parsed = parseRecord(record);
    if (!parsed.ok) return;
    const { envelope } = parsed;
    if (envelope.type !== "response" && envelope.type !== "skill_response") return;
    const answer = envelope.payload;
    const live = this.#live.get(answer.task_id);
    const holder = live?.task.workerId;
    const current = live !== undefined && answer.attempt === live.task.attempt &&
      (holder === undefined || holder === answer.responder_id);
    if (live === undefined || !current) {
      const kept = live?.task ?? this.#deps.store.outgoing(answer.task_id);
      // The same answer told twice (redelivered, or a rejected status then its response) is no
      // second answer.
      const same = kept?.workerId === answer.responder_id && kept?.status === answer.status &&
        kept?.responseContent === answer.content;
      if (kept !== undefined && !same) {
        this.#deps.audit?.({
          event: "response_dropped",
          taskId: answer.task_id,
          detail: `a response from ${answer.responder_id} (attempt ${answer.attempt}) that is ` +
            `not the task's first final answer from its holder`,
        });
      }
      return;
    }
    this.#finish(live, {
      status: answer.status,
      content: answer.content,
      reason: answer.reason,
      responderId: answer.responder_id,
    });
  };

  /** This agent's own request, met on a shared topic: it goes to another worker instead. */
  ownRequest(request: EnvelopeOf<"request" | "skill_request">): void {
    const live = this.#live.get(request.payload.task_id);
    if (live && live.task.workerId === undefined && request.payload.attempt === live.task.attempt) {
      void this.#retry(live, undefined, "the requester met its own request on a shared topic");
    }
  }

  /** Sends attempt+1 to another live worker's inbox, leaving out `from` and every one before. */
  async #retry(live: Live, from: string | undefined, why: string): Promise<void> {
    const excluded = from === undefined || live.task.excluded.includes(from)
      ? live.task.excluded
      : [...live.task.excluded, from];
    this.#update(live, {
      attempt: live.task.attempt + 1,
      status: "sent",
      workerId: null,
      excluded,
    });
    live.unrouted = true;
    live.why = why;
    await this.#route(live);
  }

  async #route(live: Live): Promise<void> {
    const skill = typeof live.task.request.skill === "string" ? live.task.request.skill : undefined;
    const ranked = rankWorkers(this.#deps.workers, {
      skill,
      exclude: [...live.task.excluded, this.#deps.agentId],
    });
    const chosen = ranked[0];
    if (chosen === undefined) return;
    live.unrouted = false;
    const payload = { ...live.task.request, attempt: live.task.attempt, target_id: chosen.agentId };
    const topic = agentInbox(this.#deps.group, chosen.agentId);
    const score = scoreOf(chosen, skill);
    const best = skill === undefined
      ? "the most free capacity"
      : `the best expertise in ${skill} (${score}), then the most free capacity`;
    this.#update(live, {
      topic,
      route: {
        attempt: live.task.attempt,
        agent_id: chosen.agentId,
        ...(skill === undefined ? {} : { score }),
        load: { running: chosen.load.running, capacity: chosen.load.capacity },
        reason: `${live.why}; ${chosen.agentId} has ${best} of ${ranked.length} live ` +
          `worker(s)${skill === undefined ? "" : ` offering ${skill}`}`,
        candidates: ranked.length,
        at: new Date(this.#now()).toISOString(),
      },
    });
    live.lastRenewal = this.#now();
    const { type, taint } = live.task;
    const attempt = live.task.attempt;
    this.#step(live, "route", `sent attempt ${attempt} to ${chosen.agentId}`, {
      attempt,
      worker: chosen.agentId,
    });
    const record = this.#records.request(topic, { type, payload, taint }, live.span?.context);
    try {
      await this.#deps.send([record]);
    } catch {
      // Not sent (a worker whose inbox does not exist, the broker unreachable): the task still
      // waits for a worker, and the next look sends it again.
      live.unrouted = true;
    }
  }

  /** One look at every followed task: deadlines, lapsed leases, tasks waiting for a worker. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const live of [...this.#live.values()]) await this.#look(live);
    } finally {
      this.#ticking = false;
    }
  }

  async #look(live: Live): Promise<void> {
    const now = this.#now();
    const { task } = live;
    if (task.deadlineAt !== undefined && task.deadlineAt.getTime() <= now) {
      const who = task.workerId === undefined
        ? "no worker held it"
        : `${task.workerId} held attempt ${task.attempt}`;
      if (task.workerId !== undefined) await this.#tell(live, task.workerId, "revoked");
      return this.#finish(live, {
        status: "expired",
        content: "",
        reason: `no answer before the deadline ${task.deadlineAt.toISOString()} (${who})`,
      });
    }
    if (live.unrouted) return await this.#route(live);
    if (task.workerId === undefined || now - live.lastRenewal <= this.#leaseOf(task.workerId)) {
      return;
    }
    if (!(await this.#caughtUp(now))) return;
    this.#deps.audit?.({
      event: "lease_lapsed",
      taskId: task.taskId,
      detail: `${task.workerId} sent nothing for attempt ${task.attempt} in ${
        now - live.lastRenewal
      } ms`,
    });
    await this.#retry(live, task.workerId, `the lease of ${task.workerId} lapsed`);
  }

  /**
   * The lease of a holder: `leaseMs`, but never less than 3 of the intervals the holder announced
   * (a slower peer renews more slowly, and stops itself only after 2 of its own intervals).
   */
  #leaseOf(holder: string): number {
    const announced = this.#deps.workers.live().find((w) => w.agentId === holder)
      ?.heartbeatIntervalMs;
    return Math.max(this.#leaseMs, 3 * (announced ?? 0));
  }

  #finish(live: Live, answer: Omit<FinalAnswer, "taskId">): void {
    this.#update(live, {
      status: answer.status as OutgoingStatus,
      responseContent: answer.content,
      ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      ...(answer.responderId === undefined ? {} : { workerId: answer.responderId }),
    });
    this.#live.delete(live.task.taskId);
    live.span?.end({
      attributes: {
        status: answer.status,
        ...(answer.responderId === undefined ? {} : { responder: answer.responderId }),
        ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      },
      content: answer.content,
    });
    live.done.resolve({ taskId: live.task.taskId, ...answer });
  }

  /** One step of a task (a grant, a revocation, an attempt sent on) under its submit span. */
  #step(
    live: Live,
    step: "grant" | "revoke" | "route",
    title: string,
    attributes: Readonly<Record<string, unknown>>,
  ): void {
    if (live.span === undefined) return;
    this.#deps.spans?.record({
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
