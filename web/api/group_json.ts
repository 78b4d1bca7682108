/**
 * The group's records as the API answers them: snake_case keys, as every answer of the API and
 * the group protocol's own payloads (which pass through as they are: a member's `identity`, a
 * task's `request`, a span's `attributes`), times as ISO 8601 strings, absent values as null.
 *
 * @module
 */
import { type Member, spanJson, type SpanTreeNode, type TaskTrace } from "../../core/group/mod.ts";
import type { OutgoingTask, TraceSummary } from "../../core/timeline/mod.ts";

/** A member of the roster. `last_seen` is in milliseconds since the epoch, as heartbeats say. */
export function memberJson(m: Member) {
  return {
    agent_id: m.agentId,
    identity: m.identity,
    status: m.status,
    heartbeat_interval_ms: m.heartbeatIntervalMs,
    last_seen: m.lastSeen,
    load: m.load,
    skills: m.skills,
    expertise: m.expertise,
  };
}

/** `fields` with each undefined value as null: an answer says null for what is absent. */
function nullWhenAbsent<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]: Exclude<T[K], undefined> | null } {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v ?? null])) as {
    [K in keyof T]: Exclude<T[K], undefined> | null;
  };
}

/** A task this agent sent. */
export function outgoingJson(t: OutgoingTask) {
  return {
    task_id: t.taskId,
    type: t.type,
    request: t.request,
    taint: t.taint,
    attempt: t.attempt,
    status: t.status,
    excluded: t.excluded,
    created_at: t.createdAt.toISOString(),
    routes: t.routes,
    ...nullWhenAbsent({
      worker_id: t.workerId,
      topic: t.topic,
      zone: t.zone,
      deadline_at: t.deadlineAt?.toISOString(),
      response_content: t.responseContent,
      reason: t.reason,
      responded_at: t.respondedAt?.toISOString(),
    }),
  };
}

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
  return {
    trace_id: trace.traceId,
    roots: trace.roots.map(nodeJson),
    spans: trace.spans,
    agents: trace.agents,
  };
}

/** A trace among the recent ones. */
export function traceSummaryJson(t: TraceSummary) {
  return {
    trace_id: t.traceId,
    spans: t.spans,
    agents: t.agents,
    started_at: t.startedAt.toISOString(),
  };
}

/** The group's topics by role (`tasks_status`, `dead_letter`, ...). */
export function topicsJson(topics: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(topics).map(([role, topic]) => [
      role.replaceAll(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      topic,
    ]),
  );
}
