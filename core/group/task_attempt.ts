/**
 * The turn of one attempt of a task (task_intake.ts, step 3): the task enters the agent's door as
 * another agent's task, on its own session `task:<task_id>`, in the zone of the topic it came on
 * (never a field's), with the attempt's grant as the fence of every side effect (grant.ts) and
 * the tokens its accepted budget leaves; the turn is reported as spans and audit (turn_spans.ts),
 * and its result becomes the answer the response carries, with the turn's taint.
 *
 * @module
 */
import type { Door, DoorResult, TurnScope } from "../agent/mod.ts";
import type { ResponsePayload } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";
import type { AuditEvent } from "./audit.ts";
import type { Grant } from "./grant.ts";
import type { GroupSpans, OpenSpan } from "./spans.ts";
import type { TaskPlace, TaskRecords } from "./status_records.ts";
import type { TaskRequest } from "./task_admission.ts";
import { reportTurn, type TurnRecords } from "./turn_spans.ts";

/** What a response says of a task's end. */
export type Answer = Pick<ResponsePayload, "content" | "status" | "reason" | "usage">;

/** What the turn of an attempt runs with. */
export interface AttemptTurn {
  readonly door: Pick<Door, "enter">;
  readonly spans?: GroupSpans | undefined;
  readonly turns?: TurnRecords | undefined;
  readonly audit?: ((event: AuditEvent) => void) | undefined;
  /** Told, in one line, of a turn that failed (its answer says less: see {@link failedTurn}). */
  readonly warn?: ((line: string) => void) | undefined;
  readonly now: () => Date;
}

/**
 * Runs the turn of `request`'s attempt under `grant`, with at most `tokenBudget` tokens: its
 * answer (`completed` for an answer, `failed` with the reason for a turn that stopped short or
 * failed, `rejected` for one the door refused), the taint the response carries, and `report`,
 * which sends the turn as spans and audits what it refused (turn_spans.ts), to call once the
 * answer is on its way.
 */
export async function attemptTurn(
  request: TaskRequest,
  run: {
    readonly place: TaskPlace;
    readonly vouched: boolean;
    readonly grant: Grant;
    readonly span: OpenSpan | undefined;
    readonly tokenBudget: number | undefined;
    /** Stops the turn: the grant's (revoked or lost), with whatever else may stop it. */
    readonly signal: AbortSignal;
  },
  with_: AttemptTurn,
): Promise<{ answer: Answer; taint: "trusted" | "untrusted"; report: () => void }> {
  const task = request.payload;
  const { zone } = run.place;
  const startedAt = with_.now();
  const scope: TurnScope = zone ? { zone, zones: ["public", zone] } : { zones: ["public"] };
  let result: DoorResult;
  try {
    result = await enter(request, run, with_, scope);
  } catch (error) {
    // The LLM refused, or the turn broke: the requester is told so now, not by a lease that lapses
    // at every worker in turn until the deadline.
    const reason = failedTurn(error);
    with_.warn?.(
      `Task ${task.task_id} (attempt ${task.attempt}, from ${task.requester_id}) failed: ` +
        (error instanceof Error ? error.message : String(error)),
    );
    const taint = request.taint ?? "untrusted";
    return { answer: { content: "", status: "failed", reason }, taint, report: () => {} };
  }
  const turn = {
    taskId: task.task_id,
    requester: task.requester_id,
    zone,
    span: run.span?.context,
    startedAt,
    endedAt: with_.now(),
  };
  const report = () => reportTurn(result, turn, with_);
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
  return { answer, taint, report };
}

/** The errors whose words are made for whoever asked (no key, no secret in them): the model's. */
const TOLD_AS_IS = new Set(["ProviderError", "ProviderNotConfiguredError"]);

/**
 * The reason a failed turn's response gives: the model's failure in its own words, which name
 * the provider, model and HTTP status and never a key; of any other error only its kind, since
 * its words may hold what the worker keeps to itself (its log has them).
 */
export function failedTurn(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  if (error instanceof Error && TOLD_AS_IS.has(name)) {
    return `The worker's model failed: ${error.message}`;
  }
  return `The worker's turn failed (${name}); the worker's log says why`;
}

/** The task's turn through the door, on its own session, in the zone it came in. */
function enter(
  request: TaskRequest,
  run: Parameters<typeof attemptTurn>[1],
  with_: AttemptTurn,
  scope: TurnScope,
): Promise<DoorResult> {
  const task = request.payload;
  return with_.door.enter({
    source: {
      kind: "task",
      group: run.place.group,
      from: task.requester_id,
      vouched: run.vouched,
      taint: request.taint,
      scope,
    },
    sessionKey: `task:${task.task_id}`,
    text: task.description ? `${task.description}\n\n${task.content}` : task.content,
    fence: run.grant,
    // The tokens the task's budget leaves: its turn ends before an LLM call past them.
    tokenBudget: run.tokenBudget,
    signal: run.signal,
  });
}

/**
 * The worker's span of `request`'s attempt, under the span that sent the request if any. It is
 * stored once, when the attempt ends (as the claimed step and the turn's spans are, once the
 * response is sent): a write as it begins would stand between the request's receipt and its turn.
 */
export function attemptSpan(
  spans: GroupSpans | undefined,
  request: TaskRequest,
  at: { readonly worker: string; readonly place: TaskPlace; readonly now: Date },
): OpenSpan | undefined {
  const task = request.payload;
  return spans?.begin({
    parent: request.trace_id ? { traceId: request.trace_id, spanId: request.span_id } : undefined,
    type: "TASK",
    title: `attempt ${task.attempt} at ${at.worker}`,
    attributes: {
      task_id: task.task_id,
      step: "attempt",
      attempt: task.attempt,
      requester: task.requester_id,
    },
    content: task.content,
    zone: at.place.zone,
    startedAt: at.now,
    storedOpen: false,
  });
}

/** An instant step of an attempt (claimed, the response sent) under its span, at `at`. */
export function markStep(
  spans: GroupSpans | undefined,
  span: OpenSpan | undefined,
  step: {
    readonly taskId: string;
    readonly place: TaskPlace;
    readonly title: string;
    readonly content?: string;
    /** When it happened (it is recorded after the response is sent). */
    readonly at: Date;
  },
): void {
  if (span === undefined) return;
  spans?.record({
    parent: span.context,
    type: "TASK",
    title: step.title,
    attributes: { task_id: step.taskId, step: step.title.split(" ")[0] },
    content: step.content,
    zone: step.place.zone,
    startedAt: step.at,
  });
}

/**
 * The response record of a task, on the responses topic of the zone it came from, under the
 * attempt's span (else the request's trace).
 */
export function responseRecord(
  records: TaskRecords,
  request: TaskRequest,
  answer: Answer & {
    readonly place: TaskPlace;
    readonly taint: "trusted" | "untrusted" | undefined;
    readonly span: OpenSpan | undefined;
  },
): OutboundRecord {
  const task = request.payload;
  const { place, taint, span, ...said } = answer;
  return records.response(place, {
    taskId: task.task_id,
    attempt: task.attempt,
    skill: request.type === "skill_request",
  }, {
    ...said,
    taint: taint ?? "untrusted",
    traceId: span?.context.traceId ?? request.trace_id,
    spanId: span?.context.spanId,
  });
}

function usageOf(usage: { promptTokens: number; completionTokens: number }) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens };
}
