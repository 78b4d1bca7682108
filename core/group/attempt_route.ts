/**
 * Where a requester sends a task's next attempt (PROTOCOL.md, semantics 3 and 4): to the inbox of
 * (for a zone's task: to the zone's inbox, addressed to) the live worker that offers the task's skill with the best expertise, then the most free
 * capacity (live_workers.ts), leaving out the workers that declined or lapsed before and the
 * requester itself, and, for a zone's task, every agent outside the zone; with the reason of the
 * choice, stored with the task (`routes`).
 *
 * @module
 */
import type { OutgoingTask, RouteChoice } from "../timeline/mod.ts";
import { type LiveWorkers, rankWorkers, scoreOf } from "./live_workers.ts";
import { inboxFor } from "./status_records.ts";

/** The next attempt of a task: the worker chosen, its inbox, the request and why. */
export interface AttemptRoute {
  readonly worker: string;
  readonly topic: string;
  /** The request's payload for this attempt (`attempt` and `target_id` set). */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly route: RouteChoice;
}

/**
 * The route of `task`'s current attempt, moved on because of `why`; undefined while no live worker
 * is left to take it.
 */
export function routeAttempt(
  task: OutgoingTask,
  at: {
    readonly group: string;
    readonly requester: string;
    readonly workers: LiveWorkers;
    readonly why: string;
    readonly now: Date;
    /** Whether an agent is a member of a zone; without it a zone's task goes to nobody. */
    readonly inZone?: ((zone: string, agentId: string) => boolean) | undefined;
  },
): AttemptRoute | undefined {
  const skill = typeof task.request.skill === "string" ? task.request.skill : undefined;
  const { zone } = task;
  const workers = zone === undefined ? at.workers : {
    live: () => at.workers.live().filter((w) => at.inZone?.(zone, w.agentId) ?? false),
  };
  const ranked = rankWorkers(workers, { skill, exclude: [...task.excluded, at.requester] });
  const chosen = ranked[0];
  if (chosen === undefined) return undefined;
  const score = scoreOf(chosen, skill);
  const best = skill === undefined
    ? "the most free capacity"
    : `the best expertise in ${skill} (${score}), then the most free capacity`;
  return {
    worker: chosen.agentId,
    topic: inboxFor({ group: at.group, zone }, chosen.agentId),
    payload: { ...task.request, attempt: task.attempt, target_id: chosen.agentId },
    route: {
      attempt: task.attempt,
      agent_id: chosen.agentId,
      ...(skill === undefined ? {} : { score }),
      load: { running: chosen.load.running, capacity: chosen.load.capacity },
      reason: `${at.why}; ${chosen.agentId} has ${best} of ${ranked.length} live ` +
        `worker(s)${skill === undefined ? "" : ` offering ${skill}`}`,
      candidates: ranked.length,
      at: at.now.toISOString(),
    },
  };
}
