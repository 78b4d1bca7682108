/**
 * The group, as this gateway's membership (core/group) knows it: its state, the roster, the tasks
 * this agent sent (and a new one, queued for the gateway's requester as `kafclaw task submit`
 * queues it), a task's trace across every agent that worked on it, the skills offered, shared
 * memory (searched, and shared as the owner), the owner's manifest, the topics, the audit, and
 * leaving and joining again (group_join.ts). Every one is 409 in standalone mode, which has no group.
 *
 * @module
 */
import { z } from "zod";
import {
  PUBLIC_ZONE,
  rootLimits,
  spanTree,
  taskRequest,
  traceOfTask,
  ZoneRefused,
} from "../../core/group/mod.ts";
import { topicsFor } from "../../core/protocol/mod.ts";
import { Conflict, found, NotFound } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import { mountGroupJoin } from "./group_join.ts";
import { type ApiRoutes, param } from "./routes.ts";
import { ID } from "./tasks.ts";
import { EVENT_PAGE, eventJson } from "./timeline.ts";
import { topicsJson, traceJson } from "./group_json.ts";
import { wire } from "../../core/wire/mod.ts";
import { searchJson } from "../../core/memory/mod.ts";

const LIMIT = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

/** A zone a task goes into: only its members see it (`public`, the default: every member). */
export const ZONE = z.string().regex(/^[\w.-]{1,64}$/).describe(
  "Into this zone: on its topics, for its members only (default: public)",
);

/** What a new group task is: what it asks, and of whom (anyone, an agent, a skill). */
export const NEW_TASK = z.object({
  content: z.string().trim().min(1).max(100_000).describe("What the task asks"),
  to: z.union([
    z.object({ agent: z.string().min(1).max(128) }),
    z.object({ skill: z.string().min(1).max(128) }),
  ]).optional().describe("One agent, or any agent offering a skill (default: anyone)"),
  deadline_ms: z.number().int().min(1000).max(86_400_000).optional(),
  zone: ZONE.optional(),
});

const SHARE = z.object({
  title: z.string().trim().min(1).max(200),
  content: z.string().min(1).describe("At most group.memoryItemBytes (1 MiB by default)"),
  tags: z.array(z.string().min(1).max(64)).max(20).default([]),
  ttl_seconds: z.number().int().min(1).max(30 * 86_400).optional()
    .describe("A context item that expires; absent: shared memory kept"),
});

