/**
 * The words of a turn, shared by the door that starts it, the loop that runs it and the guard that
 * wraps what it uses: a request, its result, and the guarded parts a turn is handed.
 *
 * @module
 */
import type { Taint, TurnOrigin, TurnTaint } from "../policy/mod.ts";
import type { ChatProvider, ToolCall, ToolDefinition } from "../provider/mod.ts";
import type { Tier, ToolContext, ToolOutput, ToolResult } from "../tools/mod.ts";
import type { TurnScope } from "./memory_lane.ts";

export type { Taint, TurnOrigin };

/** One turn: a message into a session, from an origin the door decided. */
export interface TurnRequest {
  readonly sessionKey: string;
  readonly text: string;
  /** Who the turn acts for (core/agent/door.ts decides it). */
  readonly origin: TurnOrigin;
  /** A `provider/model` for this turn only (subagents may ask for one). */
  readonly model?: string | undefined;
  /** The zones of the turn's memory (default: public memory only). */
  readonly scope?: TurnScope | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onText?: ((delta: string) => void) | undefined;
  readonly onToolCall?: ((call: ToolCall) => void) | undefined;
  readonly onToolResult?: ((call: ToolCall, result: ToolResult) => void) | undefined;
  /** Checked before each side effect of the turn (a group task's grant); see {@link SideEffectFence}. */
  readonly fence?: SideEffectFence | undefined;
  /** The most LLM tokens the turn may spend; once spent, the turn ends before its next LLM call. */
  readonly tokenBudget?: number | undefined;
}

/**
 * What a turn must hold before each side effect (a tool above tier 0): a group task's grant
 * (PROTOCOL.md, semantics 3). The guard asks it right before such a call runs, after the policy's
 * decision and any approval, and the call carries its idempotency key.
 */
export interface SideEffectFence {
  /** The idempotency key every side effect of the turn carries: `<task_id>#<attempt>`. */
  readonly key: string;
  /**
   * Resolves undefined when the side effect may happen now, else with why not (the model reads
   * it). May wait for a grant that has not arrived yet; gives up when `signal` aborts.
   */
  check(signal: AbortSignal): Promise<string | undefined>;
}

/** How a turn ended. */
export interface TurnResult {
  readonly content: string;
  readonly stopped: "answer" | "max_iterations" | "cancelled" | "limit";
  readonly iterations: number;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
  /** The turn's taint at its end: what it made (an answer, a response) carries it. */
  readonly taint: Taint;
}

/** What the loop needs from the tool registry. */
export interface ToolRunner {
  definitions(): readonly ToolDefinition[];
  /** Runs one call; never throws: every failure is a result with `isError`. */
  run(name: string, argumentsJson: string, ctx: ToolContext): Promise<ToolResult>;
  /** The tier of a tool, for the policy; undefined for an unknown name. */
  tierOf(name: string): Tier | undefined;
  /** Why every call of a tool needs the owner's approval; undefined for most. */
  approvalOf(name: string): string | undefined;
  /** Where a tool's output comes from, for taint; undefined: outside (it taints). */
  outputOf(name: string): ToolOutput | undefined;
}

/** What a guard needs to start a turn. */
export interface TurnStart {
  readonly sessionKey: string;
  readonly origin: TurnOrigin;
  readonly text: string;
  readonly fence?: SideEffectFence | undefined;
  readonly tokenBudget?: number | undefined;
}

/** A turn begun by a guard: its taint, whether it may run, and what it may use. */
export interface GuardedTurn {
  /** The turn's taint; it only ever becomes untrusted. */
  readonly taint: TurnTaint;
  /** Set when the turn may not run at all (the rate limit): the text is its answer. */
  readonly refusal: string | undefined;
  /** The provider as this turn may use it; a call the quotas refuse throws {@link TurnRefused}. */
  readonly provider: ChatProvider;
  /** The tools as this turn may use them: each call decided, asked for, recorded. */
  readonly tools: ToolRunner;
}

/** The policy around turns (core/agent/guard.ts is the real one). */
export interface TurnGuard {
  begin(start: TurnStart, inner: { provider: ChatProvider; tools: ToolRunner }): GuardedTurn;
  /** Secrets redacted from text (what memory keeps, what logs show). */
  redact(text: string): string;
}

/** A quota or budget stopped the turn before an LLM call; the message is the turn's answer. */
export class TurnRefused extends Error {
  override name = "TurnRefused";
}
