/**
 * Tasks and traces. `/api/v1/tasks`: the messages this agent handled (core/timeline tasks:
 * channel messages, each with its trace), one with its trace tree, and a replay: the task's
 * message again as a turn of the same sender, in a session of its own, the old answer beside the
 * new. `/api/v1/traces/:id`: this agent's spans of a trace as a tree.
 *
 * @module
 */
import { z } from "zod";
import type { TaskStatus } from "../../core/timeline/mod.ts";
import { found, NotFound } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import { type ApiRoutes, PAGE_QUERY, param, type RouteSpec } from "./routes.ts";
import { eventTree } from "./timeline.ts";
import { wire } from "../../core/wire/mod.ts";

/** An id of a task, a trace or a span as the API takes it. */
export const ID = z.string().regex(/^[\w.:-]{1,128}$/, { message: "not an id" });

const STATUSES = ["pending", "processing", "completed", "failed"] as const satisfies TaskStatus[];

const LIST = z.object({
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().min(1).optional(),
});

const REPLAY = {
  method: "post",
  path: "/api/v1/tasks/:id/replay",
  summary: "Runs a task's message again as a turn of its sender; the old and new answers",
  tag: "tasks",
} as const satisfies RouteSpec;

/** Mounts the task and trace endpoints. */
export function mountTasks(routes: ApiRoutes, parts: ApiParts): void {
  const { runtime } = parts.gateway;
  const { tasks, events } = runtime.timeline;
  const known = (id: string) => found(tasks.get(id), `No task ${id}`);
  routes.add({
    method: "get",
    path: "/api/v1/tasks",
    summary: "The messages this agent handled, newest first",
    tag: "tasks",
    query: LIST,
  }, (c, { query }) => {
    const page = PAGE_QUERY.parse({ limit: query.limit, before: query.before });
    const listed = tasks.list({ ...page, ...(query.status ? { status: query.status } : {}) });
    return c.json({ items: listed.items.map(wire), next: listed.next ?? null });
  });
  routes.add(
    { method: "get", path: "/api/v1/tasks/:id", summary: "One task and its trace", tag: "tasks" },
    (c) => {
      const task = known(param(c, "id", ID));
      return c.json({ task: wire(task), trace: eventTree(events.traceTree(task.traceId)) });
    },
  );
  routes.add(REPLAY, async (c) => {
    const task = known(param(c, "id", ID));
    const result = await runtime.door.enter({
      source: { kind: "channel", channel: task.channel, sender: task.senderId },
      sessionKey: `replay:${task.taskId}:${Date.now()}`,
      text: task.contentIn,
      signal: c.req.raw.signal,
    });
    return c.json({
      task_id: task.taskId,
      request: task.contentIn,
      old: { status: task.status, answer: task.contentOut ?? null },
      new: {
        kind: result.kind,
        answer: result.content,
        ...(result.kind === "turn" ? { stopped: result.turn.stopped } : {}),
      },
    });
  });
  routes.add(
    {
      method: "get",
      path: "/api/v1/traces/:id",
      summary: "This agent's spans of a trace, as a tree",
      tag: "traces",
    },
    (c) => {
      const id = param(c, "id", ID);
      const roots = events.traceTree(id);
      if (roots.length === 0) throw new NotFound(`No trace ${id}`);
      return c.json({ trace_id: id, roots: eventTree(roots) });
    },
  );
}
