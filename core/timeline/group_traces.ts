/**
 * The spans of group tasks this agent has seen (`group_traces`): its own, stored as it sends them
 * (an open span first, then its end), and every other agent's, as read from the group's traces
 * topic. A span is known by its trace, its id and the agent that sent it; storing it again (a
 * record read twice, an open span ended) replaces what is known of it.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { date, int, json, optDate, optInt, optText, text } from "./_row.ts";

/** One span as stored. */
export interface StoredSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** The agent that sent the span. */
  readonly agentId: string;
  /** `TASK`, `LLM`, `TOOL` or `DELEGATION`. */
  readonly spanType: string;
  readonly title: string;
  readonly startedAt: Date;
  /** Undefined while the span is open (only this agent's own spans are stored open). */
  readonly endedAt: Date | undefined;
  readonly durationMs: number | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly contentHash: string | undefined;
  readonly content: string | undefined;
  readonly zone: string | undefined;
}

function toSpan(row: Row): StoredSpan {
  return {
    traceId: text(row, "trace_id"),
    spanId: text(row, "span_id"),
    parentSpanId: optText(row, "parent_span_id"),
    agentId: text(row, "source_agent_id"),
    spanType: text(row, "span_type"),
    title: text(row, "title"),
    startedAt: date(row, "started_at"),
    endedAt: optDate(row, "ended_at"),
    durationMs: optInt(row, "duration_ms"),
    attributes: json(row, "attributes"),
    contentHash: optText(row, "content_hash"),
    content: optText(row, "content"),
    zone: optText(row, "zone"),
  };
}

/** One trace as {@link GroupTraceStore.recent} tells it. */
export interface TraceSummary {
  readonly traceId: string;
  readonly spans: number;
  /** The agents whose spans it holds, sorted. */
  readonly agents: readonly string[];
  /** When its first span started. */
  readonly startedAt: Date;
}

/** The `groupTraces` repository of a Timeline. */
export class GroupTraceStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Stores a span, or replaces what is known of it (an open span that has ended). */
  put(span: StoredSpan): void {
    this.#db.run(
      `INSERT INTO group_traces (trace_id, span_id, parent_span_id, source_agent_id, span_type,
          title, content_hash, content, attributes, zone, started_at, ended_at, duration_ms,
          created_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        ON CONFLICT (trace_id, span_id, source_agent_id) DO UPDATE SET parent_span_id = ?3,
          span_type = ?5, title = ?6, content_hash = ?7, content = ?8, attributes = ?9,
          zone = ?10, started_at = ?11, ended_at = ?12, duration_ms = ?13`,
      span.traceId,
      span.spanId,
      span.parentSpanId,
      span.agentId,
      span.spanType,
      span.title,
      span.contentHash,
      span.content,
      JSON.stringify(span.attributes),
      span.zone,
      span.startedAt,
      span.endedAt,
      span.durationMs,
      this.#db.now(),
    );
  }

  /** Every span of a trace, in start order. */
  trace(traceId: string): StoredSpan[] {
    return this.#db.all(
      "SELECT * FROM group_traces WHERE trace_id = ? ORDER BY started_at, id",
      traceId,
    ).map(toSpan);
  }

  /** The traces with the latest spans stored, newest first: how many spans, from which agents. */
  recent(limit = 50): TraceSummary[] {
    return this.#db.all(
      `SELECT trace_id, count(*) AS spans, group_concat(DISTINCT source_agent_id) AS agents,
        min(started_at) AS started_at FROM group_traces GROUP BY trace_id ORDER BY max(id) DESC
        LIMIT ?`,
      limit,
    ).map((row) => ({
      traceId: text(row, "trace_id"),
      spans: int(row, "spans"),
      agents: text(row, "agents").split(",").sort(),
      startedAt: date(row, "started_at"),
    }));
  }

  /** The spans that name a task (attribute `task_id`), first stored first. */
  ofTask(taskId: string): StoredSpan[] {
    return this.#db.all(
      `SELECT * FROM group_traces WHERE json_extract(attributes, '$.task_id') = ? ORDER BY id`,
      taskId,
    ).map(toSpan);
  }
}
