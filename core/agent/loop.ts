/**
 * The agent loop: messages in, tool calls executed, results fed back, until a final answer or the
 * tool-call budget is spent. One loop serves many sessions at once, one turn at a time per session;
 * everything a turn needs lives in the turn, never in shared fields.
 *
 * @module
 */
import { type Taint, TurnTaint } from "../policy/mod.ts";
import type {
  ChatMessage,
  ChatProvider,
  ChatRequest,
  ToolCall,
  ToolDefinition,
} from "../provider/types.ts";
import type { ApprovalRequest, Tier, ToolContext, ToolResult } from "../tools/types.ts";
import { buildSystemPrompt, DEFAULT_BUDGETS, type MessageType, type SoulFile } from "./context.ts";
import type { Guard, GuardedTurn } from "./guard.ts";
import { PUBLIC_SCOPE, type TurnMemory, type TurnOrigin, type TurnScope } from "./memory_lane.ts";
import type { TurnGate } from "./session_gate.ts";
import type { SessionStore } from "./sessions.ts";

/** What the loop needs from the tool registry. */
export interface ToolRunner {
  definitions(): readonly ToolDefinition[];
  /** Runs one call; never throws: every failure is a result with `isError`. */
  run(name: string, argumentsJson: string, ctx: ToolContext): Promise<ToolResult>;
  /** The tier of a tool, for the policy; undefined for an unknown name. */
  tierOf?(name: string): Tier | undefined;
}

/** Settings of the loop, from config. */
export interface LoopSettings {
  readonly maxToolIterations: number;
  readonly maxTokens: number;
  readonly temperature: number;
  /** Messages of history sent with each turn (after the latest summary). */
  readonly historyMessages: number;
  /** When the history is longer than this many characters, older messages are summarised. */
  readonly compactAboveChars: number;
}

/** Everything the loop is built from. */
export interface LoopDeps {
  readonly provider: ChatProvider;
  readonly tools: ToolRunner;
  readonly sessions: SessionStore;
  readonly workspace: string;
  readonly agentName: string;
  /** Reads the soul files at each turn, so edits apply without a restart. */
  readonly soul: () => Promise<Partial<Record<SoulFile, string>>>;
  readonly settings: LoopSettings;
  /** Asks the owner to allow a call; resolves false when nobody can answer. */
  readonly approve: (request: ApprovalRequest) => Promise<boolean>;
  /** The policy and the timeline; without it every tool call runs (unit tests of the loop). */
  readonly guard?: Guard;
  /**
   * Long-term memory: relevant memories in the prompt, conversations, tool results and summaries
   * kept; without it the loop remembers nothing beyond its sessions.
   */
  readonly memory?: TurnMemory;
  /**
   * Passed before each turn and left after it: the runtime's serialises a session's turns across
   * processes and marks interrupted ones (session_gate.ts). Without it, turns are serialised
   * within this loop only.
   */
  readonly gate?: TurnGate;
  readonly now?: () => Date;
}

/** One turn: a message into a session. */
export interface TurnRequest {
  readonly sessionKey: string;
  readonly text: string;
  readonly messageType: MessageType;
  readonly channel: string;
  /** Who sent the message on that channel (default `owner`). */
  readonly sender?: string;
  /** A `provider/model` for this turn only (subagents may ask for one). */
  readonly model?: string;
  /**
   * The taint the message brings: `untrusted` when an untrusted turn sent it (a `message`, a
   * subagent's task). It only lowers trust.
   */
  readonly taint?: Taint | undefined;
  /** The zones of the turn's memory (default {@link PUBLIC_SCOPE}: public memory only). */
  readonly scope?: TurnScope;
  readonly signal?: AbortSignal;
  readonly onText?: (delta: string) => void;
  readonly onToolCall?: (call: ToolCall) => void;
  readonly onToolResult?: (call: ToolCall, result: ToolResult) => void;
}

/** How a turn ended. */
export interface TurnResult {
  readonly content: string;
  readonly stopped: "answer" | "max_iterations" | "cancelled" | "limit";
  readonly iterations: number;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
}

const CANCELLED = "(cancelled by the user before finishing)";

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "APIUserAbortError"));
}

