/**
 * Timeline events: each one is a span of a trace (W3C-style trace and span ids, a parent span,
 * start, end and duration), tagged with the session, channel, sender, taint and zone it belongs
 * to. A span is begun and ended, or recorded whole; a trace reads back as a tree of spans.
 *
 * @module
 */
import type { Db, Param, Row } from "./_db.ts";
import {
  date,
  int,
  json,
  optDate,
  optInt,
  optText,
  pageLimit,
  pageOf,
  randomHex,
  text,
} from "./_row.ts";
import { forest, type ForestNode } from "./forest.ts";
import type { Page, PageOptions, Taint } from "./types.ts";

/** What an event records. */
export const EVENT_KINDS = [
  "INBOUND",
  "OUTBOUND",
  "LLM",
  "TOOL",
  "SYSTEM",
  "POLICY",
  "APPROVAL",
  "GUARD",
  "MEMORY",
  "GROUP",
  "SCHEDULER",
  "ERROR",
] as const;

/** One of {@link EVENT_KINDS}. */
export type EventKind = typeof EVENT_KINDS[number];

/** A stored event. */
export interface TimelineEvent {
  /** The row id: a paging cursor, increasing in insertion order. */
  readonly id: number;
  readonly eventId: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly kind: EventKind;
  readonly sessionKey: string | undefined;
  readonly channel: string | undefined;
  readonly sender: string | undefined;
  readonly contentText: string;
  readonly metadata: Record<string, unknown>;
  readonly startedAt: Date;
  /** Undefined while the span is open. */
  readonly endedAt: Date | undefined;
  readonly durationMs: number | undefined;
  readonly taint: Taint;
  readonly zone: string | undefined;
}

/** A new span. Ids not given are made: trace 32 hex digits, span 16, event 32. */
export interface SpanInput {
  readonly kind: EventKind;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentSpanId?: string;
  readonly eventId?: string;
  readonly sessionKey?: string;
  readonly channel?: string;
  readonly sender?: string;
  readonly contentText?: string;
  readonly metadata?: Record<string, unknown>;
  readonly taint?: Taint;
  readonly zone?: string;
  /** Default: the clock's now. */
  readonly startedAt?: Date;
}

/** How a span ends: its end time, and text or metadata learnt meanwhile (metadata is merged). */
export interface SpanEnd {
  readonly endedAt?: Date;
  readonly contentText?: string;
  readonly metadata?: Record<string, unknown>;
}

/** A span and the spans whose parent it is, in start order. */
export interface SpanNode {
  readonly event: TimelineEvent;
  readonly children: SpanNode[];
}

/** Which events {@link EventLog.list} returns. */
export interface EventQuery extends PageOptions {
  readonly traceId?: string;
  readonly sessionKey?: string;
  readonly kind?: EventKind;
  readonly channel?: string;
}

function toEvent(row: Row): TimelineEvent {
  return {
    id: int(row, "id"),
    eventId: text(row, "event_id"),
    traceId: text(row, "trace_id"),
    spanId: text(row, "span_id"),
    parentSpanId: optText(row, "parent_span_id"),
    kind: text(row, "kind") as EventKind,
    sessionKey: optText(row, "session_key"),
    channel: optText(row, "channel"),
    sender: optText(row, "sender"),
    contentText: text(row, "content_text"),
    metadata: json(row, "metadata"),
    startedAt: date(row, "started_at"),
    endedAt: optDate(row, "ended_at"),
    durationMs: optInt(row, "duration_ms"),
    taint: text(row, "taint") as Taint,
    zone: optText(row, "zone"),
  };
}

