/**
 * How `kafclaw task` prints tasks and traces, as text and as JSON: pure functions of what the
 * store and the topics hold, so their output is tested without a group.
 *
 * @module
 */
import {
  type DroppedRecord,
  spanJson,
  type SpanTreeNode,
  type TaskTrace,
} from "../core/group/mod.ts";
import type { OutgoingTask } from "../core/timeline/mod.ts";

/** A task as `task list --json` prints it. */
export interface TaskRow {
  readonly task_id: string;
  readonly status: string;
  readonly to: string;
  readonly attempt: number;
  readonly worker: string | null;
  readonly created_at: string;
  readonly request: string;
}

/** Where a task was sent: an agent, a skill, or the group. */
function targetOf(task: OutgoingTask): string {
  const { target_id: agent, skill } = task.request;
  if (typeof agent === "string") return `agent ${agent}`;
  if (typeof skill === "string") return `skill ${skill}`;
  return task.zone ? `zone ${task.zone}` : "group";
}

/** One line of a text, at most `max` characters. */
function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A task's row. */
export function taskRow(task: OutgoingTask): TaskRow {
  return {
    task_id: task.taskId,
    status: task.status,
    to: targetOf(task),
    attempt: task.attempt,
    worker: task.workerId ?? null,
    created_at: task.createdAt.toISOString(),
    request: String(task.request.content ?? ""),
  };
}

/** `task list` as text: one line per task, newest first; `command` starts the hint (commandName). */
export function listText(tasks: readonly OutgoingTask[], command: string): string {
  if (tasks.length === 0) {
    return `no tasks sent from this agent yet (${command} task submit sends one)`;
  }
  return tasks.map((t) => {
    const row = taskRow(t);
    const worker = row.worker ? ` by ${row.worker}` : "";
    return `${row.task_id}  ${
      row.status.padEnd(9)
    } to ${row.to}${worker}, attempt ${row.attempt}  ` +
      clip(row.request, 60);
  }).join("\n");
}

/** A task as `task show --json` prints it. */
export function taskJson(task: OutgoingTask) {
  return {
    ...taskRow(task),
    deadline_at: task.deadlineAt?.toISOString() ?? null,
    // The workers that had it before the one holding it now, whose lease lapsed or who declined.
    workers: [...task.excluded, ...(task.workerId ? [task.workerId] : [])],
    // A task that ended without an answer (rejected, expired, failed with nothing said) has none,
    // whatever its end left in the store: null, as for a task not answered yet.
    answer: task.status !== "completed" && !task.responseContent
      ? null
      : task.responseContent ?? null,
    reason: task.reason ?? null,
    responded_at: task.respondedAt?.toISOString() ?? null,
  };
}

/** `task show` as text. */
export function showText(task: OutgoingTask): string {
  const json = taskJson(task);
  return [
    `task ${json.task_id}: ${json.status}`,
    `to ${json.to}, attempt ${json.attempt}${
      json.workers.length ? `, workers ${json.workers.join(", ")}` : ""
    }`,
    `sent ${json.created_at}${json.deadline_at ? `, deadline ${json.deadline_at}` : ""}`,
    `request: ${json.request}`,
    ...(json.reason ? [`reason: ${json.reason}`] : []),
    ...(json.answer !== null ? [`answer: ${json.answer}`] : []),
  ].join("\n");
}

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
