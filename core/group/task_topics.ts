/**
 * Where a task's records may be, for one who looks back at the task from the group's topics
 * (`kafclaw task replay`, `task show --trace`): a task sent to the group or to an agent is on the
 * group's topics, one sent to a skill on that skill's work topic, one sent into a zone on the
 * zone's own topics (its spans too).
 *
 * @module
 */
import { agentInbox, skillRequests, topicsFor, zoneTopic } from "../protocol/mod.ts";
import { PUBLIC_ZONE } from "./zones.ts";

/** The kinds of a zone's topics that hold its tasks' records. */
const ZONE_KINDS = ["requests", "inbox", "responses", "traces"] as const;

/** The topics of each kind that may hold a task's records. */
export interface TaskTopics {
  readonly requests: readonly string[];
  readonly responses: readonly string[];
  readonly traces: readonly string[];
  /** Those that may not exist (an inbox, a skill or zone topic made later, or deleted): none held. */
  readonly optional: readonly string[];
}

/** What {@link taskTopics} reads of the group: its skills, and the zones an agent is a member of. */
export interface TaskTopicsView {
  readonly skills: { all(): readonly { readonly skill: string }[] };
  readonly zones: { zonesOf(agentId: string): string[] };
}

/**
 * The topics `agentId` may read a task of `group` from: the group's, its own inbox, every skill's
 * work topic and, of each zone it is a member of (the others it may not read), the zone's
 * requests, inbox, responses and traces. Without an agent id (a reader that never joined), the
 * group's and the skills' topics.
 */
export function taskTopics(
  group: string,
  agentId: string | undefined,
  view: TaskTopicsView,
): TaskTopics {
  const topics = topicsFor(group);
  const inbox = agentId === undefined ? [] : [agentInbox(group, agentId)];
  const skills = view.skills.all().map(({ skill }) => skillRequests(group, skill));
  const zones = agentId === undefined
    ? []
    : view.zones.zonesOf(agentId).filter((zone) => zone !== PUBLIC_ZONE);
  const ofZones = (kind: typeof ZONE_KINDS[number]) =>
    zones.map((zone) => zoneTopic(group, zone, kind));
  return {
    requests: [topics.requests, ...inbox, ...skills, ...ofZones("requests"), ...ofZones("inbox")],
    responses: [topics.responses, ...ofZones("responses")],
    traces: [topics.traces, ...ofZones("traces")],
    optional: [...inbox, ...skills, ...ZONE_KINDS.flatMap(ofZones)],
  };
}
