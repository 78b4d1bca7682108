/**
 * The agents of `agents.list` as a gateway runs them (core/gateway swarm.ts) and as `kafclaw agent
 * --agent <id>` talks to one: each one's config, derived from
 * the gateway's, with its own id in the group, name, model, workspace, skills and policy, and its
 * own KAFCLAW_HOME (timeline, sessions, soul files, identity). The lead agent (the entry marked
 * `default`, else the home's own agent of the top-level config) keeps the gateway's KAFCLAW_HOME
 * and workspace, so `kafclaw agent`,
 * `kafclaw status` and `kafclaw group members` there see it; every other agent lives in
 * `$KAFCLAW_HOME/agents/<id>/`, with its workspace in it unless its entry names one. Only the lead
 * runs the scheduler's jobs and the orchestrator's node, so a job never runs once per agent.
 *
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig } from "./resolve.ts";

/** The folder of KAFCLAW_HOME that holds the homes of the agents other than the lead. */
export const AGENTS_DIR = "agents";

/** One agent of the list, ready to start. */
export interface SwarmAgent {
  readonly id: string;
  /** Whether it is the lead agent, which keeps the gateway's home. */
  readonly lead: boolean;
  /** Its own config: the gateway's, scoped to this agent. */
  readonly config: ResolvedConfig;
}

type Entry = ResolvedConfig["agents"]["list"][number];

/** The home of agent `id` other than the lead: `$KAFCLAW_HOME/agents/<id>`. */
export function agentHome(home: string, id: string): string {
  return join(home, AGENTS_DIR, id);
}

/**
 * The agents a gateway of `config` runs, the lead first; empty when `agents.list` is (the gateway
 * then runs the one agent of `config` as before). The lead is the entry marked `default`, else the
 * home's own agent (`group.agentId`, else `local`, with the top-level `model.*`), as `kafclaw
 * agent` without `--agent` runs it; every other entry is an agent of its own.
 *
 * @example
 * ```ts
 * import { swarmAgents } from "./agent_scope.ts";
 * const config = {
 *   home: "/h",
 *   paths: { workspace: "/h/workspace" },
 *   agent: { name: "KafClaw" },
 *   model: { name: "openai/gpt-4o", fallbacks: [] },
 *   group: { agentId: undefined, skills: [] },
 *   policy: { maxAutoTier: 1, externalMaxTier: 0 },
 *   scheduler: { enabled: true },
 *   orchestrator: { enabled: false },
 *   agents: { list: [{ id: "main", default: true }, { id: "coder", policy: { maxAutoTier: 2 } }] },
 * } as unknown as Parameters<typeof swarmAgents>[0];
 * const [main, coder] = swarmAgents(config);
 * console.assert(main!.lead && main!.config.home === "/h");
 * console.assert(coder!.config.paths.workspace === "/h/agents/coder/workspace");
 * console.assert(coder!.config.policy.maxAutoTier === 2 && !coder!.config.scheduler.enabled);
 * ```
 */
export function swarmAgents(config: ResolvedConfig): SwarmAgent[] {
  const list = config.agents.list;
  if (list.length === 0) return [];
  const lead = list.find((a) => a.default);
  const own: SwarmAgent = lead === undefined
    ? {
      id: inProcessAgentId(config),
      lead: true,
      config: freeze({ ...config, group: { ...config.group, agentId: inProcessAgentId(config) } }),
    }
    : { id: lead.id, lead: true, config: scoped(config, lead, true) };
  return [
    own,
    ...list.filter((a) => a !== lead).map((entry) => ({
      id: entry.id,
      lead: false,
      config: scoped(config, entry, false),
    })),
  ];
}

/**
 * The id of the agent of `config`'s home when its group is in its own process (standalone mode):
 * the entry of `agents.list` marked `default`, else `group.agentId`, else `local`. Commands run in
 * that home (`kafclaw task submit`) ask in its name.
 */
export function inProcessAgentId(config: Pick<ResolvedConfig, "agents" | "group">): string {
  return config.agents.list.find((a) => a.default)?.id ?? config.group.agentId ?? "local";
}

/**
 * Why the agents of `config` cannot run side by side, if they cannot: two with one id (an entry
 * of agents.list with the id of the home's own agent, when no entry is its `default`).
 */
export function swarmProblem(config: ResolvedConfig): string | undefined {
  const [own, ...others] = swarmAgents(config);
  const clash = others.find((a) => a.id === own?.id);
  if (clash === undefined) return undefined;
  const i = config.agents.list.findIndex((a) => a.id === clash.id);
  return `agents.list[${i}].id "${clash.id}" is the id of this home's own agent ` +
    `(group.agentId, else local): mark the entry "default": true to make it the home's agent, ` +
    "or give it another id";
}

/**
 * The config of agent `id` of `agents.list`, scoped as a gateway runs it (its home, workspace,
 * skills, policy); undefined when the list has no such agent.
 */
export function agentScope(config: ResolvedConfig, id: string): ResolvedConfig | undefined {
  return swarmAgents(config).find((a) => a.id === id)?.config;
}

/** `config` as agent `entry` runs it. */
function scoped(config: ResolvedConfig, entry: Entry, lead: boolean): ResolvedConfig {
  const home = lead ? config.home : agentHome(config.home, entry.id);
  const workspace = entry.workspace ?? (lead ? config.paths.workspace : join(home, "workspace"));
  return freeze({
    ...config,
    home,
    // The entry is the default in its own config: its runtime takes its model and name from it.
    agents: { list: config.agents.list.map((a) => ({ ...a, default: a.id === entry.id })) },
    agent: { ...config.agent, name: entry.name ?? (lead ? config.agent.name : entry.id) },
    model: {
      ...config.model,
      name: entry.model?.primary ?? config.model.name,
      fallbacks: entry.model?.fallbacks ?? config.model.fallbacks,
    },
    group: {
      ...config.group,
      agentId: entry.id,
      skills: entry.skills ?? (lead ? config.group.skills : []),
    },
    paths: { ...config.paths, workspace },
    policy: {
      ...config.policy,
      maxAutoTier: entry.policy?.maxAutoTier ?? config.policy.maxAutoTier,
      externalMaxTier: entry.policy?.externalMaxTier ?? config.policy.externalMaxTier,
    },
    scheduler: lead ? config.scheduler : { ...config.scheduler, enabled: false },
    orchestrator: lead ? config.orchestrator : { ...config.orchestrator, enabled: false },
  });
}

/** Freezes what {@link scoped} made anew; what it took from the gateway's config is frozen. */
function freeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) freeze(child);
    Object.freeze(value);
  }
  return value;
}
