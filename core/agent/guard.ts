/**
 * The guard of every turn: the policy (core/policy) wrapped around what a turn uses, and
 * everything recorded in the timeline. {@link Guard.begin} starts a turn (its trace, its taint,
 * the rate limit) and hands back the provider and the tools as this turn may use them:
 *
 * - the provider: before each LLM call the token quotas and budgets (a refusal ends the turn with
 *   {@link TurnRefused}), secrets redacted from what is sent, sensitive content routed to its
 *   model only; after it, usage, cost and a span recorded;
 * - the tools: before each call the policy's decision over tier, message type, sender, taint and
 *   the tool's own need for approval, asking the owner when it says ask (the one place approval is
 *   asked); after it, the result's taint and a span recorded.
 *
 * The loop never calls the policy itself: what it is handed is already guarded, the way grammY
 * composes middleware around a bot's API.
 *
 * @module
 */
import {
  Budget,
  ContentClassifier,
  costOf,
  decide,
  isSenderAllowed,
  type PolicySettings,
  RateLimiter,
  SecretRedactor,
  type Tier,
  TokenQuota,
  type TurnOrigin,
  TurnTaint,
} from "../policy/mod.ts";
import type { ChatMessage, ChatProvider, ChatRequest } from "../provider/mod.ts";
import { randomHex, type Timeline } from "../timeline/mod.ts";
import type { ToolContext, ToolResult } from "../tools/mod.ts";
import type { Approvals } from "./approvals.ts";
import type { GuardedTurn, SideEffectFence, ToolRunner, TurnGuard, TurnStart } from "./turn.ts";
import { TurnRefused } from "./turn.ts";

/** What the guard is built from. */
export interface GuardDeps {
  readonly timeline: Timeline;
  readonly approvals: Approvals;
  readonly settings: PolicySettings;
  /** Configured secrets (API keys, tokens): redacted by value wherever they appear. */
  readonly secrets: readonly string[];
  readonly agentId: string;
  readonly now?: () => Date;
}

/** The trace and sensitivity of one turn, shared by its guarded provider and tools. */
interface TurnState {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly sessionKey: string;
  readonly origin: TurnOrigin;
  readonly taint: TurnTaint;
  readonly fence: SideEffectFence | undefined;
  /** The most LLM tokens the turn may spend (a group task's budget), and what it spent so far. */
  readonly tokenBudget: number | undefined;
  spent: number;
  /** The levels policy.sensitivity found so far, in the order first found. */
  readonly levels: string[];
  /**
   * The model the turn is bound to from the first content routed there on, with no fallback to
   * any other (private data meant for a local model must not reach a cloud one when it fails).
   */
  routeTo: string | undefined;
  /** Each message as this turn sent it, redacted (see `#outgoing`). */
  readonly sent: WeakMap<ChatMessage, ChatMessage>;
}

/** Applies the policy to turns and records what happened. */
export class Guard implements TurnGuard {
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

  /** Redacts secrets from text (for memory, logs and channels too). */
  redact(text: string): string {
    return this.#redactor.redact(text).text;
  }

