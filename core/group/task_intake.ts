/**
 * Where a Kafka record becomes a task, and a task becomes a turn. A worker's `work` subscriptions
 * on requests topics (the group's, a skill's, a zone's) and on its inbox hand every record to
 * {@link TaskIntake.handle}, which never blocks the consumer:
 *
 * 1. the record is parsed (core/protocol `parseRecord`) and its sender checked (`trust`); what
 *    fails either is poison, which the transport dead-letters (PROTOCOL.md, Envelope);
 * 2. a grant (`assigned`) or `revoked` for this agent, in its inbox (or a zone's), goes to the attempt's
 *    {@link Grant}; a request for another agent is left alone; this agent's own request, met on
 *    a shared topic, goes back to its requester side (`ownRequest`), which sends it on to another
 *    worker: an agent never takes its own task;
 * 3. the task goes to the subscription's bounded executor as `work`, once per attempt
 *    (task_admission.ts): a request past its depth, in a cycle, over its budget or its deadline
 *    is `rejected` with the reason (final, limits.ts); a skill task this agent does not offer is
 *    `declined` (the requester sends it to another worker); any other is `claimed` and its turn
 *    runs (task_attempt.ts): it enters the agent's door as another agent's task, on its own
 *    session `task:<task_id>`, in the zone of the topic it came on (never a field's), with the
 *    attempt's grant as the fence of every side effect (grant.ts);
 * 4. the turn's answer goes back as a `response` (or `skill_response`) on the responses topic of
 *    the same zone, carrying the turn's taint, only while the worker holds the grant; a turn that
 *    throws (the LLM refused, an error) is answered `failed` with the reason `failedTurn` gives;
 * 5. a run still going past the task's deadline and the clock skew is stopped (task_deadline.ts):
 *    its turn is aborted, the attempt ends `failed` with the reason (status and response, while
 *    the worker holds the grant), and its work ends, so its record is committed like any other;
 * 6. when the agent stops, a run given up (`stop`) is declined and its work ends `again`, so its
 *    record is not committed and comes again (core/transport `WorkEnd`).
 *
 * @module
 */
import type { Door } from "../agent/mod.ts";
import { type EnvelopeOf, parseRecord, parseTopic, type TopicInfo } from "../protocol/mod.ts";
import type { HandlerResult, InboundRecord, OutboundRecord, WorkEnd } from "../transport/mod.ts";
import type { AuditEvent } from "./audit.ts";
import { messageOf } from "./_message.ts";
import { DeferredClaim } from "./deferred_claim.ts";
import { Grant } from "./grant.ts";
import { DEFAULT_TASK_LIMITS, type TaskLimits } from "./limits.ts";
import type { GroupSpans } from "./spans.ts";
import { type StatusFields, type TaskPlace, TaskRecords } from "./status_records.ts";
import { type ActiveTask, admit, type TaskRequest, type Trust } from "./task_admission.ts";
import { type Answer, attemptSpan, attemptTurn, markStep, responseRecord } from "./task_attempt.ts";
import { TaskDeadline } from "./task_deadline.ts";
import type { TurnRecords } from "./turn_spans.ts";
import type { WorkedStatus, WorkedTask } from "../timeline/mod.ts";

export { type ActiveTask, openTrust, type TaskRequest, type Trust } from "./task_admission.ts";

/** What a {@link TaskIntake} is built from. */
export interface TaskIntakeDeps {
  /** This agent's id in the group. */
  readonly agentId: string;
  /** The agent's one door into a turn. */
  readonly door: Pick<Door, "enter">;
  readonly trust: Trust;
  /** Sends statuses and responses (signed, in a signed group). */
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  /** Depth, budget, deadline and clock skew allowed (default {@link DEFAULT_TASK_LIMITS}). */
  readonly limits?: TaskLimits;
  /** The skills this agent offers at first ({@link TaskIntake.offer} changes them). Default: none. */
  readonly skills?: readonly string[];
  /** Renewal interval of a held grant (`group.heartbeatIntervalMs`, default 10 s). */
  readonly heartbeatIntervalMs?: number;
  /** With `arbiter: "none"`, how long a claim waits to go out with the answer (default 50 ms). */
  readonly claimLingerMs?: number;
  /** How long a side effect waits for a grant that has not come (default 30 s + 3 intervals). */
  readonly grantWaitMs?: number;
  /** This agent's own request, met on a shared topic: its requester side sends it elsewhere. */
  readonly ownRequest?: (request: TaskRequest, place: TaskPlace) => void;
  /** A skill task this agent answered (its expertise in the skill, step 3, counts it). */
  readonly skillUsed?: (use: SkillUse) => void;
  /** Records each attempt's steps as spans of the task's trace (spans.ts). */
  readonly spans?: GroupSpans;
  /** Where the turns are read back from, to send as spans (the agent's timeline). */
  readonly turns?: TurnRecords;
  /** Tells the group what was refused: rejected tasks, refused turns, denied tool calls. */
  readonly audit?: (event: AuditEvent) => void;
  /** Told, in one line, of a task whose turn failed (the LLM refused, an error). */
  readonly warn?: (line: string) => void;
  /** Keeps how each attempt ended here, for the owner (the timeline's `workedTasks`). */
  readonly worked?: (task: WorkedTask) => void;
  /**
   * Runs wait for this before they start, outside the executor (the task stream holding its
   * place, so that the grants of their claims are read on it); when it resolves false (the start
   * failed), each run's record is left uncommitted, to come again. Default: none to wait for.
   */
  readonly runsAfter?: Promise<boolean>;
  readonly now?: () => Date;
}

