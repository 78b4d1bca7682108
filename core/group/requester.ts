/**
 * The requester's side of claim, grant, lease (PROTOCOL.md, semantics 3 and 4), with
 * `arbiter: "requester"`: every task it sends is stored (core/timeline `groupTasks`) and followed
 * on the status stream and the responses topic until one final answer is kept.
 *
 * - Each status of a worker gets its answer (status_replies.ts): the first claim of the current
 *   attempt is granted with `assigned` (in the worker's inbox and on the status stream), any other
 *   claim revoked, the holder's renewals acknowledged; `declined` (and the requester's own request
 *   met on a shared topic: an agent never takes its own task) sends attempt+1 to another worker's
 *   inbox (attempt_route.ts), never back to one that had it; `rejected` is final.
 * - A zone's task stays on its zone's topics: its later attempts and its grants go to the zone's
 *   inbox addressed to a member, never to a group-wide inbox; a request for a topic outside the
 *   task's place is refused before it is sent (status_records.ts `checkPlace`).
 * - A lease lapses, and attempt+1 goes on, only after the holder's silence while the status
 *   consumer has no lag; at its deadline a task ends `expired` (leases.ts). An unclaimed task is
 *   not re-published.
 * - With `arbiter: "none"` claims and renewals get no answer and no holder is stored: the first
 *   claim is the grant, nobody acknowledges renewals, and no lease lapses (nobody re-publishes);
 *   a decline or a rejection is handled as above.
 * - The first final response of the current attempt (or one before any claim) is kept; any later
 *   one is dropped and audited (followed_tasks.ts).
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
import { type EnvelopeOf, parseRecord, parseTopic } from "../protocol/mod.ts";
import {
  type HandlerResult,
  type InboundRecord,
  type OutboundRecord,
  TopicMissingError,
} from "../transport/mod.ts";
import type { GroupTaskStore, OutgoingTask } from "../timeline/mod.ts";
import { messageOf } from "./_message.ts";
import { routeAttempt } from "./attempt_route.ts";
import { replyTo } from "./status_replies.ts";
import {
  type FinalAnswer,
  type FollowedTask,
  FollowedTasks,
  type MoveReason,
  type RequesterAudit,
} from "./followed_tasks.ts";
import { expiry, Leases } from "./leases.ts";
import { isLive, type LiveWorkers } from "./live_workers.ts";
import type { GroupSpans, TraceContext } from "./spans.ts";
import { checkPlace, TaskRecords } from "./status_records.ts";

export type { FinalAnswer, RequesterAudit } from "./followed_tasks.ts";

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
  /**
   * Whether the consumer of `task`'s statuses and responses has read everything there is (no
   * lag); default: always (leases.ts).
   */
  readonly statusCaughtUp?: (task: OutgoingTask) => boolean | Promise<boolean>;
  readonly audit?: (event: RequesterAudit) => void;
  /** Who is in which zone: a zone's task moves on only to a member's inbox (none without it). */
  readonly zones?: { isMember(zone: string, agentId: string): boolean };
  /** Records the task's steps as spans (spans.ts): submit, grants, attempts sent on. */
  readonly spans?: GroupSpans;
  /** Told, in one line, of what a look at the tasks could not do (each failure once in a row). */
  readonly warn?: (line: string) => void;
  readonly now?: () => Date;
}

/** Sends tasks and sees each through to one final answer; see the module documentation. */
export class Requester {
  readonly #deps: RequesterDeps;
  readonly #records: TaskRecords;
  readonly #tasks: FollowedTasks;
  readonly #interval: number;
  readonly #leaseMs: number;
  readonly #leases: Leases;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  /** The last failure of a look said, so that the same one is not said at every look. */
  #warned: string | undefined;
  #queueing = false;

  constructor(deps: RequesterDeps) {
    this.#deps = deps;
    this.#records = new TaskRecords(deps.agentId, deps.now);
    this.#interval = deps.heartbeatIntervalMs ?? 10_000;
    this.#leaseMs = deps.leaseMs ?? 30_000 + 3 * this.#interval;
    this.#tasks = new FollowedTasks(deps.store, deps.spans, () => this.#now());
    const { workers, statusCaughtUp } = deps;
    this.#leases = new Leases({ leaseMs: this.#leaseMs, workers, statusCaughtUp });
  }

  #now(): number {
    return (this.#deps.now?.() ?? new Date()).getTime();
  }

