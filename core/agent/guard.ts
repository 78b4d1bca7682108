/**
 * The guard of every turn: the policy (core/policy) applied where the loop meets the world, and
 * everything recorded in the timeline. Before a turn: the rate limit. Before each LLM call: the
 * token quotas and budgets, and secrets redacted from what is sent. Before each tool call: the
 * decision over tier, message type, sender and taint, with approval when it says ask. After each
 * tool result: the turn's taint. Every decision, LLM call and tool call is recorded as a span.
 *
 * @module
 */
import {
  Budget,
  canAskOwner,
  ContentClassifier,
  costOf,
  decide,
  isSenderAllowed,
  type MessageType,
  type PolicySettings,
  RateLimiter,
  redactMessages,
  SecretRedactor,
  type Taint,
  TokenQuota,
  TurnTaint,
} from "../policy/mod.ts";
import type { ChatMessage, ChatResult, ToolCall } from "../provider/mod.ts";
import type { Timeline } from "../timeline/mod.ts";
import type { Tier, ToolResult } from "../tools/mod.ts";
import type { Approvals } from "./approvals.ts";

/** The state of one turn, made by {@link Guard.beginTurn}. */
export interface GuardedTurn {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly sessionKey: string;
  readonly sender: string;
  readonly channel: string;
  readonly messageType: MessageType;
  readonly taint: TurnTaint;
  /** Set when the turn may not run at all (rate limit); the text is the answer. */
  readonly refusal: string | undefined;
  /** What policy.sensitivity found in what the turn sends; see {@link Guard.route}. */
  readonly sensitivity: TurnSensitivity;
}

/** The sensitivity of a turn so far: it only grows. */
export interface TurnSensitivity {
  /** The levels found, in the order they were first found. */
  readonly levels: string[];
  /**
   * The model the turn is bound to from the first content routed there on, with no fallback to
   * any other (private data meant for a local model must not reach a cloud one when it fails).
   */
  routeTo: string | undefined;
}

/** What a tool call may do. */
export type ToolVerdict =
  | { readonly run: true; readonly approved: boolean }
  | { readonly run: false; readonly result: ToolResult };

/** What the guard is built from. */
export interface GuardDeps {
  readonly timeline: Timeline;
  readonly approvals: Approvals;
  readonly settings: PolicySettings;
  /** Configured secrets (API keys, tokens): redacted by value wherever they appear. */
  readonly secrets: readonly string[];
  readonly agentId: string;
  /** Whether the owner can be asked on this channel (a terminal is attached, say). */
  readonly ownerReachable: (channel: string) => boolean;
  readonly now?: () => Date;
}

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0"))
    .join("");

/** Applies the policy to turns and records what happened. */
export class Guard {
  readonly #deps: GuardDeps;
  readonly #limiter: RateLimiter;
  readonly #quota: TokenQuota;
  readonly #budget: Budget;
  readonly #redactor: SecretRedactor;
  readonly #classifier: ContentClassifier;

  /** @throws {ConfigError} when a sensitivity pattern does not compile. */
  constructor(deps: GuardDeps) {
    this.#deps = deps;
    const now = deps.now ?? (() => new Date());
    const usage = deps.timeline.usage;
    this.#limiter = new RateLimiter(deps.settings, { now: () => now().getTime() });
    this.#quota = new TokenQuota((start, f) => usage.tokensSince(start, f), deps.settings, { now });
    this.#budget = new Budget((start) => usage.costSince(start), deps.settings, { now });
    this.#redactor = new SecretRedactor({ known: deps.secrets });
    this.#classifier = new ContentClassifier(deps.settings.sensitivity);
  }

  /** Redacts secrets from text (for logs and channels too). */
  redact(text: string): string {
    return this.#redactor.redact(text).text;
  }

