/**
 * The spans of group tasks (PROTOCOL.md, `trace`): each agent records the steps of a task it
 * takes part in (the requester's submit, grants and retries; the worker's attempt, its turn, the
 * turn's LLM and tool calls, its response) as spans of the task's trace, stores them
 * (core/timeline `groupTraces`) and sends each on the group's traces topic (a zone's, for a
 * zone's task) once it has ended. A request carries its trace id and the span that sent it in the
 * envelope (`trace_id`, `span_id`), so the receiver's spans, and those of its sub-tasks, join one
 * tree across agents.
 *
 * A span carries ids, timings, attributes and the SHA-256 of its content; the content itself only
 * when the owner enabled it (`group.traceContent`), after secret redaction. Sending a span never
 * fails a task: what the broker refuses is told to `warn` and dropped.
 *
 * Spans are stored when they end, and sent a little later (`lingerMs`, default
 * {@link SPAN_LINGER_MS}), together with the others that ended meanwhile, in one call: the
 * producer has one request in flight, so each span sent on its own could go ahead of a record that
 * a task waits for (another task's response, a grant) and delay it by a whole produce round trip.
 * (A worker records its own attempt's steps and turn after its response is sent, with the spans'
 * next send, through {@link GroupSpans.later}: task_intake.ts.)
 * {@link GroupSpans.flush} sends what waits at once (an agent that stops calls it before it
 * leaves).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseRecord, PROTOCOL_VERSION, topicsFor, topicZone, zoneTopic } from "../protocol/mod.ts";
import type { GroupTraceStore, StoredSpan } from "../timeline/mod.ts";
import type { HandlerResult, InboundRecord, OutboundRecord } from "../transport/mod.ts";
import type { Trust } from "./task_intake.ts";

/** Where a span hangs: the trace, and the span that is its parent. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
}

/** The kinds of span the protocol knows. */
export type SpanType = "TASK" | "LLM" | "TOOL" | "DELEGATION";

/** A span to begin or record. */
export interface SpanStart {
  /**
   * The parent; without one the span is the root of a new trace, and with a trace id alone (a
   * foreign requester's trace context without a span) a root of that trace.
   */
  readonly parent?: { readonly traceId: string; readonly spanId?: string | undefined } | undefined;
  readonly type: SpanType;
  readonly title: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** Hashed always, sent only where the owner enabled content. */
  readonly content?: string | undefined;
  /** The zone of the task: its spans go on the zone's traces topic. */
  readonly zone?: string | undefined;
  readonly startedAt?: Date;
  /** Default: a new random id. */
  readonly spanId?: string;
  /**
   * Whether the span is stored open as it begins (default true), so that the store shows it
   * while it runs and a restarted agent finds it; else it is stored once, when it ends.
   */
  readonly storedOpen?: boolean;
}

/** How a span ends. */
export interface SpanEnd {
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly content?: string | undefined;
  readonly endedAt?: Date;
}

/** A span begun and not ended yet. */
export interface OpenSpan {
  /** This span as the parent of others. */
  readonly context: TraceContext;
  /** Ends the span (once; later calls do nothing), stores it and sends it. */
  end(end?: SpanEnd): void;
  /**
   * Ends the span now (once, as `end`: its end time is taken now), but stores it, hashes its
   * content and builds its record only when the spans that wait are sent (the linger's timer, or
   * {@link GroupSpans.flush}): what ending costs stays off its caller's path. A requester ends a
   * task's submit span so once it has handed the final answer over.
   */
  endSoon(end?: SpanEnd): void;
}

/** What {@link GroupSpans} is built from. */
export interface GroupSpansOptions {
  readonly agentId: string;
  readonly group: string;
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  readonly store: Pick<GroupTraceStore, "put" | "ofTask">;
  /** Whether spans carry their content (`group.traceContent`). Default false. */
  readonly content?: boolean;
  /** Secret redaction, applied to content before it is sent or stored. */
  readonly redact?: (text: string) => string;
  /** Checks the sender of a span read from the topic (the membership's trust). */
  readonly trust?: Trust;
  readonly warn?: (message: string) => void;
  readonly now?: () => Date;
  /**
   * How long an ended span waits to be sent with the spans that end after it (default
   * {@link SPAN_LINGER_MS}); 0 sends each span as it ends.
   */
  readonly lingerMs?: number;
}

/** How long an ended span waits, by default, to go out with the others (see the module doc). */
export const SPAN_LINGER_MS = 20;

