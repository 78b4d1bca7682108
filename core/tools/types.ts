/**
 * The tool port: a registry of tools with JSON-Schema parameters and tiers, run by the agent loop.
 *
 * Tiers (ARCHITECTURE.md, Policy): 0 reads, 1 writes inside the workspace, 2 runs commands, reaches
 * the network or acts outside.
 *
 * @module
 */

import type { Taint, Tier, ToolOutput, TurnOrigin } from "../policy/mod.ts";

export type { Tier, ToolOutput };

/** What a tool may use while it runs. */
export interface ToolContext {
  readonly sessionKey: string;
  /** The agent's workspace: the only place tools write. */
  readonly workspace: string;
  readonly signal: AbortSignal;
  /** Who the turn acts for: work a tool starts for the turn (a message, a subagent) keeps it. */
  readonly origin?: TurnOrigin;
  /** The turn's taint when the call was made; absent means trusted (the owner's own turn). */
  readonly taint?: Taint;
  /**
   * The turn's zones (a group task's): `zone` is where what a tool stores goes (undefined:
   * public), `zones` what it may search besides public. Absent: public only.
   */
  readonly scope?: {
    readonly zone?: string | undefined;
    readonly zones: readonly string[] | "all";
  };
  /**
   * The idempotency key of the call's side effect, in a group task's turn: `<task_id>#<attempt>`
   * (PROTOCOL.md, semantics 3). A tool that acts outside passes it on where it can.
   */
  readonly idempotencyKey?: string;
  /**
   * The LLM tokens the turn spent before the call: a group task's turn counts them against the
   * task's budget, so its sub-tasks get only what is left.
   */
  readonly tokensSpent?: number;
}

/** What a tool gives back to the model. Errors are results too: they never crash the loop. */
export interface ToolResult {
  readonly content: string;
  readonly isError?: boolean;
  /**
   * The content came from outside the owner's control (a web page, an MCP server): it is data, not
   * instructions, and it taints the turn (ARCHITECTURE.md, Policy).
   */
  readonly untrusted?: boolean;
}

/** A tool. */
export interface Tool {
  readonly name: string;
  readonly description: string;
  /** JSON Schema (an object schema) of the arguments. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly tier: Tier;
  /**
   * Why every call of this tool needs the owner's approval, whoever asks and whatever the policy
   * allows by tier (changing the agent's own soul files, a command run without the sandbox); the
   * policy asks for it (core/policy `decide`), never the tool. Absent for most tools.
   */
  readonly approval?: string;
  /**
   * Where the tool's output (results and errors) comes from, for taint; undeclared means from
   * outside the owner's control, so the turn that reads it is tainted. See core/policy
   * `ToolOutput`; a tool that declares `owner` says in its code why that holds.
   */
  readonly output?: ToolOutput;
  run(args: Readonly<Record<string, unknown>>, ctx: ToolContext): Promise<ToolResult>;
}
