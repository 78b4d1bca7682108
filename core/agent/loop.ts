/**
 * The agent loop: messages in, tool calls executed, results fed back, until a final answer or the
 * tool-call budget is spent. One loop serves many sessions at once, one turn at a time per session;
 * everything a turn needs lives in the turn, never in shared fields.
 *
 * The loop never applies the policy itself: the guard ({@link TurnGuard}) hands each turn the
 * provider and the tools already wrapped in it. Turns come in through the door
 * (core/agent/door.ts), which alone decides who a turn acts for.
 *
 * @module
 */
import type { ChatMessage, ChatProvider, ToolDefinition } from "../provider/mod.ts";
import type { ToolContext } from "../tools/mod.ts";
import { buildSystemPrompt, DEFAULT_BUDGETS, type SoulFile } from "./context.ts";
import { type MemoryOrigin, PUBLIC_SCOPE, type TurnMemory, type TurnScope } from "./memory_lane.ts";
import type { TurnGate } from "./session_gate.ts";
import { ranCall } from "./ran_calls.ts";
import { historyOf, type SessionLine, type SessionStore } from "./sessions.ts";
import {
  type GuardedTurn,
  type ToolRunner,
  type TurnGuard,
  TurnRefused,
  type TurnRequest,
  type TurnResult,
} from "./turn.ts";

export type { ToolRunner, TurnRequest, TurnResult };

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
  /** The policy around every turn: it wraps the provider and the tools. */
  readonly guard: TurnGuard;
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

