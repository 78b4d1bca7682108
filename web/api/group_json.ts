/**
 * The group's records as the API answers them (wire.ts): snake_case keys, times as ISO 8601
 * strings, absent values as null; the group protocol's own payloads pass through as they are (a
 * member's `identity`, a task's `request`, a span's `attributes`).
 *
 * @module
 */
import { spanJson, type SpanTreeNode, type TaskTrace } from "../../core/group/mod.ts";
import { snakeKey, wire } from "../../core/wire/mod.ts";

/** A node of a trace's tree, with its children. */
interface NodeJson {
  readonly span: ReturnType<typeof spanJson>;
  readonly children: NodeJson[];
}

function nodeJson(node: SpanTreeNode): NodeJson {
  return { span: spanJson(node.span), children: node.children.map(nodeJson) };
}

/** A trace as one tree of every agent's spans. */
export function traceJson(trace: TaskTrace) {
  return wire({ ...trace, roots: trace.roots.map(nodeJson) });
}

/** The group's topics by role (`tasks_status`, `dead_letter`, ...). */
export function topicsJson(topics: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(topics).map(([role, topic]) => [snakeKey(role), topic]));
}
