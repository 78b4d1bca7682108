/**
 * Which agent of `agents.list` runs, and with which model: the one asked for by id, else the one
 * marked `default`, else none (the top-level `model.*`). An agent's `model.primary` replaces
 * `model.name`; its `model.fallbacks`, when given, replace `model.fallbacks` (an agent with a
 * primary and no fallbacks of its own keeps the global ones, as the Go original did).
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";

/** The agent a runtime runs as. */
export interface AgentProfile {
  /** The id in `agents.list`, or undefined when the list names none. */
  readonly id: string | undefined;
  /** The name the agent calls itself (its entry's `name`, else `agent.name`). */
  readonly name: string;
  /** `provider/model` of the loop. */
  readonly model: string;
  readonly fallbacks: readonly string[];
}

/** An agent id that `agents.list` does not have. */
export class UnknownAgentError extends Error {
  override name = "UnknownAgentError";
}

/**
 * The profile of agent `id` (or of the default agent). Throws {@link UnknownAgentError} naming the
 * known ids when `id` is not in `agents.list`.
 */
export function agentProfile(
  config: Pick<ResolvedConfig, "agents" | "agent" | "model">,
  id?: string,
): AgentProfile {
  const list = config.agents.list;
  const entry = id === undefined ? list.find((a) => a.default) : list.find((a) => a.id === id);
  if (id !== undefined && entry === undefined) {
    const known = list.map((a) => a.id);
    throw new UnknownAgentError(
      `No agent ${JSON.stringify(id)} in agents.list (` +
        (known.length ? `known: ${known.join(", ")}` : "the list is empty") + ")",
    );
  }
  return {
    id: entry?.id,
    name: entry?.name ?? config.agent.name,
    model: entry?.model?.primary ?? config.model.name,
    fallbacks: entry?.model?.fallbacks ?? config.model.fallbacks,
  };
}
