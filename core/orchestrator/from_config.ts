/**
 * The orchestrator a gateway runs: always in headless mode, which forces it on (ARCHITECTURE.md,
 * Modes: the server others reach is a node of the hierarchy), and in full mode when
 * `orchestrator.enabled`; its role, parent, zone and endpoint from `orchestrator.*`, its interval
 * the group's heartbeat interval.
 *
 * @module
 */
import type { Mode, ResolvedConfig } from "../config/mod.ts";
import { Orchestrator, type OrchestratorMember } from "./orchestrator.ts";

/** Whether a gateway in `mode` runs the orchestrator's node. */
export function runsOrchestrator(
  config: Pick<ResolvedConfig, "orchestrator">,
  mode: Mode,
): boolean {
  return mode === "headless" || (mode === "full" && config.orchestrator.enabled);
}

/** Starts this agent's node when config and mode say so; undefined when they do not. */
export function startOrchestrator(
  config: ResolvedConfig,
  mode: Mode,
  at: {
    readonly agentId: string;
    readonly member: OrchestratorMember;
    /** Told when the node's announcements cannot be sent, and when they go again. */
    readonly warn?: ((line: string) => void) | undefined;
  },
): Promise<Orchestrator> | undefined {
  const settings = config.orchestrator;
  if (!runsOrchestrator(config, mode)) return undefined;
  const zone = settings.zoneId;
  return Orchestrator.start({
    group: config.group.name,
    member: at.member,
    self: {
      agentId: at.agentId,
      agentName: at.agentId,
      role: settings.role,
      parentId: settings.parentId,
      zones: zone === undefined || zone === "public" ? ["public"] : ["public", zone],
      endpoint: settings.endpoint ?? "",
    },
    heartbeatIntervalMs: config.group.heartbeatIntervalMs,
    warn: at.warn,
  });
}
