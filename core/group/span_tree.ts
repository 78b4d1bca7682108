/**
 * One task's spans from every agent as one tree: what `kafclaw task show <id> --trace` prints.
 * The spans come from the agent's store (its own and those it read from the traces topic) and,
 * where the store lacks some, from the topic itself; the same span told twice counts once.
 *
 * @module
 */
import { forest, type StoredSpan } from "../timeline/mod.ts";

/** A span and the spans whose parent it is, in start order. */
export interface SpanTreeNode {
  readonly span: StoredSpan;
  readonly children: SpanTreeNode[];
}

/** A trace as a forest; see {@link spanTree}. */
export interface TaskTrace {
  readonly traceId: string;
  readonly roots: SpanTreeNode[];
  /** How many spans, all agents together. */
  readonly spans: number;
  /** The agents that sent them, in the order they first appear. */
  readonly agents: string[];
}

/**
 * A span as the API answers it and `--json` prints it: snake_case keys, times as ISO 8601, absent
 * values as null; its attributes as they were sent.
 */
export function spanJson(s: StoredSpan) {
  return {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId ?? null,
    agent_id: s.agentId,
    span_type: s.spanType,
    title: s.title,
    started_at: s.startedAt.toISOString(),
    ended_at: s.endedAt?.toISOString() ?? null,
    duration_ms: s.durationMs ?? null,
    attributes: s.attributes,
    content_hash: s.contentHash ?? null,
    content: s.content ?? null,
    zone: s.zone ?? null,
  };
}

/** The spans of `spans` that belong together, each once (the latest told, an ended one first). */
export function uniqueSpans(spans: readonly StoredSpan[]): StoredSpan[] {
  const byKey = new Map<string, StoredSpan>();
  for (const span of spans) {
    const key = `${span.traceId}/${span.spanId}/${span.agentId}`;
    const known = byKey.get(key);
    if (known === undefined || known.endedAt === undefined || span.endedAt !== undefined) {
      byKey.set(key, span);
    }
  }
  return [...byKey.values()];
}

/**
 * Builds one trace's tree: each span under its parent, siblings by start time; a span whose
 * parent is missing (not sent yet, or lost) is a root of its own, so nothing is dropped.
 */
export function spanTree(traceId: string, spans: readonly StoredSpan[]): TaskTrace {
  const mine = uniqueSpans(spans.filter((s) => s.traceId === traceId))
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const toNode = (node: { item: StoredSpan; children: unknown[] }): SpanTreeNode => ({
    span: node.item,
    children: (node.children as typeof node[]).map(toNode),
  });
  const roots = forest(mine, { id: (s) => s.spanId, parent: (s) => s.parentSpanId }).map(toNode);
  return {
    traceId,
    roots,
    spans: mine.length,
    agents: [...new Set(mine.map((s) => s.agentId))],
  };
}

/** The trace a task belongs to, as its spans in `spans` (attribute `task_id`) tell. */
export function traceOfTask(taskId: string, spans: readonly StoredSpan[]): string | undefined {
  return spans.find((s) => s.attributes.task_id === taskId)?.traceId;
}