  /** Starts a turn: its trace, its taint, and whether the rate limit lets it run. */
  beginTurn(input: {
    sessionKey: string;
    sender: string;
    channel: string;
    messageType: MessageType;
    text: string;
    /** The taint the message brings (from the untrusted turn that sent it); it only lowers trust. */
    declared?: Taint | undefined;
  }): GuardedTurn {
    const traceId = hex(16);
    const rootSpanId = hex(8);
    const limit = this.#limiter.take({ channel: input.channel, sender: input.sender });
    const { levels } = this.#classifier.classify(input.text);
    const taint = TurnTaint.start({
      messageType: input.messageType,
      ...(input.declared ? { declared: input.declared } : {}),
    });
    this.#deps.timeline.events.record({
      kind: "INBOUND",
      traceId,
      spanId: rootSpanId,
      sessionKey: input.sessionKey,
      channel: input.channel,
      sender: input.sender,
      contentText: this.redact(input.text),
      metadata: {
        messageType: input.messageType,
        ...(levels.length > 0 ? { sensitivity: levels } : {}),
        ...(limit.ok ? {} : { refused: limit.code }),
      },
      taint: taint.value,
    });
    return {
      ...input,
      traceId,
      rootSpanId,
      taint,
      refusal: limit.ok ? undefined : limit.message,
      sensitivity: { levels: [], routeTo: undefined },
    };
  }

  /**
   * The model everything the turn sends next must go to, by policy.sensitivity, or undefined for
   * the configured chain. Rules see all of it (the message, history, relevant memory, soul files,
   * tool results), before each LLM call; once a turn is routed it stays routed. A newly found
   * level or route is recorded as a POLICY event.
   */
  route(turn: GuardedTurn, messages: readonly ChatMessage[]): string | undefined {
    const text = messages.map((m) =>
      [
        m.content ?? "",
        ...(m.role === "assistant" ? m.toolCalls ?? [] : []).map((c) => c.arguments),
      ]
        .join("\n")
    ).join("\n");
    const found = this.#classifier.classify(text);
    const state = turn.sensitivity;
    const fresh = found.levels.filter((level) => !state.levels.includes(level));
    const newRoute = state.routeTo === undefined ? found.routeTo : undefined;
    if (fresh.length === 0 && newRoute === undefined) return state.routeTo;
    state.levels.push(...fresh);
    state.routeTo ??= newRoute;
    this.#deps.timeline.events.record({
      kind: "POLICY",
      traceId: turn.traceId,
      parentSpanId: turn.rootSpanId,
      sessionKey: turn.sessionKey,
      contentText: state.routeTo
        ? `sensitive content (${state.levels.join(", ")}): sent to ${state.routeTo} only`
        : `sensitive content (${state.levels.join(", ")})`,
      metadata: {
        sensitivity: state.levels,
        ...(state.routeTo ? { routedTo: state.routeTo } : {}),
      },
    });
    return state.routeTo;
  }

  /** Checks quotas and budgets before an LLM call; a refusal is the text to answer with. */
  async beforeChat(turn: GuardedTurn): Promise<string | undefined> {
    const quota = await this.#quota.check(`${turn.channel}:${turn.sender}`);
    if (!quota.ok) return quota.message;
    const budget = await this.#budget.check();
    return budget.ok ? undefined : budget.message;
  }

  /** The messages as sent to the LLM: secrets redacted. */
  outgoing(messages: readonly ChatMessage[]): ChatMessage[] {
    return redactMessages(messages, this.#redactor) as ChatMessage[];
  }

  /** Records an LLM call's usage, cost and span. */
  afterChat(turn: GuardedTurn, answer: ChatResult, startedAt: Date): void {
    const slash = answer.model.indexOf("/");
    const provider = slash > 0 ? answer.model.slice(0, slash) : undefined;
    const cost = costOf({
      model: answer.model,
      promptTokens: answer.usage.promptTokens,
      completionTokens: answer.usage.completionTokens,
    }, this.#deps.settings.prices);
    this.#deps.timeline.usage.record({
      promptTokens: answer.usage.promptTokens,
      completionTokens: answer.usage.completionTokens,
      costUsd: cost.usd,
      agent: this.#deps.agentId,
      sender: `${turn.channel}:${turn.sender}`,
      channel: turn.channel,
      ...(provider ? { provider } : {}),
      model: answer.model.slice(slash + 1),
      traceId: turn.traceId,
    });
    this.#deps.timeline.events.record({
      kind: "LLM",
      traceId: turn.traceId,
      parentSpanId: turn.rootSpanId,
      sessionKey: turn.sessionKey,
      startedAt,
      contentText: this.redact(answer.content),
      metadata: {
        model: answer.model,
        promptTokens: answer.usage.promptTokens,
        completionTokens: answer.usage.completionTokens,
        toolCalls: answer.toolCalls.map((c) => c.name),
        finishReason: answer.finishReason,
      },
    });
  }

  /** Decides a tool call; asks the owner when the policy says so. */
  async authorize(
    turn: GuardedTurn,
    call: ToolCall,
    tier: Tier,
    signal: AbortSignal,
  ): Promise<ToolVerdict> {
    const { settings, timeline } = this.#deps;
    const source = { channel: turn.channel, sender: turn.sender };
    const ownerReachable = this.#deps.ownerReachable(turn.channel) ||
      canAskOwner(turn.channel, settings);
    const decided = decide({
      tool: call.name,
      tier,
      messageType: turn.messageType,
      channel: turn.channel,
      sender: turn.sender,
      taint: turn.taint.value,
      senderAllowed: isSenderAllowed(source, settings),
      ownerReachable,
    }, settings);
    // Say what made the turn untrusted (a web page, the session's history …), for owner and model.
    // (Asking, or denied for want of an owner, a tainted turn's reason is its taint.)
    const why = turn.taint.reason;
    const aboutTaint = decided.code === "tainted_needs_approval" ||
      decided.code === "no_owner_to_ask";
    const decision = why && aboutTaint
      ? { ...decided, reason: `${decided.reason} (${why})` }
      : decided;
    timeline.decisions.record({
      traceId: turn.traceId,
      tool: call.name,
      tier,
      sender: turn.sender,
      channel: turn.channel,
      messageType: turn.messageType,
      taint: turn.taint.value,
      allowed: decision.action === "allow",
      requiresApproval: decision.action === "ask",
      reason: decision.code,
    });
    if (decision.action === "allow") return { run: true, approved: false };
    if (decision.action === "deny") {
      return { run: false, result: { content: decision.reason, isError: true } };
    }
    let args: Record<string, unknown>;
    try {
      args = JSON.parse(this.redact(call.arguments));
    } catch {
      args = { raw: this.redact(call.arguments) };
    }
    const outcome = await this.#deps.approvals.request({
      traceId: turn.traceId,
      sessionKey: turn.sessionKey,
      tool: call.name,
      tier,
      arguments: typeof args === "object" && args !== null ? args : { value: args },
      requester: `${turn.channel}:${turn.sender}`,
      channel: turn.channel,
      reason: decision.reason,
    }, signal);
    timeline.events.record({
      kind: "APPROVAL",
      traceId: turn.traceId,
      parentSpanId: turn.rootSpanId,
      sessionKey: turn.sessionKey,
      contentText: `${call.name}: ${outcome.status}`,
      metadata: { approvalId: outcome.approvalId, reason: outcome.reason },
    });
    if (outcome.approved) return { run: true, approved: true };
    return {
      run: false,
      result: {
        content: `${decision.reason}; the request ${outcome.approvalId} was ${
          outcome.status === "timeout" ? "not answered in time" : "denied"
        } (${outcome.reason}), so the call did not run`,
        isError: true,
      },
    };
  }

  /** Records a tool call and lets its result taint the turn. */
  afterTool(turn: GuardedTurn, call: ToolCall, result: ToolResult, startedAt: Date): void {
    turn.taint.afterToolResult(call.name, result, {
      workspaceFilesUntrusted: this.#deps.settings.workspaceFilesUntrusted,
    });
    this.#deps.timeline.events.record({
      kind: "TOOL",
      traceId: turn.traceId,
      parentSpanId: turn.rootSpanId,
      sessionKey: turn.sessionKey,
      startedAt,
      contentText: this.redact(result.content.slice(0, 10_000)),
      metadata: {
        tool: call.name,
        error: result.isError === true,
        arguments: this.redact(call.arguments),
      },
      taint: result.untrusted ? "untrusted" : turn.taint.value,
    });
  }
}
