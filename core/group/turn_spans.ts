/**
 * A group task's turn as spans of the task's trace. The guard (core/agent) records each turn in
 * the worker's timeline as a trace of its own: the turn's start, its LLM calls, its tool calls,
 * approvals and policy routing, and the policy's decision on every tool call. After the turn, the
 * worker reads them back by the task's session (`task:<task_id>`) and sends them again as spans
 * under its span of the attempt, with the same span ids, so the tree shows the turn's calls
 * without the agent knowing about groups; and it tells what the policy refused.
 *
 * @module
 */
import type { DoorResult } from "../agent/mod.ts";
import type { Decision, DecisionLog, EventLog, TimelineEvent } from "../timeline/mod.ts";
import type { AuditEvent } from "./audit.ts";
import type { GroupSpans, SpanType, TraceContext } from "./spans.ts";

/** Where a worker reads its turns back: its timeline. */
export interface TurnRecords {
  readonly events: Pick<EventLog, "list" | "trace">;
  readonly decisions: Pick<DecisionLog, "byTrace">;
}

/** One turn as the timeline recorded it. */
export interface RecordedTurn {
  /** Its events, the turn's start first. */
  readonly events: readonly TimelineEvent[];
  /** The tool calls the policy did not allow. */
  readonly denied: readonly Decision[];
}

/** The latest turn of `sessionKey` that started at `since` or later, if any. */
export function recordedTurn(
  records: TurnRecords,
  sessionKey: string,
  since: Date,
): RecordedTurn | undefined {
  const starts = records.events.list({ sessionKey, kind: "INBOUND", limit: 10 }).items;
  const start = starts.find((e) => e.startedAt.getTime() >= since.getTime());
  if (start === undefined) return undefined;
  return {
    events: records.events.trace(start.traceId),
    denied: records.decisions.byTrace(start.traceId).filter((d) => !d.allowed),
  };
}

const TYPES: Readonly<Record<string, SpanType>> = { LLM: "LLM", TOOL: "TOOL" };

function titleOf(event: TimelineEvent): string {
  if (event.kind === "INBOUND") return "turn";
  if (event.kind === "TOOL") return `tool ${String(event.metadata.tool)}`;
  if (event.kind === "LLM") return `llm ${String(event.metadata.model)}`;
  return event.kind.toLowerCase();
}

/** What of an event's metadata a span carries (never arguments or text: those are content). */
function attributesOf(event: TimelineEvent): Record<string, unknown> {
  const m = event.metadata;
  switch (event.kind) {
    case "LLM":
      return {
        model: m.model,
        prompt_tokens: m.promptTokens,
        completion_tokens: m.completionTokens,
        finish_reason: m.finishReason,
      };
    case "TOOL":
      return { tool: m.tool, error: m.error };
    default:
      return {};
  }
}

/**
 * Sends a recorded turn's events as spans under `parent`: the turn's start as the `turn` span
 * (lasting until `endedAt`), each other event under it as its parent says (the guard records
 * every event of a turn under the turn's start, ended).
 */
export function sendTurnSpans(
  spans: GroupSpans,
  turn: RecordedTurn,
  context: {
    readonly parent: TraceContext;
    readonly taskId: string;
    readonly zone?: string | undefined;
    readonly endedAt: Date;
  },
): void {
  const [start] = turn.events;
  for (const event of turn.events) {
    const root = event === start;
    spans.record({
      parent: {
        traceId: context.parent.traceId,
        spanId: root ? context.parent.spanId : event.parentSpanId,
      },
      spanId: event.spanId,
      type: TYPES[event.kind] ?? "TASK",
      title: titleOf(event),
      attributes: { task_id: context.taskId, step: root ? "turn" : "call", ...attributesOf(event) },
      content: event.contentText,
      zone: context.zone,
      startedAt: event.startedAt,
      endedAt: root ? context.endedAt : event.endedAt,
    });
  }
}

/**
 * After a task's turn: audits a turn the door or a limit refused (a quota, a budget, a sender
 * not allowed) and each tool call the policy did not allow, and sends the turn's spans under the
 * attempt's span.
 */
export function reportTurn(
  result: DoorResult,
  task: {
    readonly taskId: string;
    readonly requester: string;
    readonly zone?: string | undefined;
    /** The attempt's span. */
    readonly span: TraceContext | undefined;
    readonly startedAt: Date;
    readonly endedAt: Date;
  },
  to: {
    readonly spans?: GroupSpans | undefined;
    readonly turns?: TurnRecords | undefined;
    readonly audit?: ((event: AuditEvent) => void) | undefined;
  },
): void {
  const { taskId, requester } = task;
  const refused = result.kind !== "turn"
    ? result.content
    : result.turn.stopped === "limit"
    ? `the turn stopped at a limit: ${result.content}`
    : undefined;
  const audit = (decision: string, detail: string, code?: string) =>
    to.audit?.({
      eventType: "policy_decision",
      decision,
      agentId: requester,
      detail,
      code,
      taskId,
    });
  if (refused !== undefined) audit("turn_refused", `refused a task of ${requester}: ${refused}`);
  const turn = to.turns && recordedTurn(to.turns, `task:${taskId}`, task.startedAt);
  if (turn === undefined) return;
  for (const d of turn.denied) {
    audit("tool_denied", `${d.tool} (tier ${d.tier}) not run in a task of ${requester}`, d.reason);
  }
  if (task.span !== undefined && to.spans !== undefined) {
    sendTurnSpans(to.spans, turn, { ...task, parent: task.span });
  }
}