/** A span that has ended: what is sent. */
type EndedSpan = StoredSpan & { readonly endedAt: Date; readonly durationMs: number };

/** Random lower-case hex of `bytes` bytes, never all zero. */
export function randomId(bytes: 8 | 16): string {
  for (;;) {
    const id = Array.from(
      crypto.getRandomValues(new Uint8Array(bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    if (/[^0]/.test(id)) return id;
  }
}

/** The SHA-256 of a text, as 64 hex digits. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Records, stores and sends the spans of one agent; see the module documentation. */
export class GroupSpans {
  readonly #options: GroupSpansOptions;
  readonly #now: () => Date;
  /** Ended spans not sent yet, with the timer that sends them. */
  #waiting: { readonly spanId: string; readonly record: OutboundRecord }[] = [];
  /**
   * Spans ended by `endSoon`, and work given to `later`, stored and built when the waiting spans
   * are sent.
   */
  #soon: { readonly spanId: string; readonly finish: () => void }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** While `flush` runs the work that waits: a span it ends goes with that flush's call. */
  #finishing = false;

  constructor(options: GroupSpansOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Begins a span: stored open at once (a restarted requester finds it) unless `storedOpen` is
   * false, stored ended and sent when it ends.
   */
  begin(start: SpanStart): OpenSpan {
    const traceId = start.parent?.traceId ?? randomId(16);
    const spanId = start.spanId ?? randomId(8);
    const startedAt = start.startedAt ?? this.#now();
    const open = this.#span(start, { traceId, spanId, startedAt });
    if (start.storedOpen !== false) this.#options.store.put(open);
    return this.#handle(open, start);
  }

  /** Records a whole span (an instant when `endedAt` is left out); returns it as a parent. */
  record(start: SpanStart & { readonly endedAt?: Date | undefined }): TraceContext {
    const span = this.begin(start);
    span.end({ endedAt: start.endedAt ?? start.startedAt ?? this.#now() });
    return span.context;
  }

  /**
   * Runs `record` (work that records spans under the span `spanId`) when the waiting spans are
   * next sent, not now, with the spans it ends going in that same call: a worker's steps after
   * its response, whose SQLite writes would otherwise take the moment the requester needs to read
   * the response (on one machine, its core).
   */
  later(spanId: string, record: () => void): void {
    this.#soon.push({ spanId, finish: record });
    this.#sendSoon(true);
  }

  /**
   * Reopens the span of a task's `step` that this agent stored open in an earlier run (a
   * requester's submit): ending it stores and sends it as if the agent had never stopped.
   */
  reopen(taskId: string, step: string): OpenSpan | undefined {
    const stored = this.#options.store.ofTask(taskId).find((s) =>
      s.agentId === this.#options.agentId && s.attributes.step === step && s.endedAt === undefined
    );
    if (stored === undefined) return undefined;
    return this.#handle(stored, { type: stored.spanType as SpanType, title: stored.title });
  }

  #handle(open: StoredSpan, start: SpanStart): OpenSpan {
    let ended = false;
    const once = () => !ended && (ended = true);
    return {
      context: { traceId: open.traceId, spanId: open.spanId },
      end: (end = {}) => {
        if (!once()) return;
        this.#finish(open, start, end);
        this.#sendSoon(false);
      },
      endSoon: (end = {}) => {
        if (!once()) return;
        const ended = { ...end, endedAt: end.endedAt ?? this.#now() };
        this.#soon.push({ spanId: open.spanId, finish: () => this.#finish(open, start, ended) });
        this.#sendSoon(true);
      },
    };
  }

  #span(
    start: SpanStart,
    ids: { traceId: string; spanId: string; startedAt: Date },
  ): StoredSpan {
    return {
      ...ids,
      parentSpanId: start.parent?.spanId,
      agentId: this.#options.agentId,
      spanType: start.type,
      title: start.title,
      endedAt: undefined,
      durationMs: undefined,
      attributes: { ...start.attributes },
      contentHash: undefined,
      content: undefined,
      zone: start.zone,
    };
  }

  #finish(open: StoredSpan, start: SpanStart, end: SpanEnd): void {
    const endedAt = end.endedAt ?? this.#now();
    const text = end.content ?? start.content;
    const redacted = text === undefined ? undefined : (this.#options.redact ?? String)(text);
    const span: EndedSpan = {
      ...open,
      endedAt,
      durationMs: Math.max(0, endedAt.getTime() - open.startedAt.getTime()),
      attributes: { ...open.attributes, ...end.attributes },
      contentHash: redacted === undefined ? undefined : contentHash(redacted),
      content: this.#options.content ? redacted : undefined,
    };
    this.#options.store.put(span);
    this.#waiting.push({ spanId: span.spanId, record: this.#record(span) });
  }

  /**
   * Sends the waiting spans after the linger; with no linger at once, or (`timer`: a span that
   * ended soon waits) at the event loop's next timer.
   */
  #sendSoon(timer: boolean): void {
    if (this.#finishing) return;
    const linger = this.#options.lingerMs ?? SPAN_LINGER_MS;
    if (linger <= 0 && !timer) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), Math.max(0, linger));
  }

  /**
   * Stores the spans ended soon, then sends every ended span that waits, in one call; resolves
   * once they are sent or refused.
   */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#finishing = true;
    try {
      for (const { spanId, finish } of this.#soon.splice(0)) {
        try {
          finish();
        } catch (error) {
          // Its store closed meanwhile (the agent stopped without a flush): the span is lost.
          this.#options.warn?.(`Cannot store span ${spanId}: ${(error as Error).message}`);
        }
      }
    } finally {
      this.#finishing = false;
    }
    const waiting = this.#waiting.splice(0);
    if (waiting.length === 0) return;
    try {
      await this.#options.send(waiting.map((w) => w.record));
    } catch (error) {
      const ids = waiting.map((w) => w.spanId).join(", ");
      this.#options.warn?.(`Cannot send span ${ids}: ${(error as Error).message}`);
    }
  }

  #record(span: EndedSpan): OutboundRecord {
    const { group, agentId } = this.#options;
    const taskId = span.attributes.task_id;
    const value = JSON.stringify({
      type: "trace",
      correlation_id: typeof taskId === "string" ? taskId : span.traceId,
      sender_id: agentId,
      timestamp: this.#now().toISOString(),
      protocol: PROTOCOL_VERSION,
      trace_id: span.traceId,
      span_id: span.spanId,
      ...(span.parentSpanId ? { parent_span_id: span.parentSpanId } : {}),
      payload: {
        trace_id: span.traceId,
        span_id: span.spanId,
        parent_span_id: span.parentSpanId ?? "",
        span_type: span.spanType,
        title: span.title,
        started_at: span.startedAt.toISOString(),
        ended_at: span.endedAt.toISOString(),
        duration_ms: span.durationMs,
        attributes: { agent_id: agentId, ...span.attributes },
        ...(span.contentHash ? { content_hash: span.contentHash } : {}),
        ...(span.content === undefined ? {} : { content: span.content }),
      },
    });
    const topic = span.zone ? zoneTopic(group, span.zone, "traces") : topicsFor(group).traces;
    return { topic, key: span.traceId, value };
  }

  /** The handler of the traces topic: stores what other agents sent (this agent's are stored). */
  readonly handle = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "trace") return;
    const { envelope } = parsed;
    if (envelope.sender_id === this.#options.agentId) return;
    const trusted = await (this.#options.trust?.(record, envelope) ?? { ok: true });
    if (!trusted.ok) return;
    this.#options.store.put(spanOf(envelope.sender_id, envelope.payload, topicZone(record.topic)));
  };
}

/** A span as a `trace` payload tells it, sent by `agentId`. */
export function spanOf(
  agentId: string,
  payload: {
    readonly trace_id: string;
    readonly span_id: string;
    readonly parent_span_id: string;
    readonly span_type: string;
    readonly title: string;
    readonly started_at: string;
    readonly ended_at: string;
    readonly duration_ms: number;
    readonly attributes?: Readonly<Record<string, unknown>> | undefined;
    readonly content_hash?: string | undefined;
    readonly content?: string | undefined;
  },
  zone?: string,
): StoredSpan {
  const { agent_id: _sender, ...attributes } = payload.attributes ?? {};
  return {
    traceId: payload.trace_id,
    spanId: payload.span_id,
    parentSpanId: payload.parent_span_id || undefined,
    agentId,
    spanType: payload.span_type,
    title: payload.title,
    startedAt: new Date(payload.started_at),
    endedAt: new Date(payload.ended_at),
    durationMs: payload.duration_ms,
    attributes,
    contentHash: payload.content_hash,
    content: payload.content,
    zone,
  };
}