/** How many finished attempts an intake remembers, to run a redelivered one only once. */
const REMEMBERED = 10_000;

/** Turns task records into turns and their answers into responses; see the module documentation. */
export class TaskIntake {
  readonly #deps: TaskIntakeDeps;
  readonly #records: TaskRecords;
  readonly #grants = new Map<string, Grant>();
  readonly #seen = new Set<string>();
  readonly #active = new Map<string, ActiveTask>();
  #skills: readonly string[];
  #stopping: string | undefined;

  constructor(deps: TaskIntakeDeps) {
    this.#deps = deps;
    this.#records = new TaskRecords(deps.agentId, deps.now);
    this.#skills = deps.skills ?? [];
  }

  /** Changes the skills this agent takes tasks of (a skill task for another is declined). */
  offer(skills: readonly string[]): void {
    this.#skills = [...skills];
  }

  /** The attempts running now, as `<task_id>#<attempt>`. */
  running(): string[] {
    return [...this.#grants.keys()];
  }

  /**
   * Stops every run: each gives its grant up, ends before any further side effect, sends no
   * answer, and `declined` tells its requester to send the task to another worker at once.
   * A task handed over after this, or whose run had not started yet, is declined at once.
   */
  stop(): void {
    this.#stopping = `${this.#deps.agentId} is stopping`;
    for (const grant of this.#grants.values()) grant.abandon(this.#stopping);
  }

  /** The task a turn of session `task:<task_id>` works on, while it runs: a sub-task's parent. */
  taskOf(sessionKey: string): ActiveTask | undefined {
    return this.#active.get(sessionKey);
  }

  /** The subscription's handler for one record of a requests topic or of this agent's inbox. */
  readonly handle = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok) return { poison: parsed.error.message };
    const { envelope } = parsed;
    // parseRecord accepted the topic, and the type on it: a task_status only in an inbox.
    const where = parseTopic(record.topic) as TopicInfo;
    if (envelope.type === "task_status") return await this.#grantWord(record, envelope);
    if (envelope.type !== "request" && envelope.type !== "skill_request") {
      return { poison: `a ${envelope.type} record on ${record.topic}, where tasks come in` };
    }
    const task = envelope.payload;
    if (where.role === "zone" && where.kind === "inbox" && task.target_id === undefined) {
      // Every member reads a zone's inbox: a request addressed to nobody would run on each.
      return { poison: `a request addressed to no member (no "target_id") on ${record.topic}` };
    }
    if (task.target_id !== undefined && task.target_id !== this.#deps.agentId) return;
    const place = { group: where.group, zone: where.role === "zone" ? where.zone : undefined };
    if (task.requester_id === this.#deps.agentId) {
      const inbox = where.role === "inbox" || (where.role === "zone" && where.kind === "inbox");
      if (!inbox) this.#deps.ownRequest?.(envelope, place);
      return;
    }
    const trusted = await this.#deps.trust(record, envelope);
    if (!trusted.ok) return { poison: trusted.reason };
    const key = `${task.task_id}#${task.attempt}`;
    if (this.#seen.has(key)) return;
    this.#remember(key);
    const after = this.#deps.runsAfter;
    return {
      ...(after === undefined ? {} : { ready: after }),
      work: async () => {
        if (after !== undefined && !(await after)) return { again: "the task side did not start" };
        const stopping = this.#stopping;
        if (stopping === undefined) return await this.#run(envelope, place, trusted.vouched);
        const receivedAt = this.#now();
        await this.#status(place, envelope, { status: "declined", summary: stopping });
        this.#worked(envelope, place, { status: "declined", reason: stopping, receivedAt });
        return { again: stopping };
      },
    };
  };

  /**
   * The handler of the status stream (the group's `tasks.status`, a zone's): grants and
   * revocations for this agent's running attempts. Grants come on the stream as well as in the
   * inbox, because an inbox whose executor is full is paused while its runs wait for them.
   */
  readonly handleStatus = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "task_status") return;
    return await this.#grantWord(record, parsed.envelope);
  };

