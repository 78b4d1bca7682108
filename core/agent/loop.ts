/**
 * The agent loop: messages in, tool calls executed, results fed back, until a final answer or the
 * tool-call budget is spent. One loop serves many sessions at once, one turn at a time per session;
 * everything a turn needs lives in the turn, never in shared fields.
 *
 * @module
 */
import type { ChatMessage, ChatProvider, ToolCall, ToolDefinition } from "../provider/types.ts";
import type { ApprovalRequest, Tier, ToolContext, ToolResult } from "../tools/types.ts";
import { buildSystemPrompt, type MessageType, type SoulFile } from "./context.ts";
import type { Guard, GuardedTurn } from "./guard.ts";
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

  constructor(deps: LoopDeps) {
    this.#deps = deps;
  }

  /** Runs a turn after any earlier turn of the same session has finished. */
  runTurn(request: TurnRequest): Promise<TurnResult> {
    const previous = this.#turns.get(request.sessionKey) ?? Promise.resolve();
    const turn = previous.catch(() => {}).then(() => this.#turn(request));
    const tail = turn.catch(() => {});
    this.#turns.set(request.sessionKey, tail);
    tail.then(() => {
      if (this.#turns.get(request.sessionKey) === tail) this.#turns.delete(request.sessionKey);
    });
    return turn;
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
    });
    if (turn?.refusal) {
      await sessions.append(req.sessionKey, [
        { role: "user", content: req.text },
        { role: "assistant", content: turn.refusal },
      ]);
      return { content: turn.refusal, stopped: "limit", iterations: 0, usage };
    }
    await this.#compactIfNeeded(req, usage);
    const history = await sessions.history(req.sessionKey, settings.historyMessages);
    const user: ChatMessage = { role: "user", content: req.text };
    await sessions.append(req.sessionKey, [user]);
    const definitions = tools.definitions();
    const system = buildSystemPrompt({
      now: (this.#deps.now ?? (() => new Date()))(),
      agentName: this.#deps.agentName,
      workspace: this.#deps.workspace,
      soul: await this.#deps.soul(),
      tools: definitions,
      messageType: req.messageType,
      channel: req.channel,
      summary: history.summary,
    });
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
    };
    for (let iteration = 1; iteration <= settings.maxToolIterations; iteration++) {
      const refusal = turn ? await guard!.beforeChat(turn) : undefined;
      if (refusal) {
        await sessions.append(req.sessionKey, [{ role: "assistant", content: refusal }]);
        return { content: refusal, stopped: "limit", iterations: iteration, usage };
      }
      const startedAt = new Date();
      let answer;
      try {
        answer = await provider.chat({
          messages: guard ? guard.outgoing(messages) : messages,
          tools: definitions,
          maxTokens: settings.maxTokens,
          temperature: settings.temperature,
          ...(req.model ? { model: req.model } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
          ...(req.onText ? { onText: req.onText } : {}),
        });
      } catch (error) {
        if (!isAbort(error, req.signal)) throw error;
        await sessions.append(req.sessionKey, [{ role: "assistant", content: CANCELLED }]);
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
        await sessions.append(req.sessionKey, [assistant]);
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
        req.onToolResult?.(call, result);
        const content = result.isError ? `Error: ${result.content}` : result.content;
        results.push({ role: "tool", toolCallId: call.id, content });
      }
      messages.push(...results);
      await sessions.append(req.sessionKey, [assistant, ...results]);
      if (req.signal?.aborted) {
        await sessions.append(req.sessionKey, [{ role: "assistant", content: CANCELLED }]);
        return { content: CANCELLED, stopped: "cancelled", iterations: iteration, usage };
      }
    }
    const content =
      `I stopped after ${settings.maxToolIterations} rounds of tool calls without a ` +
      `final answer (model.maxToolIterations). Ask again with a narrower request, or raise the limit.`;
    await sessions.append(req.sessionKey, [{ role: "assistant", content }]);
    return { content, stopped: "max_iterations", iterations: settings.maxToolIterations, usage };
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
   * the file; only the history sent to the model gets shorter.
   */
  async #compactIfNeeded(
    req: TurnRequest,
    usage: { promptTokens: number; completionTokens: number },
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
    const answer = await provider.chat({
      messages: [
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
      ],
      maxTokens: Math.min(2000, settings.maxTokens),
      temperature: 0,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    usage.promptTokens += answer.usage.promptTokens;
    usage.completionTokens += answer.usage.completionTokens;
    const covers = history.totalMessages - history.messages.length + older.length;
    await sessions.appendSummary(req.sessionKey, answer.content, covers);
  }
}
