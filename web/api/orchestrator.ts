/**
 * The orchestrator (core/orchestrator), in full mode (and headless with a group): the hierarchy
 * of nodes, the zones, the agents with their node and roster state, and a dispatch to a live node
 * below this one, queued through the group's task path as `kafclaw orchestrator dispatch` sends
 * it. Without an orchestrator the endpoints answer 409 saying which mode runs one, and so they do
 * while the gateway is out of its group.
 *
 * @module
 */
import { z } from "zod";
import {
  DispatchError,
  dispatchTarget,
  nodeJson,
  zoneMembersOf,
} from "../../core/orchestrator/mod.ts";
import { Conflict } from "./errors.ts";
import { queueTask, ZONE } from "./group.ts";
import type { ApiParts } from "./parts.ts";
import type { ApiRoutes } from "./routes.ts";

const DISPATCH = z.object({
  content: z.string().trim().min(1).max(100_000).describe("What the task asks"),
  zone: ZONE.default("public").describe("Only nodes of this zone, and into it"),
});

/** Mounts the orchestrator endpoints. */
export function mountOrchestrator(routes: ApiRoutes, parts: ApiParts): void {
  const { gateway } = parts;
  const orchestrator = () => {
    if (!gateway.member) {
      throw new Conflict(
        `${gateway.agentId} has left group "${gateway.group}": its node is back once it joins ` +
          "again (POST /api/v1/group/join)",
        "not_member",
      );
    }
    if (gateway.orchestrator !== undefined) return gateway.orchestrator;
    throw new Conflict(
      `This gateway runs no orchestrator (${gateway.mode} mode): full mode with ` +
        "orchestrator.enabled runs one",
      "no_orchestrator",
    );
  };
  const get = (path: string, summary: string, answer: Parameters<ApiRoutes["add"]>[1]) =>
    routes.add({
      method: "get",
      path: `/api/v1/orchestrator${path}`,
      summary,
      tag: "orchestrator",
      group: true,
    }, answer);
  get(
    "/hierarchy",
    "The tree of the group's nodes",
    (c) =>
      c.json({
        group: gateway.group,
        nodes: orchestrator().hierarchy().nodes().map((p) => nodeJson(p, gateway.membership.zones)),
      }),
  );
  get("/zones", "The group's zones and their members", (c) => {
    orchestrator();
    return c.json({ items: gateway.membership.zones.all() });
  });
  get("/agents", "Every member with its node, when it has one", (c) => {
    const hierarchy = orchestrator().hierarchy();
    return c.json({
      items: gateway.membership.members().map((m) => {
        const placed = hierarchy.get(m.agentId);
        return {
          agent_id: m.agentId,
          status: m.status,
          skills: m.skills,
          load: m.load,
          node: placed ? nodeJson(placed, gateway.membership.zones) : null,
        };
      }),
    });
  });
  routes.add({
    method: "post",
    path: "/api/v1/orchestrator/dispatch",
    summary: "Sends a task to a live node below this one",
    tag: "orchestrator",
    group: true,
    body: DISPATCH,
  }, (c, { body }) => {
    let target: string;
    try {
      target = dispatchTarget({
        hierarchy: orchestrator().hierarchy(),
        from: gateway.agentId,
        workers: { live: () => gateway.membership.live() },
        zone: body.zone,
        zoneMembers: zoneMembersOf(gateway.membership.zones),
      });
    } catch (error) {
      if (error instanceof DispatchError) throw new Conflict(error.message, "no_target");
      throw error;
    }
    const taskId = queueTask(parts, {
      content: body.content,
      to: { agent: target },
      zone: body.zone,
    });
    return c.json({ task_id: taskId, to: target, status: "queued" }, 202);
  });
}