  /** Starts a turn: its trace, its taint, whether the rate limit lets it run, its guarded parts. */
  begin(start: TurnStart, inner: { provider: ChatProvider; tools: ToolRunner }): GuardedTurn {
    const { origin } = start;
    const state: TurnState = {
      traceId: randomHex(16),
      rootSpanId: randomHex(8),
      sessionKey: start.sessionKey,
      origin,
      taint: TurnTaint.start({ messageType: origin.messageType, declared: origin.taint }),
      fence: start.fence,
      tokenBudget: start.tokenBudget,
      spent: 0,
      levels: [],
      routeTo: undefined,
      sent: new WeakMap(),
    };
    const limit = this.#limiter.take({ channel: origin.channel, sender: origin.sender });
    const { levels } = this.#classifier.classify(start.text);
    this.#deps.timeline.events.note({
      kind: "INBOUND",
      traceId: state.traceId,
      spanId: state.rootSpanId,
      sessionKey: start.sessionKey,
      channel: origin.channel,
      sender: origin.sender,
      contentText: this.redact(start.text),
      metadata: {
        messageType: origin.messageType,
        ...(origin.via ? { via: origin.via } : {}),
        ...(levels.length > 0 ? { sensitivity: levels } : {}),
        ...(limit.ok ? {} : { refused: limit.code }),
      },
      taint: state.taint.value,
    });
    return {
      taint: state.taint,
      refusal: limit.ok ? undefined : limit.message,
      provider: { chat: (request) => this.#chat(state, inner.provider, request) },
      tools: {
        definitions: () => inner.tools.definitions(),
        tierOf: (name) => inner.tools.tierOf(name),
        approvalOf: (name) => inner.tools.approvalOf(name),
        outputOf: (name) => inner.tools.outputOf(name),
        run: (name, args, ctx) => this.#runTool(state, inner.tools, { name, args, ctx }),
      },
    };
  }

  /** One LLM call of a turn, guarded; see the module documentation. */
  async #chat(state: TurnState, provider: ChatProvider, request: ChatRequest) {
    const quota = await this.#quota.check(`${state.origin.channel}:${state.origin.sender}`);
    if (!quota.ok) throw new TurnRefused(quota.message);
    const budget = await this.#budget.check();
    if (!budget.ok) throw new TurnRefused(budget.message);
    if (state.tokenBudget !== undefined && state.spent >= state.tokenBudget) {
      throw new TurnRefused(
        `I stopped: this task's budget of ${state.tokenBudget} tokens is spent (${state.spent} used)`,
      );
    }
    const routeTo = this.#route(state, request.messages);
    const model = routeTo ?? request.model;
    const startedAt = new Date();
    const answer = await provider.chat({
      ...request,
      messages: this.#outgoing(state, request.messages),
      ...(model ? { model } : {}),
      ...(routeTo ? { exclusive: true } : {}),
    });
    this.#recordChat(state, answer, startedAt);
    state.spent += answer.usage.promptTokens + answer.usage.completionTokens;
    return answer;
  }

  /**
   * The model everything the turn sends next must go to, by policy.sensitivity, or undefined for
   * the configured chain. Rules see all of it (the message, history, relevant memory, soul files,
   * tool results), before each LLM call; once a turn is routed it stays routed. A newly found
   * level or route is recorded as a POLICY event.
   */
  #route(state: TurnState, messages: readonly ChatMessage[]): string | undefined {
    const text = messages.map((m) =>
      [
        m.content ?? "",
        ...(m.role === "assistant" ? m.toolCalls ?? [] : []).map((c) => c.arguments),
      ]
        .join("\n")
    ).join("\n");
    const found = this.#classifier.classify(text);
    const fresh = found.levels.filter((level) => !state.levels.includes(level));
    const newRoute = state.routeTo === undefined ? found.routeTo : undefined;
    if (fresh.length === 0 && newRoute === undefined) return state.routeTo;
    state.levels.push(...fresh);
    state.routeTo ??= newRoute;
    this.#deps.timeline.events.note({
      kind: "POLICY",
      traceId: state.traceId,
      parentSpanId: state.rootSpanId,
      sessionKey: state.sessionKey,
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

  /**
   * The messages as sent to the LLM: secrets redacted from contents and tool-call arguments.
   * A turn sends its history again with every call: each message is redacted once.
   */
  #outgoing(state: TurnState, messages: readonly ChatMessage[]): ChatMessage[] {
    const clean = (text: string) => this.redact(text);
    return messages.map((message) => {
      let sent = state.sent.get(message);
      if (!sent) state.sent.set(message, sent = redactMessage(message, clean));
      return sent;
    });
  }

  /** Records an LLM call's usage, cost and span. */
  #recordChat(
    state: TurnState,
    answer: Awaited<ReturnType<ChatProvider["chat"]>>,
    startedAt: Date,
  ): void {
    const slash = answer.model.indexOf("/");
    const provider = slash > 0 ? answer.model.slice(0, slash) : undefined;
    const cost = costOf({
      model: answer.model,
      promptTokens: answer.usage.promptTokens,
      completionTokens: answer.usage.completionTokens,
    }, this.#deps.settings.prices);
    const { channel, sender } = state.origin;
    this.#deps.timeline.usage.record({
      promptTokens: answer.usage.promptTokens,
      completionTokens: answer.usage.completionTokens,
      costUsd: cost.usd,
      agent: this.#deps.agentId,
      sender: `${channel}:${sender}`,
      channel,
      ...(provider ? { provider } : {}),
      model: answer.model.slice(slash + 1),
      traceId: state.traceId,
    });
    this.#deps.timeline.events.note({
      kind: "LLM",
      traceId: state.traceId,
      parentSpanId: state.rootSpanId,
      sessionKey: state.sessionKey,
      startedAt,
      endedAt: new Date(),
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

  /** One tool call of a turn: decided, perhaps asked, run, recorded, and tainting the turn. */
  async #runTool(
    state: TurnState,
    tools: ToolRunner,
    call: { name: string; args: string; ctx: ToolContext },
  ): Promise<ToolResult> {
    const tier = tools.tierOf(call.name);
    // An unknown tool runs nothing: the registry answers with the names it has.
    if (tier === undefined) return await tools.run(call.name, call.args, call.ctx);
    const startedAt = new Date();
    const { ctx } = call;
    const denied = await this.#authorize(state, { name: call.name, args: call.args, tier }, {
      approval: tools.approvalOf(call.name),
      signal: ctx.signal,
    });
    // A side effect needs the fence (a group task's grant) at the moment it runs.
    const fenced = denied ?? (tier > 0 ? await this.#fence(state, ctx.signal) : undefined);
    const result = fenced ?? await tools.run(call.name, call.args, {
      ...ctx,
      origin: state.origin,
      taint: state.taint.value,
      tokensSpent: state.spent,
      ...(state.fence ? { idempotencyKey: state.fence.key } : {}),
    });
    // Taint fails closed here, for every tool: an error or a result is untrusted unless the
    // tool declares where its output comes from and that place is trusted.
    state.taint.afterToolResult(call.name, result, {
      output: tools.outputOf(call.name),
      workspaceFilesUntrusted: this.#deps.settings.workspaceFilesUntrusted,
    });
    this.#deps.timeline.events.note({
      kind: "TOOL",
      traceId: state.traceId,
      parentSpanId: state.rootSpanId,
      sessionKey: state.sessionKey,
      startedAt,
      endedAt: new Date(),
      contentText: this.redact(result.content.slice(0, 10_000)),
      metadata: {
        tool: call.name,
        error: result.isError === true,
        arguments: this.redact(call.args),
      },
      taint: state.taint.value,
    });
    return result;
  }

  /** Why a side effect may not run now (the turn's fence said no), or undefined. */
  async #fence(state: TurnState, signal: AbortSignal): Promise<ToolResult | undefined> {
    const why = await state.fence?.check(signal);
    return why === undefined ? undefined : { content: why, isError: true };
  }

  /**
   * Decides a tool call and asks the owner when the policy says so. Resolves undefined when the
   * call may run, else with the result the model reads instead.
   */
  async #authorize(
    state: TurnState,
    call: { name: string; args: string; tier: Tier },
    options: { approval: string | undefined; signal: AbortSignal },
  ): Promise<ToolResult | undefined> {
    const { settings, timeline } = this.#deps;
    const { origin } = state;
    const decided = decide({
      tool: call.name,
      tier: call.tier,
      messageType: origin.messageType,
      channel: origin.channel,
      sender: origin.sender,
      taint: state.taint.value,
      senderAllowed: isSenderAllowed(origin, settings),
      toolApproval: options.approval,
      ownerReachable: origin.ownerReachable,
    }, settings);
    // Say what made the turn untrusted (a web page, the session's history …), for owner and model.
    // (Asking, or denied for want of an owner, a tainted turn's reason is its taint.)
    const why = state.taint.reason;
    const aboutTaint = decided.code === "tainted_needs_approval" ||
      (decided.code === "no_owner_to_ask" && !options.approval);
    const decision = why && aboutTaint
      ? { ...decided, reason: `${decided.reason} (${why})` }
      : decided;
    timeline.decisions.record({
      traceId: state.traceId,
      tool: call.name,
      tier: call.tier,
      sender: origin.sender,
      channel: origin.channel,
      messageType: origin.messageType,
      taint: state.taint.value,
      allowed: decision.action === "allow",
      requiresApproval: decision.action === "ask",
      reason: decision.code,
    });
    if (decision.action === "allow") return undefined;
    if (decision.action === "deny") return { content: decision.reason, isError: true };
    let args: unknown;
    try {
      args = JSON.parse(this.redact(call.args));
    } catch {
      args = { raw: this.redact(call.args) };
    }
    const outcome = await this.#deps.approvals.request({
      traceId: state.traceId,
      sessionKey: state.sessionKey,
      tool: call.name,
      tier: call.tier,
      arguments: typeof args === "object" && args !== null
        ? args as Record<string, unknown>
        : { value: args },
      requester: `${origin.channel}:${origin.sender}`,
      channel: origin.channel,
      reason: decision.reason,
    }, options.signal);
    timeline.events.note({
      kind: "APPROVAL",
      traceId: state.traceId,
      parentSpanId: state.rootSpanId,
      sessionKey: state.sessionKey,
      contentText: `${call.name}: ${outcome.status}`,
      metadata: { approvalId: outcome.approvalId, reason: outcome.reason },
    });
    if (outcome.approved) return undefined;
    return {
      content: `${decision.reason}; the request ${outcome.approvalId} was ${
        outcome.status === "timeout" ? "not answered in time" : "denied"
      } (${outcome.reason}), so the call did not run`,
      isError: true,
    };
  }
}

/** A chat message with its secrets redacted: the message itself when it holds none. */
function redactMessage(message: ChatMessage, clean: (text: string) => string): ChatMessage {
  if (message.role !== "assistant") {
    const content = clean(message.content);
    return content === message.content ? message : { ...message, content };
  }
  const content = message.content === null ? null : clean(message.content);
  const toolCalls = message.toolCalls?.map((call) => {
    const args = clean(call.arguments);
    return args === call.arguments ? call : { ...call, arguments: args };
  });
  const same = content === message.content &&
    (toolCalls ?? []).every((call, i) => call === message.toolCalls![i]);
  if (same) return message;
  return toolCalls ? { ...message, content, toolCalls } : { ...message, content };
}
