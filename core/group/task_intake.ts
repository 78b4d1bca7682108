/**
 * Where a Kafka record becomes a task, and a task becomes a turn. A worker's `work` subscriptions
 * on requests topics (the group's, a skill's, a zone's) and on its inbox hand every record to
 * {@link TaskIntake.handle}, which never blocks the consumer:
 *
 * 1. the record is parsed (core/protocol `parseRecord`) and its sender checked (`trust`); what
 *    fails either is poison, which the transport dead-letters (PROTOCOL.md, Envelope);
 * 2. a grant (`assigned`) or `revoked` for this agent, in its inbox, goes to the attempt's
 *    {@link Grant}; a request for another agent is left alone; this agent's own request, met on
 *    a shared topic, goes back to its requester side (`ownRequest`), which sends it on to another
 *    worker: an agent never takes its own task;
 * 3. the task goes to the subscription's bounded executor as `work`, once per attempt: a request
 *    past its depth, in a cycle, over its budget or its deadline is `rejected` with the reason
 *    (final, limits.ts); a skill task this agent does not offer is `declined` (the requester sends
 *    it to another worker); any other is `claimed` and enters the agent's door (core/agent `Door`)
 *    as another agent's task, on its own session `task:<task_id>`, in the zone of the topic it came
 *    on (never a field's), with the attempt's grant as the fence of every side effect (grant.ts);
 * 4. the turn's answer goes back as a `response` (or `skill_response`) on the responses topic of
 *    the same zone, carrying the turn's taint, only while the worker holds the grant.
 *
 * @module
 */
import type { Door, TurnScope } from "../agent/mod.ts";
import {
  type Envelope,
  type EnvelopeOf,
  parseRecord,
  parseTopic,
  type RequestPayload,
  type ResponsePayload,
  type TopicInfo,
} from "../protocol/mod.ts";
import type { HandlerResult, InboundRecord, OutboundRecord } from "../transport/mod.ts";
import type { AuditEvent } from "./audit.ts";
import { Grant } from "./grant.ts";
import { type Accepted, checkRequest, DEFAULT_TASK_LIMITS, type TaskLimits } from "./limits.ts";
import type { GroupSpans, OpenSpan, TraceContext } from "./spans.ts";
import { type StatusFields, type TaskPlace, TaskRecords } from "./status_records.ts";
import { reportTurn, type TurnRecords } from "./turn_spans.ts";

/** A task request as it came in. */
export type TaskRequest = EnvelopeOf<"request" | "skill_request">;

/** Whether a parsed record's sender is who it says, and whether its certificate vouches for it. */
export type Trust = (
  record: InboundRecord,
  envelope: Envelope,
) => Promise<
  { readonly ok: true; readonly vouched: boolean } | { readonly ok: false; readonly reason: string }
>;

/**
 * The trust of a group in open mode (`group.security: open`): nobody's signature is checked, so
 * nobody is vouched for; every task is external and untrusted. Signed groups verify each record
 * against the group's roster instead (core/protocol `verifyRecord`).
 */
