/**
 * Ports the agent layer supplies to built-in tools: the tools validate arguments and call these;
 * what is allowed (who may be messaged, how deep subagents go) is decided behind them.
 *
 * @module
 */
import type { Taint } from "../policy/mod.ts";
import type { ToolContext } from "./types.ts";

/** Where a message goes: another session of this agent (channels come later). */
export interface MessageTarget {
  readonly session: string;
}

/** Delivers messages the `message` tool sends. */
export interface MessageSink {
  /** Delivers `text`; rejects with a message for the model when it cannot. */
  send(to: MessageTarget, text: string, ctx: ToolContext): Promise<void>;
}

/** One subagent run, as the `sessions_spawn` tool asks for it. */
export interface SpawnRequest {
  /** What the subagent should do: its first message. */
  readonly task: string;
  /** A short name for the run, shown in listings. */
  readonly label?: string;
  /** `provider/model` for the subagent (default: the agent's, or that of `agentId`). */
  readonly model?: string;
  /** An agent of `agents.list` whose model runs the subagent (`model` overrides it). */
  readonly agentId?: string;
  /** Time limit of the run. */
  readonly timeoutMs?: number;
}

/** What a subagent answered, and whether its run was untrusted (its taint flows to its parent). */
export interface SubagentAnswer {
  readonly answer: string;
  readonly taint: Taint;
}

/** Runs subagents: the agent layer enforces depth, limits and tool policy. */
export interface SubagentSpawner {
  /** Runs the subagent to its end and resolves with its final answer and that run's taint. */
  spawn(request: SpawnRequest, ctx: ToolContext): Promise<SubagentAnswer>;
}

/** An agent of `agents.list`, as `agents_list` shows it. */
export interface AgentSummary {
  readonly id: string;
  readonly name?: string | undefined;
  readonly model: string;
  readonly default: boolean;
}

/** Where `delegate_task` sends a task: a named agent, any provider of a skill, or the group. */
export type DelegateTarget =
  | { readonly agent: string }
  | { readonly skill: string }
  | { readonly group: true };

/** One task to delegate, as `delegate_task` asks for it. */
export interface DelegateRequest {
  readonly task: string;
  readonly description?: string;
  readonly to: DelegateTarget;
  /** How long to wait for the answer before returning the task id instead (0: do not wait). */
  readonly waitMs: number;
}

/** What became of a delegated task: its id, and its final answer when it came in time. */
export interface DelegateResult {
  readonly taskId: string;
  readonly answer?: {
    readonly status: "completed" | "failed" | "rejected" | "expired";
    readonly content: string;
    readonly reason?: string | undefined;
    readonly responderId?: string | undefined;
  };
  /** Why it was not waited for, when that is not the time running out (the agent is not live). */
  readonly note?: string;
}

/** A member of the group, as `group_members` shows it. */
export interface GroupMemberSummary {
  readonly agentId: string;
  readonly skills: readonly string[];
  readonly load: { readonly running: number; readonly capacity: number };
}

/** The group as the agent's tools reach it (core/group supplies it). */
export interface GroupPort {
  /** Sends a task; rejects with a message for the model when it cannot. */
  delegate(request: DelegateRequest, ctx: ToolContext): Promise<DelegateResult>;
  /** The live members, this agent excluded. */
  members(): readonly GroupMemberSummary[];
}

/** One item to share with the group's memory, as `share_memory` asks for it. */
export interface ShareRequest {
  readonly title: string;
  readonly content: string;
  readonly tags: readonly string[];
  /** Seconds until the item expires (a context item); absent: shared memory kept. */
  readonly ttlSeconds?: number;
}

/** Publishes memory items to the group (core/group supplies it). */
export interface MemorySharer {
  /** Resolves with the item's id; rejects with a message for the model when it cannot. */
  share(request: ShareRequest, ctx: ToolContext): Promise<string>;
}