const INSERT = `INSERT INTO timeline_events (event_id, trace_id, span_id, parent_span_id, kind,
  session_key, channel, sender, content_text, metadata, started_at, ended_at, duration_ms, taint,
  zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_RETURNING = `${INSERT} RETURNING *`;

function duration(start: Date, end: Date): number {
  return Math.max(0, end.getTime() - start.getTime());
}

/** The `events` repository of a Timeline. */
export class EventLog {
  readonly #db: Db;
  readonly #onWrite = new Set<() => void>();

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Calls `listener` after each event this connection stores (other processes' writes are not
   * seen here: poll {@link after} for those), until the returned function is called. It is called
   * at once, maybe inside a transaction not yet committed: it should only schedule a read, never
   * read there. A listener that throws is ignored.
   */
  onWrite(listener: () => void): () => void {
    this.#onWrite.add(listener);
    return () => this.#onWrite.delete(listener);
  }

  /** The parameters of {@link INSERT} for a span. */
  #values(input: SpanInput, endedAt: Date | undefined): Param[] {
    const startedAt = input.startedAt ?? this.#db.now();
    return [
      input.eventId ?? randomHex(16),
      input.traceId ?? randomHex(16),
      input.spanId ?? randomHex(8),
      input.parentSpanId,
      input.kind,
      input.sessionKey,
      input.channel,
      input.sender,
      input.contentText ?? "",
      JSON.stringify(input.metadata ?? {}),
      startedAt,
      endedAt,
      endedAt && duration(startedAt, endedAt),
      input.taint ?? "trusted",
      input.zone,
    ];
  }

  #written(): void {
    for (const listener of this.#onWrite) {
      try {
        listener();
      } catch { /* a reader's failure is not the write's */ }
    }
  }

  #insert(input: SpanInput, endedAt: Date | undefined): TimelineEvent {
    const row = this.#db.get(INSERT_RETURNING, ...this.#values(input, endedAt));
    this.#written();
    return toEvent(row!);
  }

  /** Opens a span; {@link end} closes it. */
  begin(input: SpanInput): TimelineEvent {
    return this.#insert(input, undefined);
  }

  /**
   * Closes an open span: sets its end and duration, replaces its text if given and merges its
   * metadata. An already ended span is returned unchanged; an unknown id gives undefined.
   */
  end(eventId: string, end: SpanEnd = {}): TimelineEvent | undefined {
    return this.#db.tx(() => {
      const event = this.get(eventId);
      if (event === undefined || event.endedAt !== undefined) return event;
      const endedAt = end.endedAt ?? this.#db.now();
      const row = this.#db.get(
        `UPDATE timeline_events SET ended_at = ?, duration_ms = ?, content_text = ?, metadata = ?
          WHERE event_id = ? RETURNING *`,
        endedAt,
        duration(event.startedAt, endedAt),
        end.contentText ?? event.contentText,
        JSON.stringify({ ...event.metadata, ...end.metadata }),
        eventId,
      );
      return toEvent(row!);
    });
  }

  /** Records a finished span (or an instant, when `endedAt` is left out) in one call. */
  record(input: SpanInput & { readonly endedAt?: Date }): TimelineEvent {
    const startedAt = input.startedAt ?? this.#db.now();
    return this.#insert({ ...input, startedAt }, input.endedAt ?? startedAt);
  }

  /**
   * {@link record} for a writer that does not read the event back (a turn's inbound message, its
   * LLM calls and tool calls): the same row, stored the same way, without the row returned and
   * rebuilt, which cost some 8 µs warm and 30-40 µs in a turn after its process was idle.
   */
  note(input: SpanInput & { readonly endedAt?: Date }): void {
    const startedAt = input.startedAt ?? this.#db.now();
    this.#db.run(INSERT, ...this.#values({ ...input, startedAt }, input.endedAt ?? startedAt));
    this.#written();
  }

  /** One event by its event id. */
  get(eventId: string): TimelineEvent | undefined {
    const row = this.#db.get("SELECT * FROM timeline_events WHERE event_id = ?", eventId);
    return row && toEvent(row);
  }

  /** Events, newest first, filtered by trace, session and kind; paged by row id. */
  list(query: EventQuery = {}): Page<TimelineEvent> {
    const where: string[] = [];
    const params: Param[] = [];
    const filter = (column: string, value: Param, op = "=") => {
      if (value === undefined) return;
      where.push(`${column} ${op} ?`);
      params.push(value);
    };
    filter("trace_id", query.traceId);
    filter("session_key", query.sessionKey);
    filter("kind", query.kind);
    filter("channel", query.channel);
    filter("id", query.before, "<");
    const limit = pageLimit(query.limit);
    const sql = `SELECT * FROM timeline_events${
      where.length ? ` WHERE ${where.join(" AND ")}` : ""
    } ORDER BY id DESC LIMIT ?`;
    return pageOf(this.#db.all(sql, ...params, limit + 1), limit, toEvent);
  }

  /**
   * Events stored after row `afterId`, oldest first, at most `limit` (default 50, at most 1000):
   * what a live reader has not seen yet. Ended spans keep their row id, so each event comes once.
   */
  after(afterId: number, limit?: number): TimelineEvent[] {
    return this.#db.all(
      "SELECT * FROM timeline_events WHERE id > ? ORDER BY id LIMIT ?",
      afterId,
      pageLimit(limit),
    ).map(toEvent);
  }

  /** The row id of the newest event (0 when there is none): where a live reader starts. */
  lastId(): number {
    const row = this.#db.get("SELECT coalesce(max(id), 0) AS id FROM timeline_events");
    return int(row!, "id");
  }

  /** Every event of a trace, in start order. */
  trace(traceId: string): TimelineEvent[] {
    return this.#db.all(
      "SELECT * FROM timeline_events WHERE trace_id = ? ORDER BY started_at, id",
      traceId,
    ).map(toEvent);
  }

  /**
   * A trace as a forest: each span under the span named by its `parentSpanId`. Spans whose parent
   * is not in the trace, and spans that would close a cycle, are roots; nothing is dropped.
   */
  traceTree(traceId: string): SpanNode[] {
    const toNode = ({ item, children }: ForestNode<TimelineEvent>): SpanNode => ({
      event: item,
      children: children.map(toNode),
    });
    return forest(this.trace(traceId), { id: (e) => e.spanId, parent: (e) => e.parentSpanId })
      .map(toNode);
  }
}
