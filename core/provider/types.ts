/**
 * The provider port: what the agent loop needs from an LLM, whatever serves it. One
 * implementation speaks the OpenAI-compatible API through npm:openai (OpenAI, OpenRouter,
 * Anthropic's compatible endpoint, Ollama, vLLM, LM Studio, Groq, DeepSeek, xAI, Gemini).
 *
 * @module
 */

/** A tool call the model asked for. `arguments` is the raw JSON text the model produced. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** One message of a conversation, in the OpenAI chat shape. */
export type ChatMessage =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string }
  | {
    readonly role: "assistant";
    readonly content: string | null;
    readonly toolCalls?: readonly ToolCall[];
  }
  | { readonly role: "tool"; readonly toolCallId: string; readonly content: string };

/** A tool as the model sees it: a name, what it does, and its JSON-Schema parameters. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** Tokens a call used. */
export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** One chat request. `model` is `provider/model`; absent means the configured default. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly model?: string;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** Aborts the request (Ctrl-C in the CLI, a closed HTTP request). */
  readonly signal?: AbortSignal;
  /** Streams the text of the answer as it arrives. */
  readonly onText?: (delta: string) => void;
}

/** The answer to a chat request. */
export interface ChatResult {
  readonly content: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: string;
  readonly usage: Usage;
  /** The `provider/model` that answered (after fallbacks). */
  readonly model: string;
}

/** Something that answers chat requests. */
export interface ChatProvider {
  chat(request: ChatRequest): Promise<ChatResult>;
}