const SHARED = z.object({
  q: z.string().min(1).max(2000).describe("What to look for among the memories others shared"),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/**
 * Queues a task for the gateway's requester (which sends and follows it); returns its id. `to`
 * is where it goes: an agent, a skill, or anyone; `zone`, the zone it goes into, refused (409
 * `zone_refused`) unless this agent, and the agent of `to`, are its members.
 */
export function queueTask(
  parts: ApiParts,
  task: {
    content: string;
    to?: { agent: string } | { skill: string } | undefined;
    deadlineMs?: number | undefined;
    zone?: string | undefined;
  },
): string {
  const { gateway } = parts;
  const zone = task.zone === PUBLIC_ZONE ? undefined : task.zone;
  if (zone !== undefined) {
    const target = task.to !== undefined && "agent" in task.to ? task.to.agent : undefined;
    try {
      gateway.membership.zones.checkTask(gateway.agentId, zone, target);
    } catch (error) {
      if (error instanceof ZoneRefused) throw new Conflict(error.message, "zone_refused");
      throw error;
    }
  }
  const taskId = crypto.randomUUID();
  const limits = rootLimits(gateway.agentId, new Date(), { deadlineMs: task.deadlineMs });
  const { type, payload, topic } = taskRequest(gateway.agentId, gateway.group, {
    taskId,
    content: task.content,
    to: task.to ?? { group: true },
    zone,
    limits,
  });
  gateway.runtime.timeline.groupTasks.addOutgoing({
    taskId,
    type,
    taint: "trusted",
    request: payload,
    topic,
    zone,
    status: "queued",
  });
  return taskId;
}

/** Mounts the group endpoints. */
export function mountGroup(routes: ApiRoutes, parts: ApiParts): void {
  const { gateway } = parts;
  // The membership is read at each request: a leave and a join replace it (group_join.ts). Out
  // of the group the agent follows no roster: the one it had when it left is not shown as now.
  const roster = () => gateway.member ? gateway.membership.members() : [];
  const { groupTasks, workedTasks, groupTraces, events } = gateway.runtime.timeline;
  const get = (path: string, summary: string, answer: Parameters<ApiRoutes["add"]>[1]) =>
    routes.add(
      { method: "get", path: `/api/v1/group${path}`, summary, tag: "group", group: true },
      answer,
    );
  get("", "The group's state as this agent sees it", (c) =>
    c.json({
      name: gateway.group,
      agent_id: gateway.agentId,
      mode: gateway.mode,
      kafka: gateway.kafka,
      security: gateway.membership.security,
      sponsoring: gateway.sponsoring,
      left: !gateway.member,
      // Out of the group: whether the others were told (its signed leave sent in time).
      ...(gateway.member ? {} : { told: gateway.told }),
      members: roster().length,
      live: roster().filter((m) => m.status === "active").length,
      parked: gateway.membership.parked,
      skills: gateway.tasks.skills.offered(),
    }));
  get(
    "/members",
    "The roster: every member, active or stale",
    (c) => c.json({ items: roster().map(wire) }),
  );
  get("/tasks", "The tasks this agent sent, newest first", (c) => {
    const { limit } = LIMIT.parse(c.req.query());
    return c.json({ items: groupTasks.listOutgoing(limit).map(wire) });
  });
  routes.add({
    method: "post",
    path: "/api/v1/group/tasks",
    summary: "Sends a task to the group (queued for this gateway's requester)",
    tag: "group",
    group: true,
    body: NEW_TASK,
  }, (c, { body }) =>
    c.json({
      task_id: queueTask(parts, {
        content: body.content,
        to: body.to,
        deadlineMs: body.deadline_ms,
        zone: body.zone,
      }),
      status: "queued",
    }, 202));
  get("/tasks/:id", "One task this agent sent", (c) => {
    const id = param(c, "id", ID);
    const task = found(groupTasks.outgoing(id), `No task ${id} was sent from this agent`);
    return c.json(wire(task));
  });
  get("/worked", "The tasks of other agents this agent worked on, the latest first", (c) => {
    const { limit } = LIMIT.parse(c.req.query());
    return c.json({ items: workedTasks.list(limit).map(wire) });
  });
  get("/worked/:id", "One task of another agent this agent worked on", (c) => {
    const id = param(c, "id", ID);
    return c.json(wire(found(workedTasks.get(id), `No task ${id} was worked on here`)));
  });
  get("/tasks/:id/trace", "A task's spans from every agent, as one tree", (c) => {
    const id = param(c, "id", ID);
    const traceId = found(traceOfTask(id, groupTraces.ofTask(id)), `No spans of task ${id} here`);
    return c.json(traceJson(spanTree(traceId, groupTraces.trace(traceId))));
  });
  get("/traces", "The traces of group tasks stored here, newest first", (c) => {
    const { limit } = LIMIT.parse(c.req.query());
    return c.json({ items: groupTraces.recent(limit).map(wire) });
  });
  get("/traces/:id", "A trace's spans from every agent, as one tree", (c) => {
    const id = param(c, "id", ID);
    const spans = groupTraces.trace(id);
    if (spans.length === 0) throw new NotFound(`No spans of trace ${id} here`);
    return c.json(traceJson(spanTree(id, spans)));
  });
  get(
    "/skills",
    "The group's skills and who offers each",
    (c) =>
      c.json({
        offered: gateway.tasks.skills.offered(),
        directory: gateway.membership.skills.all(),
      }),
  );
  routes.add({
    method: "get",
    path: "/api/v1/group/memory",
    summary: "Searches what other agents shared",
    tag: "group",
    group: true,
    query: SHARED,
  }, async (c, { query }) => {
    const result = await gateway.runtime.memory.search(query.q, {
      zones: "all",
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
    const shared = result.hits.filter((h) => h.source.startsWith("group:"));
    return c.json(searchJson({ ...result, hits: shared }));
  });
  routes.add({
    method: "post",
    path: "/api/v1/group/memory",
    summary: "Shares a memory with the group, as the owner (as the share_memory tool does)",
    tag: "group",
    group: true,
    body: SHARE,
  }, async (c, { body }) => {
    const ctx = {
      sessionKey: "api:default",
      workspace: gateway.runtime.sandbox.workspace,
      signal: c.req.raw.signal,
      taint: "trusted" as const,
    };
    const request = {
      title: body.title,
      content: body.content,
      tags: body.tags,
      ...(body.ttl_seconds === undefined ? {} : { ttlSeconds: body.ttl_seconds }),
    };
    let itemId: string;
    try {
      itemId = await gateway.memory.shared.share(request, ctx);
    } catch (error) {
      throw new Conflict((error as Error).message.split("\n")[0]!, "not_shared");
    }
    return c.json({ item_id: itemId }, 202);
  });
  get("/manifest", "The group's manifest as the owner signed it", (c) => {
    const manifest = gateway.membership.manifest;
    if (manifest === undefined) {
      throw new NotFound("No manifest has been read yet");
    }
    return c.json(manifest);
  });
  get("/topics", "The group's topics", (c) => c.json(topicsJson(topicsFor(gateway.group))));
  routes.add({
    method: "get",
    path: "/api/v1/group/audit",
    summary: "The group's audit events this agent kept, newest first (as the timeline shows them)",
    tag: "group",
    group: true,
    query: LIMIT,
    response: EVENT_PAGE,
  }, (c, { query }) => {
    const page = events.list({ kind: "GROUP", limit: query.limit });
    return c.json({ items: page.items.map(eventJson), next: page.next ?? null });
  });
  mountGroupJoin(routes, parts);
}
