/**
 * How `kafclaw task show --trace` prints a task's trace, as text and as JSON: the tree of spans
 * from every agent, then the records of the task that failed verification. Pure functions of what
 * the store and the topics hold, tested without a group.
 *
 * @module
 */
import {
  type DroppedRecord,
  spanJson,
  type SpanTreeNode,
  type TaskTrace,
} from "../core/group/mod.ts";

/** A span with its children, its fields beside them (without the trace's id, said once above). */
function nodeJson(node: SpanTreeNode): Record<string, unknown> {
  const { trace_id: _trace, zone: _zone, content, ...span } = spanJson(node.span);
  return {
    ...span,
    ...(content === null ? {} : { content }),
    children: node.children.map(nodeJson),
  };
}

/** A record that failed verification, as `--json` prints it. */
export function droppedJson(dropped: DroppedRecord) {
  return {
    agent_id: dropped.agentId,
    topic: dropped.topic,
    code: dropped.code,
    reason: dropped.reason,
  };
}

/** What was dropped as text: nothing when nothing was, else a line and one line per record. */
export function droppedLines(dropped: readonly DroppedRecord[]): string[] {
  if (dropped.length === 0) return [];
  return [
    `dropped ${dropped.length} record(s) of this task that failed verification:`,
    ...dropped.map((d) => `  from "${d.agentId}" on ${d.topic}: ${d.code}`),
  ];
}

/**
 * A trace as `task show --trace --json` prints it: the tree, each span with its children, and the
 * records of the task read from the topics that failed verification (not in the tree).
 */
export function traceJson(
  trace: TaskTrace,
  source: "agent" | "topics",
  dropped: readonly DroppedRecord[],
) {
  return {
    trace_id: trace.traceId,
    source,
    agents: trace.agents,
    spans: trace.spans,
    roots: trace.roots.map(nodeJson),
    dropped: dropped.map(droppedJson),
  };
}

/** A trace as text: one line per span, indented under its parent; then what was dropped. */
export function traceText(trace: TaskTrace, dropped: readonly DroppedRecord[]): string {
  const lines = [`trace ${trace.traceId}: ${trace.spans} spans from ${trace.agents.join(", ")}`];
  const walk = (node: SpanTreeNode, depth: number) => {
    const s = node.span;
    const took = s.durationMs === undefined ? "open" : `${s.durationMs} ms`;
    const status = typeof s.attributes.status === "string" ? ` [${s.attributes.status}]` : "";
    lines.push(`${"  ".repeat(depth)}${s.agentId} ${s.spanType} ${s.title} (${took})${status}`);
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of trace.roots) walk(root, 1);
  return [...lines, ...droppedLines(dropped)].join("\n");
}
