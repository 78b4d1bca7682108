/**
 * Where an orchestrator's task goes (`kafclaw orchestrator dispatch`): to a node below it in the
 * hierarchy that is active, is live on the roster, takes work (not an observer) and is in the
 * task's zone; among those, the one the group's requester would choose (core/group
 * `chooseWorker`: most free capacity by the heartbeats, then the smallest id). The task then goes
 * through the group's own task path to that node's inbox.
 *
 * Zones: which nodes are in a zone is asked of a {@link ZoneMembers} hook: {@link zoneMembersOf}
 * the group's zone records (core/group `ZoneDirectory`); without one, {@link publicOnly}:
 * `public` holds every node and any other zone is refused. A task dispatched into a zone goes to
 * the zone's inbox addressed to the node chosen (core/group `taskRequest`), so only members see it.
 *
 * @module
 */
import {
  chooseWorker,
  type LiveWorkers,
  LiveWorkerSet,
  PUBLIC_ZONE,
  type ZoneDirectory,
} from "../group/mod.ts";
import type { Hierarchy } from "./hierarchy.ts";

/** The members of `zone` (agent ids), or undefined for a zone that does not exist. */
export type ZoneMembers = (zone: string) => readonly string[] | "everyone" | undefined;

/** The zones there are while zone records are not read: `public`, which holds every node. */
export const publicOnly: ZoneMembers = (zone) => zone === "public" ? "everyone" : undefined;

/**
 * The members of each zone as the group's zone records say (in a signed group, those whose
 * certificate names the zone too); `public` holds every node.
 */
export function zoneMembersOf(zones: Pick<ZoneDirectory, "get" | "isMember">): ZoneMembers {
  return (zone) =>
    zone === PUBLIC_ZONE
      ? "everyone"
      : zones.get(zone)?.members.filter((agentId) => zones.isMember(zone, agentId));
}

/** Why a task cannot be dispatched, in one line. */
export class DispatchError extends Error {
  override name = "DispatchError";
}

/** What {@link dispatchTarget} chooses from. */
export interface DispatchFrom {
  readonly hierarchy: Hierarchy;
  /** The orchestrator that dispatches: the task goes below it. */
  readonly from: string;
  /** The live members with their load (the roster). */
  readonly workers: LiveWorkers;
  readonly zone: string;
  readonly zoneMembers?: ZoneMembers;
}

/** The node that gets the task; throws {@link DispatchError} when there is none. */
export function dispatchTarget(at: DispatchFrom): string {
  const { hierarchy, from, zone } = at;
  const members = (at.zoneMembers ?? publicOnly)(zone);
  if (members === undefined) {
    throw new DispatchError(`Cannot dispatch to zone "${zone}": no such zone`);
  }
  if (hierarchy.get(from) === undefined) {
    throw new DispatchError(`Cannot dispatch from "${from}": it is not an active node`);
  }
  const below = new Set(
    hierarchy.subtree(from)
      .filter((p) => p.liveness === "active" && p.node.role !== "observer")
      .filter((p) => members === "everyone" || members.includes(p.node.agentId))
      .map((p) => p.node.agentId),
  );
  const live = new LiveWorkerSet(at.workers.live().filter((w) => below.has(w.agentId)));
  const chosen = chooseWorker(live, { exclude: [] });
  if (chosen === undefined) {
    throw new DispatchError(
      `Cannot dispatch from "${from}": no live node below it in zone "${zone}" takes work`,
    );
  }
  return chosen.agentId;
}
