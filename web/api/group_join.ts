/**
 * Leaving the group and joining it again, a pair: `POST /api/v1/group/leave` stops the gateway's
 * whole part in the group (core/gateway `Gateway.leave`: tasks, skills, shared memory, the
 * orchestrator's node, then a signed `leave`) while the rest serves on; `POST /api/v1/group/join`
 * starts a new one with a fresh membership (`Gateway.join`). Leaving when not a member, or joining
 * when one, is a 409 saying so; a join that fails (the brokers cannot be reached) is a 503 with
 * the reason, and the gateway stays out of the group.
 *
 * @module
 */
import { z } from "zod";
// A type only: the gateway's module loads the whole group side (kafkajs among it), which the CLI
// commands that only talk to a gateway must not load.
import type { MembershipStateError } from "../../core/gateway/mod.ts";
import { ApiError, Conflict } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import type { ApiRoutes } from "./routes.ts";

/** Each endpoint: its path's last part, summary, the change, and the answer's key. */
const CHANGES = [
  ["leave", "Leaves the group with a signed leave (the gateway serves on, outside it)", "left"],
  ["join", "Joins the group again after a leave, with a new membership", "joined"],
] as const;

/** Mounts leave and join. */
export function mountGroupJoin(routes: ApiRoutes, parts: ApiParts): void {
  const { gateway } = parts;
  for (const [change, summary, key] of CHANGES) {
    routes.add({
      method: "post",
      path: `/api/v1/group/${change}`,
      summary,
      tag: "group",
      group: true,
      response: change === "leave"
        ? z.object({
          [key]: z.string(),
          agent_id: z.string(),
          told: z.boolean().describe(
            "whether the group was told: false when the signed leave could not be sent in time " +
              "(the members take the agent for gone after 6 silent heartbeat intervals)",
          ),
        })
        : z.object({ [key]: z.string(), agent_id: z.string() }),
    }, async (c) => {
      await changing(() => gateway[change]());
      return c.json({
        [key]: gateway.group,
        agent_id: gateway.agentId,
        ...(change === "leave" ? { told: gateway.told } : {}),
      });
    });
  }
}

/** Runs a join or a leave, its refusal a 409 and its failure a 503 with the first line. */
async function changing(change: () => Promise<unknown>): Promise<void> {
  try {
    await change();
  } catch (error) {
    if (isStateError(error)) {
      throw new Conflict(error.message, error.member ? "member" : "not_member");
    }
    const line = (error as Error).message.split("\n")[0];
    throw new ApiError(503, "not_joined", `Cannot join the group: ${line}`);
  }
}

function isStateError(error: unknown): error is MembershipStateError {
  return error instanceof Error && error.name === "MembershipStateError";
}
