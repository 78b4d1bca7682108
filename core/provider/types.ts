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

/** The tokens of one successful call, for quotas and accounting. */
export interface UsageRecord {
  /** The provider that answered, e.g. `openrouter`. */
  readonly provider: string;
  /** The model as the provider names it, e.g. `anthropic/claude-3.5-sonnet`. */
  readonly model: string;
  readonly kind: "chat" | "embedding";
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly at: Date;
}

/** Receives a {@link UsageRecord} after every successful call. It must not throw. */
export type UsageSink = (record: UsageRecord) => void;

/** One chat request. `model` is `provider/model`; absent means the configured default. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly model?: string;
  /**
   * Only `model`, never a fallback: for content that must not reach any other model (routed by
   * its sensitivity to a local one, say). A failure is then the answer.
   */
  readonly exclusive?: boolean;
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

/** Options of one embedding call. */
export interface EmbedOptions {
  /** `provider/model`; absent means the configured embedding model. */
  readonly model?: string;
  readonly signal?: AbortSignal;
}

/** Turns texts into vectors, one per text, in order. */
export interface Embedder {
  /** The `provider/model` used when a call names none. */
  readonly model: string;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<number[][]>;
}

/** Options of one transcription. */
export interface TranscribeOptions {
  /** `provider/model`, default `openai/whisper-1`. */
  readonly model?: string;
  /** File name sent with the audio; its extension tells the server the format. */
  readonly filename?: string;
  /** MIME type of the audio, e.g. `audio/ogg`. */
  readonly mime?: string;
  /** ISO-639-1 language of the speech, when known. */
  readonly language?: string;
  readonly signal?: AbortSignal;
}

/** Options of one speech synthesis. */
export interface SpeakOptions {
  /** `provider/model`, default `openai/tts-1`. */
  readonly model?: string;
  /** Voice name, default `alloy`. */
  readonly voice?: string;
  /** Audio format, default `mp3`. */
  readonly format?: "mp3" | "opus" | "aac" | "flac" | "wav" | "pcm";
  readonly signal?: AbortSignal;
}

/** Speech to text and text to speech. */
export interface SpeechProvider {
  transcribe(audio: Uint8Array, options?: TranscribeOptions): Promise<string>;
  speak(text: string, options?: SpeakOptions): Promise<Uint8Array>;
}
