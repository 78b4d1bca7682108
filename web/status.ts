/**
 * The body of `/api/v1/status`, which `kafclaw status` prints: what runs (mode, agent, version,
 * uptime), how the group fares as far as this gateway can tell, the orchestrator's state, and
 * each agent the gateway runs.
 *
 * @module
 */
import type { Mode } from "../core/config/mod.ts";
import type { SwarmMemberState } from "../core/gateway/mod.ts";
import { VERSION } from "../core/version.ts";
import { wire } from "./api/mod.ts";

/**
 * How the group fares: `local` for the in-process group of one (no Kafka), `ok` while this
 * agent's own heartbeats come back through the brokers (it is active on its own roster),
 * `degraded` when they do not (the transport is failing, or the agent has not yet been heard),
 * `left` while the gateway is out of its group (`POST /api/v1/group/leave`, until a join).
 */
export type GroupHealth = "local" | "ok" | "degraded" | "left";

/** The orchestrator's state, from the orchestrator itself when one runs. */
export interface OrchestratorState {
  readonly active: boolean;
  /** Why it is not active, when it is not. */
  readonly reason?: string;
  /** This node's role in the hierarchy, while active. */
  readonly role?: string;
  /** The nodes of the group it knows of (itself included), while active. */
  readonly nodes?: number;
}

/**
 * One agent the gateway runs, in `/api/v1/status`: its name, model, home, workspace and skills
 * as core/gateway has them, whether it is the lead (whose KAFCLAW_HOME this is), its state on the
 * lead's roster (`unknown` when not yet seen) and its tasks running.
 */
export type AgentStatus =
  & Pick<SwarmMemberState, "name" | "model" | "lead" | "home" | "workspace" | "skills">
  & {
    readonly agent_id: string;
    readonly status: "active" | "stale" | "unknown";
    readonly tasks: { readonly running: number; readonly capacity: number };
  };

/** The JSON of `/api/v1/status`. */
export interface GatewayStatus {
  readonly version: string;
  readonly mode: Mode;
  readonly agent_id: string;
  readonly uptime_seconds: number;
  /** The model of the agent loop (`model.name`), when the gateway says it. */
  readonly model?: { readonly provider: string; readonly name: string };
  readonly group: {
    readonly enabled: boolean;
    readonly name: string;
    readonly health: GroupHealth;
    /** Members on the roster (active or stale), this agent included. */
    readonly members: number;
    /** Active members. */
    readonly live: number;
  };
  readonly orchestrator: { readonly enabled: boolean } & OrchestratorState;
  /** The agents this gateway runs (several with `agents.list`), the lead first. */
  readonly agents: readonly AgentStatus[];
  /** The chat channels it runs, by name (`telegram`…); empty when none is enabled. */
  readonly channels: Readonly<Record<string, ChannelStateJson>>;
}

/** A chat channel's state as the status answers it: {@link ChannelState} in snake_case. */
export interface ChannelStateJson {
  readonly connected: boolean;
  readonly last_error?: string | null;
  readonly last_error_at?: string | null;
  readonly listening?: string | null;
}

/** A chat channel's state, as the channel reports it (channels/types.ts ChannelStatus). */
export interface ChannelState {
  /** Whether it currently receives messages (polling, or listening for its webhook). */
  readonly connected: boolean;
  /** The last failure talking to the platform, with no secret in it. */
  readonly lastError?: string | undefined;
  readonly lastErrorAt?: string | undefined;
  /** Where its webhook listener is bound, when it has one. */
  readonly listening?: string | undefined;
}

/** What the status is computed from: the running gateway's parts, as core/gateway has them. */
export interface StatusSource {
  readonly mode: Mode;
  readonly agentId: string;
  readonly group: string;
  readonly kafka: boolean;
  /** Whether it is a member of its group now (false once it left); default true. */
  readonly member?: boolean;
  readonly membership: {
    members(): readonly { readonly agentId: string; readonly status: "active" | "stale" }[];
  };
}

/** The orchestrator's state in full mode without `orchestrator.enabled` (headless always runs it). */
export const NO_ORCHESTRATOR: OrchestratorState = {
  active: false,
  reason: "orchestrator.enabled is false (KAFCLAW_ORCHESTRATOR_ENABLED)",
};

/**
 * A function that computes the status of `gateway`, started at `startedAt` (ms since the epoch).
 * `orchestrator` tells the orchestrator's state; it is asked only in the modes that run one
 * (full and headless).
 */
export function statusOf(
  gateway: StatusSource,
  options: {
    readonly startedAt: number;
    readonly orchestrator?: () => OrchestratorState;
    /** The agents the gateway runs (core/gateway Swarm.members); default: `gateway`'s own. */
    readonly agents?: () => readonly SwarmMemberState[];
    readonly now?: () => number;
    /** The agent loop's model as `provider/model` (config `model.name`). */
    readonly model?: string;
    /** The chat channels' states (the gateway's channel host). */
    readonly channels?: () => Readonly<Record<string, ChannelState>>;
  },
): () => GatewayStatus {
  const now = options.now ?? Date.now;
  const orchestrating = gateway.mode === "full" || gateway.mode === "headless";
  const slash = options.model?.indexOf("/") ?? -1;
  const model = options.model === undefined || slash < 0
    ? {}
    : { model: { provider: options.model.slice(0, slash), name: options.model.slice(slash + 1) } };
  return () => {
    // Out of the group the agent follows no roster; the one it left with is not the group's now.
    const members = gateway.member === false ? [] : gateway.membership.members();
    const self = members.find((m) => m.agentId === gateway.agentId);
    return {
      version: VERSION,
      mode: gateway.mode,
      agent_id: gateway.agentId,
      uptime_seconds: Math.max(0, Math.floor((now() - options.startedAt) / 1000)),
      ...model,
      group: {
        enabled: gateway.kafka,
        name: gateway.group,
        health: gateway.member === false
          ? "left"
          : !gateway.kafka
          ? "local"
          : self?.status === "active"
          ? "ok"
          : "degraded",
        members: members.length,
        live: members.filter((m) => m.status === "active").length,
      },
      orchestrator: orchestrating
        ? { enabled: true, ...(options.orchestrator?.() ?? NO_ORCHESTRATOR) }
        : { enabled: false, active: false, reason: `${gateway.mode} mode runs no orchestrator` },
      agents: (options.agents?.() ?? []).map((a) => ({
        agent_id: a.agentId,
        name: a.name,
        model: a.model,
        lead: a.lead,
        home: a.home,
        workspace: a.workspace,
        skills: a.skills,
        status: members.find((m) => m.agentId === a.agentId)?.status ?? "unknown",
        tasks: { running: a.running, capacity: a.capacity },
      })),
      channels: Object.fromEntries(
        Object.entries(options.channels?.() ?? {}).map(([name, state]) => [name, wire(state)]),
      ),
    };
  };
}
