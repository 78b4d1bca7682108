/**
 * Our chat shapes to and from the OpenAI wire format, without I/O: the request body (messages,
 * tools, token limit and temperature), the answer of a non-streaming call, and the assembly of a
 * streamed answer from its chunks (text deltas, tool-call deltas by index, usage at the end).
 *
 * @module
 */
import type OpenAI from "openai";
import type { ChatMessage, ChatRequest, ToolCall, ToolDefinition, Usage } from "./types.ts";
import type { ModelRef } from "./models.ts";

type WireMessage = OpenAI.Chat.ChatCompletionMessageParam;
type WireTool = OpenAI.Chat.ChatCompletionFunctionTool;
type WireBody = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** Token limit and temperature used when a request sets none (`model.maxTokens`, ...). */
export interface Sampling {
  readonly maxTokens: number;
  readonly temperature: number;
}

/**
 * OpenAI's reasoning models (o1, o3, o4-mini, gpt-5...) accept only the default temperature;
 * sending one is a 400.
 */
export function fixedTemperature(ref: ModelRef): boolean {
  return ref.provider === "openai" && /^(?:o\d|gpt-5)/.test(ref.model);
}

/**
 * The body of a chat completion request, without `stream`. OpenAI itself takes the token limit as
 * `max_completion_tokens` (its reasoning models refuse `max_tokens`); every other
 * OpenAI-compatible server takes `max_tokens`.
 */
export function chatBody(ref: ModelRef, request: ChatRequest, defaults: Sampling): WireBody {
  const maxTokens = request.maxTokens ?? defaults.maxTokens;
  const temperature = request.temperature ?? defaults.temperature;
  const tools = request.tools ?? [];
  return {
    model: ref.model,
    messages: request.messages.map(toWireMessage),
    ...(ref.provider === "openai"
      ? { max_completion_tokens: maxTokens }
      : { max_tokens: maxTokens }),
    ...(fixedTemperature(ref) ? {} : { temperature }),
    ...(tools.length > 0 ? { tools: tools.map(toWireTool), tool_choice: "auto" as const } : {}),
  };
}

/** One of our messages in the wire shape. */
export function toWireMessage(message: ChatMessage): WireMessage {
  switch (message.role) {
    case "system":
    case "user":
      return { role: message.role, content: message.content };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    case "assistant": {
      const calls = message.toolCalls ?? [];
      return {
        role: "assistant",
        content: message.content,
        ...(calls.length > 0
          ? {
            tool_calls: calls.map((call) => ({
              id: call.id,
              type: "function" as const,
              function: { name: call.name, arguments: call.arguments },
            })),
          }
          : {}),
      };
    }
  }
}

/** One of our tools in the wire shape. */
export function toWireTool(tool: ToolDefinition): WireTool {
  return {
    type: "function",
    function: {
      name: tool.name,
      description: tool.description,
      parameters: { ...tool.parameters },
    },
  };
}

/** What an answer carries, before we know which model gave it. */
export interface Answer {
  readonly content: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: string;
  readonly usage: Usage;
}

/** The answer of a non-streaming call. */
export function fromCompletion(completion: OpenAI.Chat.ChatCompletion): Answer {
  const choice = completion.choices[0];
  const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
    call.type === "function"
      ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
      : []
  );
  return {
    content: choice?.message.content ?? "",
    toolCalls,
    finishReason: choice?.finish_reason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    usage: usageOf(completion.usage),
  };
}

function usageOf(usage: OpenAI.CompletionUsage | null | undefined): Usage {
  return {
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
  };
}

interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Builds a streamed answer from its chunks. Tool calls arrive in pieces keyed by `index`: the
 * first piece has the id and name, the next ones parts of the arguments. Servers that omit the
 * index start a new call when a new id appears.
 */
export class StreamAssembler {
  #content = "";
  readonly #calls: PartialCall[] = [];
  #finishReason: string | null = null;
  #usage: Usage = { promptTokens: 0, completionTokens: 0 };

  /** Takes one chunk; returns its text delta ("" when it has none). */
  add(chunk: Chunk): string {
    if (chunk.usage) this.#usage = usageOf(chunk.usage);
    const choice = chunk.choices.find((c) => c.index === 0) ?? chunk.choices[0];
    if (!choice) return "";
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    for (const piece of choice.delta?.tool_calls ?? []) this.#addCall(piece);
    const text = choice.delta?.content ?? "";
    this.#content += text;
    return text;
  }

  /** True once a chunk carried a finish reason. */
  get finished(): boolean {
    return this.#finishReason !== null;
  }

  /** The answer so far. */
  result(): Answer {
    const toolCalls = this.#calls.filter((c) => c !== undefined).map((call, i) => ({
      id: call.id === "" ? `call_${i}` : call.id,
      name: call.name,
      arguments: call.arguments,
    }));
    return {
      content: this.#content,
      toolCalls,
      finishReason: this.#finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
      usage: this.#usage,
    };
  }

  #addCall(piece: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const index = piece.index ?? this.#indexWithoutIndex(piece.id);
    const call = this.#calls[index] ??= { id: "", name: "", arguments: "" };
    if (piece.id) call.id = piece.id;
    if (piece.function?.name && call.name === "") call.name = piece.function.name;
    call.arguments += piece.function?.arguments ?? "";
  }

  #indexWithoutIndex(id: string | undefined): number {
    const last = this.#calls.length - 1;
    if (last < 0) return 0;
    return id && id !== this.#calls[last]!.id ? last + 1 : last;
  }
}