  /**
   * Resumes the unfinished tasks of an earlier run and starts watching leases and deadlines. An
   * attempt that run moved on (declined, lapsed, or its own request met on a shared topic) but
   * chose no worker for still waits for one: the next look sends it.
   */
  start(): void {
    for (const task of this.#deps.store.unfinishedOutgoing()) {
      if (this.#tasks.get(task.taskId) !== undefined) continue;
      const live = this.#tasks.follow(task, "resumed");
      const routed = task.routes.some((route) => route.attempt === task.attempt);
      if (task.attempt > 1 && task.workerId === undefined && !routed) {
        live.unrouted = true;
        live.why = `attempt ${task.attempt} waited for a worker when the earlier run ended`;
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
    return this.#tasks.ids();
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
    // A zone's task goes only to its zone's topics, a group task only to the group's.
    checkPlace({ group: this.#deps.group, zone: to.zone }, to.topic);
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
        try {
          checkPlace({ group: this.#deps.group, zone: queued.zone }, queued.topic!);
        } catch (error) {
          const reason = (error as Error).message;
          this.#deps.store.update(queued.taskId, { status: "failed", reason });
          continue;
        }
        if (this.#tasks.get(queued.taskId) === undefined) {
          // A queued task has its topic: the store takes none without one. It stays queued until
          // its request is sent: not sent now, the next look sends it (its record kept), or after
          // a restart this call again, as its submitter waits for its answer.
          await this.#dispatch(queued, queued.topic!, undefined, "later");
        }
      }
    } finally {
      this.#queueing = false;
    }
  }

  /**
   * Follows `task` and sends its request to `topic`. A topic that does not exist (an agent that
   * never joined, or whose inbox `group gc` removed) will never take it: the task fails at once,
   * saying so. Any other failure to send fails it too (the caller is told), unless `unsent` is
   * "later": then its record is kept and the next look sends it.
   */
  async #dispatch(
    task: OutgoingTask,
    topic: string,
    parent?: TraceContext,
    unsent: "fail" | "later" = "fail",
  ): Promise<void> {
    const live = this.#tasks.follow(task, { topic, parent });
    const { type, request: payload, taint } = task;
    const record = this.#records.request(topic, { type, payload, taint }, live.span?.context);
    try {
      await this.#deps.send([record]);
      this.#sent(live);
    } catch (error) {
      if (error instanceof TopicMissingError) {
        const reason = nowhere(this.#deps.group, error.topic);
        return this.#tasks.finish(live, { status: "failed", content: "", reason });
      }
      if (unsent === "later") {
        live.unsent = record;
        return;
      }
      const reason = `the request could not be sent: ${(error as Error).message}`;
      this.#tasks.finish(live, { status: "failed", content: "", reason });
      throw error;
    }
  }

  /** Marks a queued task sent, once its request went out. */
  #sent(live: FollowedTask): void {
    live.unsent = undefined;
    if (live.task.status === "queued") this.#tasks.update(live, { status: "sent" });
  }

  /** The final answer of a task this requester follows or kept; undefined for an unknown one. */
  answer(taskId: string): Promise<FinalAnswer> | undefined {
    return this.#tasks.answer(taskId);
  }

  async #tell(
    live: FollowedTask,
    worker: string,
    status: "assigned" | "revoked",
    attempt = live.task.attempt,
    renewal = false,
  ): Promise<void> {
    const { taskId } = live.task;
    const fields = { taskId, attempt, workerId: worker, status };
    const records = this.#records.status(
      { group: this.#deps.group, zone: live.task.zone },
      fields,
      worker,
    );
    if (!renewal) {
      const step = status === "assigned" ? "grant" : "revoke";
      this.#tasks.step(live, step, `${status} attempt ${attempt} to ${worker}`, {
        attempt,
        worker,
      });
    }
    const seq = this.#records.lastSeq;
    this.#leases.sent(seq, this.#now());
    try {
      await this.#deps.send(records);
    } catch (error) {
      this.#leases.back(seq);
      throw error;
    }
  }

  /** The handler of the status stream (the group's `tasks.status`, a zone's). */
  readonly handleStatus = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "task_status") return;
    const status = parsed.envelope.payload;
    if (parsed.envelope.sender_id === this.#deps.agentId) return this.#leases.back(status.seq);
    const live = this.#tasks.get(status.task_id);
    // Only a worker speaks for itself here (the grants this agent sent name the worker too).
    if (!live || parsed.envelope.sender_id !== status.worker_id) return;
    const worker = status.worker_id;
    if (status.seq <= (live.seqs.get(worker) ?? -1)) return;
    live.seqs.set(worker, status.seq);
    const reply = replyTo(live.task, status);
    switch (reply?.kind) {
      case "grant":
        this.#tasks.update(live, { status: "assigned", workerId: worker });
        live.lastRenewal = this.#now();
        return await this.#tell(live, worker, "assigned");
      case "acknowledge":
        live.lastRenewal = this.#now();
        return await this.#tell(live, worker, "assigned", live.task.attempt, true);
      case "revoke":
        return await this.#tell(live, worker, "revoked", reply.attempt);
      case "move_on":
        return await this.#retry(live, worker, {
          full: reply.why,
          brief: `${worker} declined attempt ${live.task.attempt}`,
        });
      case "end_rejected":
        return this.#tasks.finish(live, {
          status: "rejected",
          content: "",
          reason: reply.reason,
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
    const live = this.#tasks.answered(answer, this.#deps.audit);
    if (live === undefined) return;
    this.#tasks.finish(live, {
      status: answer.status,
      content: answer.content,
      reason: answer.reason,
      responderId: answer.responder_id,
    });
  };

  /** This agent's own request, met on a shared topic: it goes to another worker instead. */
  ownRequest(request: EnvelopeOf<"request" | "skill_request">): void {
    const live = this.#tasks.get(request.payload.task_id);
    if (live && live.task.workerId === undefined && request.payload.attempt === live.task.attempt) {
      void this.#retry(live, undefined, {
        full: "the requester met its own request on a shared topic",
        brief: `attempt ${live.task.attempt} came back to the requester itself`,
      });
    }
  }

  /** Sends attempt+1 to another live worker's inbox, leaving out `from` and every one before. */
  async #retry(live: FollowedTask, from: string | undefined, why: MoveReason): Promise<void> {
    this.#tasks.moveOn(live, from, why);
    await this.#route(live);
  }

  async #route(live: FollowedTask): Promise<void> {
    const next = routeAttempt(live.task, {
      group: this.#deps.group,
      requester: this.#deps.agentId,
      workers: this.#deps.workers,
      why: live.why,
      now: new Date(this.#now()),
      inZone: this.#deps.zones && ((zone, agentId) => this.#deps.zones!.isMember(zone, agentId)),
    });
    if (next === undefined) return;
    live.unrouted = false;
    live.lastRenewal = this.#now();
    const { type, taint, attempt } = live.task;
    const because = live.movedBecause === "" ? "" : ` (${live.movedBecause})`;
    this.#tasks.step(live, "route", `sent attempt ${attempt} to ${next.worker}${because}`, {
      attempt,
      worker: next.worker,
    });
    const request = { type, payload: next.payload, taint };
    const record = this.#records.request(next.topic, request, live.span?.context);
    checkPlace({ group: this.#deps.group, zone: live.task.zone }, next.topic);
    try {
      await this.#deps.send([record]);
    } catch {
      // Not sent (a worker whose inbox does not exist, the broker unreachable): the task still
      // waits for a worker, and the next look sends it again (after a restart too: no route is
      // stored for the attempt).
      live.unrouted = true;
      return;
    }
    this.#tasks.update(live, { topic: next.topic, route: next.route });
  }

  /** One look at every followed task: deadlines, lapsed leases, tasks waiting for a worker. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      // One task's look that fails (Kafka out of reach) stops neither the others' nor the next.
      for (const live of this.#tasks.all()) await this.#look(live).catch((e) => this.#warn(e));
    } finally {
      this.#ticking = false;
    }
  }

  /** Says a failure once, not again at each look while it is the same. */
  #warn(error: unknown): void {
    const line = messageOf(error);
    if (line === this.#warned) return;
    this.#warned = line;
    this.#deps.warn?.(line);
  }

  /** The agent whose inbox holds `task` unclaimed, when it is not live in the group now. */
  #absentTarget(task: OutgoingTask): string | undefined {
    const where = task.workerId === undefined && task.topic !== undefined
      ? parseTopic(task.topic)
      : undefined;
    if (where?.role !== "inbox") return undefined;
    return isLive(this.#deps.workers, where.agent) ? undefined : where.agent;
  }

  async #look(live: FollowedTask): Promise<void> {
    const now = this.#now();
    const { task } = live;
    const expired = expiry(task, now, this.#absentTarget(task));
    if (expired !== undefined) {
      // Its end does not wait for Kafka (a send retries for half a minute when it is out of
      // reach): the holder is told on the side, and one not told stops at the deadline itself.
      const holder = task.workerId;
      if (holder !== undefined) {
        void this.#tell(live, holder, "revoked").catch((error) =>
          this.#warn(
            `Cannot tell ${holder} that task ${task.taskId} (attempt ${task.attempt}) is ` +
              `revoked: ${messageOf(error)}; it ends expired here`,
          )
        );
      }
      return this.#tasks.finish(live, { status: "expired", content: "", reason: expired });
    }
    if (live.unsent !== undefined) {
      await this.#deps.send([live.unsent]).then(() => this.#sent(live), () => {});
      return;
    }
    if (live.unrouted) return await this.#route(live);
    const lapsed = await this.#leases.lapsed(task, () => live.lastRenewal, now);
    // Caught up meanwhile, the consumer may have read the task's end, or its moving on.
    if (lapsed === undefined || this.#tasks.get(task.taskId) !== live) return;
    if (live.task.attempt !== task.attempt || live.task.workerId !== task.workerId) return;
    this.#deps.audit?.({ event: "lease_lapsed", taskId: task.taskId, detail: lapsed });
    const lapse = `the lease of ${task.workerId} lapsed`;
    await this.#retry(live, task.workerId, { full: lapse, brief: lapse });
  }
}

/** Why a task sent to `topic`, which does not exist, failed. */
function nowhere(group: string, topic: string): string {
  const where = parseTopic(topic);
  if (where?.role === "inbox") {
    return `agent "${where.agent}" has no inbox in group "${group}": it never joined the group, ` +
      "or group gc removed it";
  }
  if (where?.role === "skillRequests") {
    return `no agent has offered skill "${where.skill}" in group "${group}" (its topic ${topic} ` +
      "does not exist)";
  }
  return `topic ${topic} does not exist: nobody can take the task there`;
}