const size = (messages: readonly ChatMessage[]) =>
  messages.reduce((n, m) => n + (m.content?.length ?? 0) + 40, 0);

/** The agent loop. */
export class AgentLoop {
  readonly #deps: LoopDeps;
  readonly #turns = new Map<string, Promise<unknown>>();
  readonly #closing = new AbortController();

  constructor(deps: LoopDeps) {
    this.#deps = deps;
  }

  /**
   * Runs a turn after any earlier turn of the same session has finished. After {@link close} it
   * is cancelled at once.
   */
  runTurn(request: TurnRequest): Promise<TurnResult> {
    // Closing the loop cancels every turn, as the turn's own signal would.
    const signal = request.signal
      ? AbortSignal.any([request.signal, this.#closing.signal])
      : this.#closing.signal;
    const req = { ...request, signal };
    const previous = this.#turns.get(request.sessionKey) ?? Promise.resolve();
    const turn = previous.catch(() => {}).then(() => this.#gated(req));
    const tail = turn.catch(() => {});
    this.#turns.set(request.sessionKey, tail);
    tail.then(() => {
      if (this.#turns.get(request.sessionKey) === tail) this.#turns.delete(request.sessionKey);
    });
    return turn;
  }

  /**
   * Cancels every turn (a pending approval among them, recorded as cancelled) and resolves once
   * all have ended, so what they use (the timeline, the sandbox) can then be closed.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    while (this.#turns.size > 0) await Promise.all(this.#turns.values());
  }

  /** A turn inside the gate, when there is one (see {@link LoopDeps.gate}). */
  async #gated(req: TurnRequest & { readonly signal: AbortSignal }): Promise<TurnResult> {
    await using _entered = await this.#deps.gate?.(req.sessionKey, req.signal);
    return await this.#turn(req);
  }

  async #turn(req: TurnRequest): Promise<TurnResult> {
    const { provider, tools, sessions, settings, guard } = this.#deps;
    const usage = { promptTokens: 0, completionTokens: 0 };
    const turn = guard?.beginTurn({
      sessionKey: req.sessionKey,
      sender: req.sender ?? "owner",
      channel: req.channel,
      messageType: req.messageType,
      text: req.text,
      declared: req.taint,
    });
    // Without a guard the turn's taint is still tracked, for what it leaves in memory.
    const taint = turn?.taint ??
      TurnTaint.start({
        messageType: req.messageType,
        ...(req.taint ? { declared: req.taint } : {}),
      });
    const scope = req.scope ?? PUBLIC_SCOPE;
    const origin = (): TurnOrigin => ({ taint: taint.value, zone: scope.zone });
    // Memory keeps no secrets either (the timeline's events are redacted the same way).
    const clean = (text: string) => guard ? guard.redact(text) : text;
    // Every line this turn writes carries its taint at that moment.
    const mark = () => ({ taint: taint.value });
    if (turn?.refusal) {
      await sessions.append(req.sessionKey, [
        { role: "user", content: req.text },
        { role: "assistant", content: turn.refusal },
      ], mark());
      return { content: turn.refusal, stopped: "limit", iterations: 0, usage };
    }
    await this.#compactIfNeeded(req, usage, origin(), clean, turn);
    const history = await sessions.history(req.sessionKey, settings.historyMessages);
    // What an untrusted turn left in the session is still there for the model to read.
    if (history.taint === "untrusted") {
      taint.markUntrusted("the session's history holds untrusted content");
    }
    const user: ChatMessage = { role: "user", content: req.text };
    await sessions.append(req.sessionKey, [user], mark());
    const definitions = tools.definitions();
    const system = await this.#systemPrompt(req, scope, taint, history.summary, definitions);
    const messages: ChatMessage[] = [
      { role: "system", content: system },
      ...history.messages,
      user,
    ];
    const ctx: ToolContext = {
      sessionKey: req.sessionKey,
      workspace: this.#deps.workspace,
      signal: req.signal ?? new AbortController().signal,
      approve: (r) => this.#deps.approve(r),
      scope,
    };
    for (let iteration = 1; iteration <= settings.maxToolIterations; iteration++) {
      const refusal = turn ? await guard!.beforeChat(turn) : undefined;
      if (refusal) {
        await sessions.append(req.sessionKey, [{ role: "assistant", content: refusal }], mark());
        return { content: refusal, stopped: "limit", iterations: iteration, usage };
      }
      const startedAt = new Date();
      let answer;
      try {
        answer = await provider.chat({
          ...this.#outgoing(turn, req, messages),
          tools: definitions,
          maxTokens: settings.maxTokens,
          temperature: settings.temperature,
          ...(req.signal ? { signal: req.signal } : {}),
          ...(req.onText ? { onText: req.onText } : {}),
        });
      } catch (error) {
        if (!isAbort(error, req.signal)) throw error;
        await sessions.append(req.sessionKey, [{ role: "assistant", content: CANCELLED }], mark());
        return { content: CANCELLED, stopped: "cancelled", iterations: iteration, usage };
      }
      usage.promptTokens += answer.usage.promptTokens;
      usage.completionTokens += answer.usage.completionTokens;
      if (turn) guard!.afterChat(turn, answer, startedAt);
      const assistant: ChatMessage = answer.toolCalls.length
        ? { role: "assistant", content: answer.content || null, toolCalls: answer.toolCalls }
        : { role: "assistant", content: answer.content };
      messages.push(assistant);
      if (answer.toolCalls.length === 0) {
        await sessions.append(req.sessionKey, [assistant], mark());
        this.#deps.memory?.conversation({
          ...origin(),
          sessionKey: req.sessionKey,
          channel: req.channel,
          question: clean(req.text),
          answer: clean(answer.content),
        });
        return { content: answer.content, stopped: "answer", iterations: iteration, usage };
      }
      const results: ChatMessage[] = [];
      for (const call of answer.toolCalls) {
        if (req.signal?.aborted) {
          results.push({ role: "tool", toolCallId: call.id, content: "Not run: cancelled." });
          continue;
        }
        req.onToolCall?.(call);
        const result = await this.#runTool(turn, call, ctx);
        if (!turn) taint.afterToolResult(call.name, result, { workspaceFilesUntrusted: false });
        req.onToolResult?.(call, result);
        const content = result.isError ? `Error: ${result.content}` : result.content;
        results.push({ role: "tool", toolCallId: call.id, content });
        this.#deps.memory?.toolResult({
          ...origin(),
          tool: call.name,
          argumentsJson: call.arguments,
          result: clean(content),
        });
      }
      messages.push(...results);
      await sessions.append(req.sessionKey, [assistant, ...results], mark());
      if (req.signal?.aborted) {
        await sessions.append(req.sessionKey, [{ role: "assistant", content: CANCELLED }], mark());
        return { content: CANCELLED, stopped: "cancelled", iterations: iteration, usage };
      }
    }
    const content =
      `I stopped after ${settings.maxToolIterations} rounds of tool calls without a ` +
      `final answer (model.maxToolIterations). Ask again with a narrower request, or raise the limit.`;
    await sessions.append(req.sessionKey, [{ role: "assistant", content }], mark());
    return { content, stopped: "max_iterations", iterations: settings.maxToolIterations, usage };
  }

  /**
   * The system prompt of a turn, with the memories relevant to the message. Reading an untrusted
   * memory taints the turn (and so what it may do next); memories the prompt already shows in
   * full (soul sections, the summary) are not repeated.
   */
  /**
   * What a chat request of the turn sends: the messages with secrets redacted, and the model,
   * which sensitive content decides alone (no fallback) when a rule routes it.
   */
  #outgoing(
    turn: GuardedTurn | undefined,
    req: TurnRequest,
    messages: readonly ChatMessage[],
  ): Pick<ChatRequest, "messages" | "model" | "exclusive"> {
    const guard = this.#deps.guard;
    if (!turn || !guard) return { messages, ...(req.model ? { model: req.model } : {}) };
    const routeTo = guard.route(turn, messages);
    const model = routeTo ?? req.model;
    return {
      messages: guard.outgoing(messages),
      ...(model ? { model } : {}),
      ...(routeTo ? { exclusive: true } : {}),
    };
  }

  async #systemPrompt(
    req: TurnRequest,
    scope: TurnScope,
    taint: TurnTaint,
    summary: string | undefined,
    tools: readonly ToolDefinition[],
  ): Promise<string> {
    const soul = await this.#deps.soul();
    const shown = [
      ...Object.values(soul).map((text) => text.trim().slice(0, DEFAULT_BUDGETS.soulFile)),
      ...(summary ? [summary.slice(0, DEFAULT_BUDGETS.summary)] : []),
    ];
    const recalled = await this.#deps.memory?.recall(req.text, scope, {
      shown,
      signal: req.signal,
    });
    if (recalled) taint.afterMemoryRead(recalled);
    return buildSystemPrompt({
      now: (this.#deps.now ?? (() => new Date()))(),
      agentName: this.#deps.agentName,
      workspace: this.#deps.workspace,
      soul,
      tools,
      messageType: req.messageType,
      channel: req.channel,
      summary,
      memory: recalled?.section,
    });
  }

  /** Runs one tool call, through the guard's decision when there is a guard. */
  async #runTool(turn: GuardedTurn | undefined, call: ToolCall, ctx: ToolContext) {
    const { tools, guard } = this.#deps;
    const tier = tools.tierOf?.(call.name);
    if (!turn || !guard || tier === undefined) {
      return await tools.run(call.name, call.arguments, ctx);
    }
    const startedAt = new Date();
    const verdict = await guard.authorize(turn, call, tier, ctx.signal);
    let result: ToolResult;
    if (!verdict.run) {
      result = verdict.result;
    } else {
      // A call the owner just approved is not asked about a second time by the tool itself.
      const callCtx: ToolContext = {
        ...ctx,
        taint: turn.taint.value,
        ...(verdict.approved ? { approve: () => Promise.resolve(true) } : {}),
      };
      result = await tools.run(call.name, call.arguments, callCtx);
    }
    guard.afterTool(turn, call, result, startedAt);
    return result;
  }

  /**
   * Summarises the older half of a long session into one summary line. The original lines stay in
   * the file; only the history sent to the model gets shorter. The summary also goes to memory,
   * with the turn's taint and zone.
   */
  async #compactIfNeeded(
    req: TurnRequest,
    usage: { promptTokens: number; completionTokens: number },
    origin: TurnOrigin,
    clean: (text: string) => string,
    turn: GuardedTurn | undefined,
  ): Promise<void> {
    const { sessions, settings, provider } = this.#deps;
    const history = await sessions.history(req.sessionKey, Number.MAX_SAFE_INTEGER);
    if (size(history.messages) <= settings.compactAboveChars) return;
    let keepFrom = Math.floor(history.messages.length / 2);
    while (keepFrom < history.messages.length && history.messages[keepFrom]!.role !== "user") {
      keepFrom++;
    }
    const older = history.messages.slice(0, keepFrom);
    if (older.length === 0) return;
    const transcript = older.map((m) => `${m.role}: ${m.content ?? "(tool calls)"}`).join("\n");
    const messages: ChatMessage[] = [
      {
        role: "system",
        content: "Summarise this conversation for your own later use: the facts, decisions, " +
          "open questions and anything the user asked you to remember. Be brief and exact.",
      },
      {
        role: "user",
        content: `${
          history.summary ? `Earlier summary:\n${history.summary}\n\n` : ""
        }${transcript}`,
      },
    ];
    // The summary sees the whole history: it is redacted and routed like any other call.
    const answer = await provider.chat({
      ...this.#outgoing(turn, req, messages),
      maxTokens: Math.min(2000, settings.maxTokens),
      temperature: 0,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    usage.promptTokens += answer.usage.promptTokens;
    usage.completionTokens += answer.usage.completionTokens;
    const covers = history.totalMessages - history.messages.length + older.length;
    // A summary of untrusted lines is untrusted (this takes the whole history: it fails closed).
    const summaryOrigin: TurnOrigin = history.taint === "untrusted"
      ? { ...origin, taint: "untrusted" }
      : origin;
    await sessions.appendSummary(req.sessionKey, answer.content, covers, {
      taint: summaryOrigin.taint,
    });
    // The facts worth keeping outlive the session's history: kept as `summary:<session>`.
    await this.#deps.memory?.summary(req.sessionKey, clean(answer.content), summaryOrigin);
  }
}