  async #grantWord(
    record: InboundRecord,
    envelope: EnvelopeOf<"task_status">,
  ): Promise<HandlerResult> {
    const { task_id, attempt, worker_id, status, seq } = envelope.payload;
    const grant = this.#grants.get(`${task_id}#${attempt}`);
    if (worker_id !== this.#deps.agentId || grant === undefined) return;
    if (status !== "assigned" && status !== "revoked") return;
    const trusted = await this.#deps.trust(record, envelope);
    if (!trusted.ok) return { poison: trusted.reason };
    grant.onStatus(status, envelope.sender_id, seq);
  }

  #remember(key: string): void {
    this.#seen.add(key);
    if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.values().next().value!);
  }

  #status(
    place: TaskPlace,
    request: TaskRequest,
    fields: Omit<StatusFields, "taskId" | "attempt" | "workerId">,
  ) {
    return this.#deps.send(this.#statusRecords(place, request, fields));
  }

  #statusRecords(
    place: TaskPlace,
    request: TaskRequest,
    fields: Omit<StatusFields, "taskId" | "attempt" | "workerId">,
  ): OutboundRecord[] {
    const task = request.payload;
    return this.#records.status(place, {
      taskId: task.task_id,
      attempt: task.attempt,
      workerId: this.#deps.agentId,
      ...fields,
    });
  }

  async #run(request: TaskRequest, place: TaskPlace, vouched: boolean): Promise<WorkEnd> {
    const task = request.payload;
    const now = this.#now();
    const span = attemptSpan(this.#deps.spans, request, { worker: this.#deps.agentId, place, now });
    const limits = this.#deps.limits ?? DEFAULT_TASK_LIMITS;
    const verdict = admit(task, {
      receiver: this.#deps.agentId,
      now,
      limits,
      skills: this.#skills,
    });
    if (!verdict.ok) {
      const { status, reason } = verdict;
      if (status === "rejected") {
        this.#deps.audit?.({
          eventType: "policy_decision",
          decision: "task_rejected",
          agentId: task.requester_id,
          detail: `rejected a task of ${task.requester_id}: ${reason}`,
          taskId: task.task_id,
        });
      }
      await this.#status(place, request, { status, summary: reason });
      if (status === "rejected") {
        const answer = { content: "", status, reason, place, taint: request.taint, span };
        await this.#deps.send([responseRecord(this.#records, request, answer)]);
      }
      span?.end({ attributes: { status, reason } });
      this.#worked(request, place, { status, reason, receivedAt: now });
      return;
    }
    const interval = this.#deps.heartbeatIntervalMs ?? 10_000;
    const claimRecords = () => this.#statusRecords(place, request, { status: "claimed" });
    // With arbiter none the claim is held back until a side effect, the answer or the linger
    // sends it (its acknowledgement is the grant); an arbiter needs it at once to grant.
    const deferred = task.arbiter === "none"
      ? new DeferredClaim(claimRecords, this.#deps.send, this.#deps.claimLingerMs)
      : undefined;
    const claim = deferred?.acknowledged ?? this.#deps.send(claimRecords());
    const grant = new Grant({
      taskId: task.task_id,
      attempt: task.attempt,
      requester: task.requester_id,
      arbiter: task.arbiter,
      heartbeatIntervalMs: interval,
      grantWaitMs: this.#deps.grantWaitMs ?? 30_000 + 3 * interval,
      renew: () => this.#status(place, request, { status: "in_progress" }),
      claim: deferred?.acknowledged,
      sendClaim: () => deferred?.send(),
    });
    this.#grants.set(grant.key, grant);
    const session = `task:${task.task_id}`;
    this.#active.set(session, { task, accepted: verdict, trace: span?.context });
    // Past its deadline and the clock skew the run stops, failed, and its record is released.
    const deadline = new TaskDeadline(
      verdict.deadline,
      limits.clockSkewMs,
      () => this.#now().getTime(),
    );
    const started = Date.now();
    let ended: { status: WorkedStatus; reason?: string } = { status: "stopped" };
    let answered: string | undefined;
    // The claimed step, the turn's spans and audit, and the response's step are recorded after
    // the answer is sent (with the spans' next send), or when the run ends without one, with the
    // times they happened: on the way to the response they would hold it back by their SQLite
    // writes and hashing.
    let claimedAt: Date | undefined;
    let reportTurn: (() => void) | undefined;
    let responded: (() => void) | undefined;
    const recordSteps = () => {
      if (claimedAt !== undefined) {
        const at = claimedAt;
        markStep(this.#deps.spans, span, { taskId: task.task_id, place, title: "claimed", at });
      }
      reportTurn?.();
      claimedAt = reportTurn = undefined;
    };
    try {
      const claimed = () => void (claimedAt = this.#now());
      if (task.arbiter === "none") claim.then(claimed, () => {});
      else {
        await claim;
        claimed();
      }
      const turn = await Promise.race([
        attemptTurn(request, {
          place,
          vouched,
          grant,
          span,
          tokenBudget: verdict.budget.tokens,
          signal: AbortSignal.any([grant.signal, deadline.signal]),
        }, { ...this.#deps, now: () => this.#now() }),
        // A turn that does not end when aborted is not waited for.
        deadline.reached.then(() => undefined),
      ]);
      const answer: Answer = deadline.passed || turn === undefined
        ? { content: "", status: "failed", reason: `Stopped: ${deadline.reason}` }
        : turn.answer;
      const taint = turn?.taint ?? request.taint ?? "untrusted";
      reportTurn = turn?.report;
      // The response is a side effect too: only the holder of the grant sends it. A claim still
      // held back goes with it in one request (the claim first), so the answer's acknowledgement
      // is the grant's too.
      const riding = deferred?.held === true;
      const refused = riding ? grant.refusal() : await grant.check(new AbortController().signal);
      if (refused !== undefined) {
        ended = { status: grant.state === "revoked" ? "revoked" : "stopped", reason: refused };
        // A revoked attempt belongs to another worker now: declining it would only add noise.
        const stopping = this.#stopping;
        if (stopping !== undefined && grant.state !== "revoked") {
          ended = { status: "declined", reason: stopping };
          await this.#status(place, request, { status: "declined", summary: stopping });
          // Given up unfinished: its record is not committed, so it comes again.
          return { again: stopping };
        }
        return;
      }
      // The final status and the response go in one request: one round trip, not two.
      const final = this.#statusRecords(place, request, {
        status: answer.status === "completed" ? "completed" : "failed",
      });
      const response = responseRecord(this.#records, request, { ...answer, place, taint, span });
      const records = [...final, response];
      await (deferred ? deferred.with(records) : this.#deps.send(records));
      answered = answer.content;
      const at = this.#now();
      responded = () =>
        markStep(this.#deps.spans, span, {
          taskId: task.task_id,
          place,
          title: `response ${answer.status}`,
          content: answer.content,
          at,
        });
      ended = { status: answer.status, ...(answer.reason ? { reason: answer.reason } : {}) };
      if (task.skill !== undefined && answer.status !== "rejected") {
        this.#deps.skillUsed?.({
          skill: task.skill,
          success: answer.status === "completed",
          durationMs: Date.now() - started,
          taskId: task.task_id,
        });
      }
    } finally {
      deadline.cancel();
      // A turn still running past the deadline may do nothing more.
      if (deadline.passed) grant.abandon(deadline.reason);
      deferred?.drop();
      const endedAt = this.#now();
      const record = () => {
        recordSteps();
        responded?.();
        span?.end({ attributes: ended, endedAt });
        this.#worked(request, place, { ...ended, answer: answered, receivedAt: now, endedAt });
      };
      // Once the response is out, the requester's read of it goes first.
      if (responded !== undefined && span !== undefined) {
        this.#deps.spans?.later(span.context.spanId, record);
      } else record();
      grant.close();
      this.#grants.delete(grant.key);
      this.#active.delete(session);
    }
  }

  /** Keeps how an attempt ended here (`worked`). */
  #worked(
    request: TaskRequest,
    place: TaskPlace,
    end: {
      status: WorkedStatus;
      reason?: string | undefined;
      answer?: string | undefined;
      receivedAt: Date;
      endedAt?: Date;
    },
  ): void {
    const { status, reason, answer, receivedAt, endedAt } = end;
    const worked = this.#deps.worked;
    if (worked === undefined) return;
    try {
      worked({
        taskId: request.payload.task_id,
        attempt: request.payload.attempt,
        type: request.type,
        request: request.payload,
        taint: request.taint ?? "untrusted",
        zone: place.zone,
        status,
        answer,
        reason,
        receivedAt,
        endedAt: endedAt ?? this.#now(),
      });
    } catch (error) {
      // Kept for the owner only: the task's answer went, whatever the store says.
      const why = messageOf(error);
      this.#deps.warn?.(`Cannot keep task ${request.payload.task_id} as worked on here: ${why}`);
    }
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }
}

/** A skill task answered: whether it succeeded and how long it took. */
export interface SkillUse {
  readonly skill: string;
  readonly success: boolean;
  readonly durationMs: number;
  readonly taskId: string;
}