export const openTrust: Trust = () => Promise.resolve({ ok: true, vouched: false });

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
   * A task handed over after this is declined at once.
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
    if (task.target_id !== undefined && task.target_id !== this.#deps.agentId) return;
    const place = { group: where.group, zone: where.role === "zone" ? where.zone : undefined };
    if (task.requester_id === this.#deps.agentId) {
      if (where.role !== "inbox") this.#deps.ownRequest?.(envelope, place);
      return;
    }
    const trusted = await this.#deps.trust(record, envelope);
    if (!trusted.ok) return { poison: trusted.reason };
    const key = `${task.task_id}#${task.attempt}`;
    if (this.#seen.has(key)) return;
    this.#remember(key);
    const stopping = this.#stopping;
    if (stopping !== undefined) {
      return {
        work: () => this.#status(place, envelope, { status: "declined", summary: stopping }),
      };
    }
    return { work: () => this.#run(envelope, place, trusted.vouched) };
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

  async #run(request: TaskRequest, place: TaskPlace, vouched: boolean): Promise<void> {
    const task = request.payload;
    const now = (this.#deps.now ?? (() => new Date()))();
    const span = this.#deps.spans?.begin({
      parent: request.trace_id ? { traceId: request.trace_id, spanId: request.span_id } : undefined,
      type: "TASK",
      title: `attempt ${task.attempt} at ${this.#deps.agentId}`,
      attributes: {
        task_id: task.task_id,
        step: "attempt",
        attempt: task.attempt,
        requester: task.requester_id,
      },
      content: task.content,
      zone: place.zone,
      startedAt: now,
    });
    const verdict = checkRequest(task, {
      receiver: this.#deps.agentId,
      now,
      limits: this.#deps.limits ?? DEFAULT_TASK_LIMITS,
    });
    if (!verdict.ok) {
      this.#deps.audit?.({
        eventType: "policy_decision",
        decision: "task_rejected",
        agentId: task.requester_id,
        detail: `rejected a task of ${task.requester_id}: ${verdict.reason}`,
        taskId: task.task_id,
      });
      await this.#status(place, request, { status: "rejected", summary: verdict.reason });
      const answer = { content: "", status: "rejected" as const, reason: verdict.reason };
      await this.#deps.send([this.#response(request, place, answer, request.taint, span)]);
      span?.end({ attributes: { status: "rejected", reason: verdict.reason } });
      return;
    }
    if (task.skill !== undefined && !this.#skills.includes(task.skill)) {
      const summary = `${this.#deps.agentId} does not offer the skill ${task.skill}`;
      await this.#status(place, request, { status: "declined", summary });
      span?.end({ attributes: { status: "declined", reason: summary } });
      return;
    }
    const interval = this.#deps.heartbeatIntervalMs ?? 10_000;
    const grant = new Grant({
      taskId: task.task_id,
      attempt: task.attempt,
      requester: task.requester_id,
      arbiter: task.arbiter,
      heartbeatIntervalMs: interval,
      grantWaitMs: this.#deps.grantWaitMs ?? 30_000 + 3 * interval,
      renew: () => this.#status(place, request, { status: "in_progress" }),
    });
    this.#grants.set(grant.key, grant);
    const session = `task:${task.task_id}`;
    this.#active.set(session, { task, accepted: verdict, trace: span?.context });
    const started = Date.now();
    let ended: Record<string, unknown> = { status: "stopped" };
    try {
      await this.#status(place, request, { status: "claimed" });
      this.#mark(span, task.task_id, place, "claimed");
      const { answer, taint } = await this.#turn(request, place, vouched, grant, span);
      // The response is a side effect too: only the holder of the grant sends it.
      const refused = await grant.check(new AbortController().signal);
      if (refused !== undefined) {
        ended = { status: grant.state === "revoked" ? "revoked" : "stopped", reason: refused };
        // A revoked attempt belongs to another worker now: declining it would only add noise.
        if (this.#stopping !== undefined && grant.state !== "revoked") {
          await this.#status(place, request, { status: "declined", summary: this.#stopping });
        }
        return;
      }
      // The final status and the response go in one request: one round trip, not two.
      const final = this.#statusRecords(place, request, {
        status: answer.status === "completed" ? "completed" : "failed",
      });
      await this.#deps.send([...final, this.#response(request, place, answer, taint, span)]);
      this.#mark(span, task.task_id, place, `response ${answer.status}`, answer.content);
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
      span?.end({ attributes: ended });
      grant.close();
      this.#grants.delete(grant.key);
      this.#active.delete(session);
    }
  }

  /** An instant step of an attempt (claimed, the response sent) under its span. */
  #mark(
    span: OpenSpan | undefined,
    taskId: string,
    place: TaskPlace,
    title: string,
    content?: string,
  ) {
    if (span === undefined) return;
    this.#deps.spans?.record({
      parent: span.context,
      type: "TASK",
      title,
      attributes: { task_id: taskId, step: title.split(" ")[0] },
      content,
      zone: place.zone,
    });
  }

  async #turn(
    request: TaskRequest,
    place: TaskPlace,
    vouched: boolean,
    grant: Grant,
    span: OpenSpan | undefined,
  ) {
    const task = request.payload;
    const { zone } = place;
    const startedAt = (this.#deps.now ?? (() => new Date()))();
    const scope: TurnScope = zone ? { zone, zones: ["public", zone] } : { zones: ["public"] };
    const result = await this.#deps.door.enter({
      source: {
        kind: "task",
        group: place.group,
        from: task.requester_id,
        vouched,
        taint: request.taint,
        scope,
      },
      sessionKey: `task:${task.task_id}`,
      text: task.description ? `${task.description}\n\n${task.content}` : task.content,
      fence: grant,
      // The tokens the task's budget leaves: its turn ends before an LLM call past them.
      tokenBudget: this.#active.get(`task:${task.task_id}`)?.accepted.budget.tokens,
      signal: grant.signal,
    });
    reportTurn(result, {
      taskId: task.task_id,
      requester: task.requester_id,
      zone,
      span: span?.context,
      startedAt,
      endedAt: (this.#deps.now ?? (() => new Date()))(),
    }, this.#deps);
    const taint = result.kind === "turn" ? result.turn.taint : request.taint ?? "untrusted";
    const answer: Answer = result.kind !== "turn"
      ? { content: result.content, status: "rejected", reason: result.content }
      : result.turn.stopped === "answer"
      ? { content: result.content, status: "completed", usage: usageOf(result.turn.usage) }
      : {
        content: result.content,
        status: "failed",
        reason: result.turn.stopped,
        usage: usageOf(result.turn.usage),
      };
    return { answer, taint };
  }

  /** The response record of a task, on the responses topic of the zone it came from. */
  #response(
    request: TaskRequest,
    place: TaskPlace,
    answer: Answer,
    taint: "trusted" | "untrusted" | undefined,
    span: OpenSpan | undefined,
  ): OutboundRecord {
    const task = request.payload;
    return this.#records.response(place, {
      taskId: task.task_id,
      attempt: task.attempt,
      skill: request.type === "skill_request",
    }, {
      ...answer,
      taint: taint ?? "untrusted",
      traceId: span?.context.traceId ?? request.trace_id,
      spanId: span?.context.spanId,
    });
  }
}

type Answer = Pick<ResponsePayload, "content" | "status" | "reason" | "usage">;

/** A skill task answered: whether it succeeded and how long it took. */
export interface SkillUse {
  readonly skill: string;
  readonly success: boolean;
  readonly durationMs: number;
  readonly taskId: string;
}

/** A task being worked on, with the budget and deadline its receiver accepted it with. */
export interface ActiveTask {
  readonly task: RequestPayload;
  readonly accepted: Accepted;
  /** The worker's span of the attempt: the parent of its sub-tasks' spans. */
  readonly trace?: TraceContext | undefined;
}

function usageOf(usage: { promptTokens: number; completionTokens: number }) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens };
}
