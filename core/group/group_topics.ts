/**
 * The topics a member of a group uses, and the check every agent makes at start (PROTOCOL.md,
 * Topics): a topic that is missing or configured otherwise than the protocol needs stops the
 * agent with one line that names it and says how to fix it.
 *
 * @module
 */
import { type TopicSpecOptions, topicSpecs } from "../protocol/mod.ts";
import type { TopicProblem, TopicSpec, Transport } from "../transport/mod.ts";

/** Thrown at start when the group's topics are not as the protocol needs; one line. */
export class GroupTopicsError extends Error {
  override name = "GroupTopicsError";
  /** Every problem found. */
  readonly problems: readonly TopicProblem[];

  /** `command` is how the user runs kafclaw (config.command), for the fix it names. */
  constructor(group: string, problems: readonly TopicProblem[], command = "kafclaw") {
    const missing = problems.filter((p) => p.setting === "existence").map((p) => p.topic);
    const other = problems.filter((p) => p.setting !== "existence");
    const parts: string[] = [];
    if (missing.length > 0) {
      parts.push(
        `${missing.length} topic(s) missing (${missing.join(", ")}); create them with ` +
          `${command} group init`,
      );
    }
    for (const p of other) {
      parts.push(`${p.topic} has ${p.setting} ${p.actual}, expected ${p.expected} (fix: ${p.fix})`);
    }
    super(`Cannot use group "${group}": ${parts.join("; ")}`);
    this.problems = problems;
  }
}

/** The specs of the topics a member uses: every group-wide topic and, given an agent, its inbox. */
export function memberTopicSpecs(
  group: string,
  options: TopicSpecOptions & { readonly agentId?: string } = {},
): TopicSpec[] {
  const { agentId, ...rest } = options;
  return topicSpecs(group, { ...rest, agents: agentId === undefined ? [] : [agentId] });
}

/**
 * Throws {@link GroupTopicsError} unless every topic exists as its spec says; its fix starts with
 * `command` (config.command).
 */
export async function checkGroupTopics(
  transport: Transport,
  group: string,
  specs: readonly TopicSpec[],
  command?: string,
): Promise<void> {
  const problems = await transport.verifyTopics(specs);
  if (problems.length > 0) throw new GroupTopicsError(group, problems, command);
}
