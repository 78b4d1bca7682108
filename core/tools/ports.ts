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