/** One running turn. */
interface Turn {
  readonly req: TurnRequest;
  readonly guarded: GuardedTurn;
  readonly scope: TurnScope;
  readonly usage: { promptTokens: number; completionTokens: number };
  iterations: number;
  /** Whether the user's message is in the session yet. */
  asked: boolean;
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
   * is cancelled at once, with nothing run or recorded.
   */
  runTurn(request: TurnRequest): Promise<TurnResult> {
    if (this.#closing.signal.aborted) {
      const usage = { promptTokens: 0, completionTokens: 0 };
      return Promise.resolve({
        content: CANCELLED,
        stopped: "cancelled",
        iterations: 0,
        usage,
        taint: request.origin.taint,
      });
    }
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
    const { provider, tools, guard, settings } = this.#deps;
    const guarded = guard.begin(
      {
        sessionKey: req.sessionKey,
        origin: req.origin,
        text: req.text,
        fence: req.fence,
        tokenBudget: req.tokenBudget,
      },
      { provider, tools },
    );
    const turn: Turn = {
      req,
      guarded,
      scope: req.scope ?? PUBLIC_SCOPE,
      usage: { promptTokens: 0, completionTokens: 0 },
      iterations: 0,
      asked: false,
    };
    if (guarded.refusal) return await this.#end(turn, guarded.refusal, "limit");
    try {
      const messages = await this.#open(turn);
      while (turn.iterations < settings.maxToolIterations) {
        turn.iterations++;
        const answer = await this.#step(turn, messages);
        if (answer !== undefined) return await this.#end(turn, answer, "answer");
        if (req.signal?.aborted) return await this.#end(turn, CANCELLED, "cancelled");
      }
    } catch (error) {
      if (error instanceof TurnRefused) return await this.#end(turn, error.message, "limit");
      if (isAbort(error, req.signal)) return await this.#end(turn, CANCELLED, "cancelled");
      throw error;
    }
    return await this.#end(
      turn,
      `I stopped after ${settings.maxToolIterations} rounds of tool calls without a ` +
        `final answer (model.maxToolIterations). Ask again with a narrower request, or raise the limit.`,
      "max_iterations",
    );
  }

  /** Appends lines of the turn to its session, each carrying the turn's taint at that moment. */
  async #append(turn: Turn, lines: ChatMessage[]): Promise<void> {
    await this.#deps.sessions.append(turn.req.sessionKey, lines, {
      taint: turn.guarded.taint.value,
    });
  }

  /** Memory's view of where the turn's memories come from. */
  #origin(turn: Turn): MemoryOrigin {
    return { taint: turn.guarded.taint.value, zone: turn.scope.zone };
  }

  /** Ends a turn with `content` as its last line (the user's message first, if not there yet). */
  async #end(turn: Turn, content: string, stopped: TurnResult["stopped"]): Promise<TurnResult> {
    const last: ChatMessage = { role: "assistant", content };
    await this.#append(
      turn,
      turn.asked ? [last] : [{ role: "user", content: turn.req.text }, last],
    );
    turn.asked = true;
    return {
      content,
      stopped,
      iterations: turn.iterations,
      usage: turn.usage,
      taint: turn.guarded.taint.value,
    };
  }

  /** Compacts a long session, then builds what the first LLM call sends. */
  async #open(turn: Turn): Promise<ChatMessage[]> {
    const { sessions, settings, tools } = this.#deps;
    const { req, guarded } = turn;
    // The session is read once, and again only when compaction added its summary.
    let lines = await sessions.lines(req.sessionKey);
    if (await this.#compactIfNeeded(turn, lines)) lines = await sessions.lines(req.sessionKey);
    const history = historyOf(lines, settings.historyMessages);
    // What an untrusted turn left in the session is still there for the model to read.
    if (history.taint === "untrusted") {
      guarded.taint.markUntrusted("the session's history holds untrusted content");
    }
    const user: ChatMessage = { role: "user", content: req.text };
    // The user's line is written (with the taint the turn has now, before any memory is read)
    // while the system prompt is built: neither waits for the other.
    const [appended, system] = await Promise.allSettled([
      this.#append(turn, [user]),
      this.#systemPrompt(turn, history.summary, tools.definitions()),
    ]);
    turn.asked = appended.status === "fulfilled";
    if (appended.status === "rejected") throw appended.reason;
    if (system.status === "rejected") throw system.reason;
    return [{ role: "system", content: system.value }, ...history.messages, user];
  }

  /**
   * One LLM call and the tool calls it asks for. Resolves with the final answer when there were
   * none; otherwise the calls' results are in `messages` and the session, and the loop goes on.
   */
  async #step(turn: Turn, messages: ChatMessage[]): Promise<string | undefined> {
    const { settings, memory, workspace, guard } = this.#deps;
    const { req, guarded } = turn;
    const answer = await guarded.provider.chat({
      messages,
      ...(req.model ? { model: req.model } : {}),
      tools: guarded.tools.definitions(),
      maxTokens: settings.maxTokens,
      temperature: settings.temperature,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.onText ? { onText: req.onText } : {}),
    });
    turn.usage.promptTokens += answer.usage.promptTokens;
    turn.usage.completionTokens += answer.usage.completionTokens;
    if (answer.toolCalls.length === 0) {
      memory?.conversation({
        ...this.#origin(turn),
        sessionKey: req.sessionKey,
        channel: req.origin.channel,
        question: guard.redact(req.text),
        answer: guard.redact(answer.content),
      });
      return answer.content;
    }
    const ctx: ToolContext = {
      sessionKey: req.sessionKey,
      workspace,
      signal: req.signal ?? new AbortController().signal,
      scope: turn.scope,
    };
    const results: ChatMessage[] = [];
    for (const call of answer.toolCalls) {
      if (req.signal?.aborted) {
        results.push({ role: "tool", toolCallId: call.id, content: "Not run: cancelled." });
        continue;
      }
      req.onToolCall?.(call);
      const result = await guarded.tools.run(call.name, call.arguments, ctx);
      req.onToolResult?.(call, result);
      const content = result.isError ? `Error: ${result.content}` : result.content;
      results.push({ role: "tool", toolCallId: call.id, content });
      memory?.toolResult({
        ...this.#origin(turn),
        tool: call.name,
        argumentsJson: call.arguments,
        result: guard.redact(content),
      });
    }
    // The calls ran with their arguments whole; later requests and turns see them cut down.
    const assistant: ChatMessage = {
      role: "assistant",
      content: answer.content || null,
      toolCalls: answer.toolCalls.map(ranCall),
    };
    messages.push(assistant, ...results);
    await this.#append(turn, [assistant, ...results]);
    return undefined;
  }

  /**
   * The system prompt of a turn, with the memories relevant to the message. Reading an untrusted
   * memory taints the turn (and so what it may do next); memories the prompt already shows in
   * full (soul sections, the summary) are not repeated.
   */
  async #systemPrompt(
    turn: Turn,
    summary: string | undefined,
    tools: readonly ToolDefinition[],
  ): Promise<string> {
    const { req } = turn;
    const soul = await this.#deps.soul();
    const shown = [
      ...Object.values(soul).map((text) => text.trim().slice(0, DEFAULT_BUDGETS.soulFile)),
      ...(summary ? [summary.slice(0, DEFAULT_BUDGETS.summary)] : []),
    ];
    const recalled = await this.#deps.memory?.recall(req.text, turn.scope, {
      shown,
      signal: req.signal,
    });
    if (recalled) turn.guarded.taint.afterMemoryRead(recalled);
    return buildSystemPrompt({
      now: (this.#deps.now ?? (() => new Date()))(),
      agentName: this.#deps.agentName,
      workspace: this.#deps.workspace,
      soul,
      tools,
      messageType: req.origin.messageType,
      channel: req.origin.channel,
      summary,
      memory: recalled?.section,
    });
  }

  /**
   * Summarises the older half of a long session into one summary line. The original lines stay in
   * the file; only the history sent to the model gets shorter. The summary goes through the
   * turn's guarded provider like any other call (redacted, routed, counted), and to memory, with
   * the turn's taint and zone. Returns whether it did (the session then has a summary line more).
   */
  async #compactIfNeeded(turn: Turn, lines: readonly SessionLine[]): Promise<boolean> {
    const { sessions, settings } = this.#deps;
    const { req } = turn;
    const history = historyOf(lines, Number.MAX_SAFE_INTEGER);
    if (size(history.messages) <= settings.compactAboveChars) return false;
    let keepFrom = Math.floor(history.messages.length / 2);
    while (keepFrom < history.messages.length && history.messages[keepFrom]!.role !== "user") {
      keepFrom++;
    }
    const older = history.messages.slice(0, keepFrom);
    if (older.length === 0) return false;
    const transcript = older.map((m) => `${m.role}: ${m.content ?? "(tool calls)"}`).join("\n");
    const earlier = history.summary ? `Earlier summary:\n${history.summary}\n\n` : "";
    const answer = await turn.guarded.provider.chat({
      messages: [
        {
          role: "system",
          content: "Summarise this conversation for your own later use: the facts, decisions, " +
            "open questions and anything the user asked you to remember. Be brief and exact.",
        },
        { role: "user", content: `${earlier}${transcript}` },
      ],
      ...(req.model ? { model: req.model } : {}),
      maxTokens: Math.min(2000, settings.maxTokens),
      temperature: 0,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    turn.usage.promptTokens += answer.usage.promptTokens;
    turn.usage.completionTokens += answer.usage.completionTokens;
    const covers = history.totalMessages - history.messages.length + older.length;
    // A summary of untrusted lines is untrusted (this takes the whole history: it fails closed).
    const origin: MemoryOrigin = history.taint === "untrusted"
      ? { ...this.#origin(turn), taint: "untrusted" }
      : this.#origin(turn);
    await sessions.appendSummary(req.sessionKey, answer.content, covers, { taint: origin.taint });
    // The facts worth keeping outlive the session's history: kept as `summary:<session>`.
    await this.#deps.memory?.summary(
      req.sessionKey,
      this.#deps.guard.redact(answer.content),
      origin,
    );
    return true;
  }
}
