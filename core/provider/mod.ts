/**
 * The LLM provider layer: every OpenAI-compatible endpoint (OpenAI, OpenRouter, Anthropic's
 * compatible API, Ollama, vLLM, LM Studio, Groq, DeepSeek, xAI, Gemini) through npm:openai.
 *
 * - {@link createChatProvider}: chat, streamed (`onText`) or not, with tool calls, over the chain
 *   `model.name` then `model.fallbacks`; rate limits, 5xx, timeouts and connection failures are
 *   retried with backoff and jitter, then the next model is tried; a refused key (401/403) or
 *   request (400) fails at once. `signal` cancels; `onUsage` receives each call's tokens.
 * - {@link createEmbedder}: `/embeddings`; {@link createSpeech}: `/audio/transcriptions` and
 *   `/audio/speech`.
 * - {@link ProviderNotConfiguredError} when no model can be used (the message says how to
 *   configure one), {@link ProviderError} when the call failed. API keys never appear in
 *   messages.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "../config/mod.ts";
 * import { createChatProvider, parseModelRef } from "./mod.ts";
 * const config = resolveConfig({
 *   home: "/tmp/kafclaw-example",
 *   env: { KAFCLAW_MODEL: "groq/llama-3.1-8b-instant", KAFCLAW_PROVIDERS_GROQ_API_KEY: "gsk_x" },
 * });
 * const provider = createChatProvider(config, { onUsage: (u) => console.log(u.promptTokens) });
 * console.assert(provider.chain[0]?.baseUrl === "https://api.groq.com/openai/v1");
 * console.assert(parseModelRef("openrouter/anthropic/claude-3.5").model === "anthropic/claude-3.5");
 * ```
 *
 * @module
 */
export type {
  ChatMessage,
  ChatProvider,
  ChatRequest,
  ChatResult,
  Embedder,
  EmbedOptions,
  SpeakOptions,
  SpeechProvider,
  ToolCall,
  ToolDefinition,
  TranscribeOptions,
  Usage,
  UsageRecord,
  UsageSink,
} from "./types.ts";
export { type ChainedChatProvider, type ChatProviderOptions, createChatProvider } from "./chat.ts";
export { createEmbedder, type EmbedderOptions } from "./embeddings.ts";
export { createSpeech, DEFAULT_SPEECH_MODEL, DEFAULT_TRANSCRIPTION_MODEL } from "./audio.ts";
export { type ProviderOptions } from "./options.ts";
export type { WaitEvent, WaitSink } from "./_attempt.ts";
export {
  type ChainOptions,
  defaultBaseUrl,
  EMBEDDING_MODELS,
  embeddingModel,
  keyOptional,
  LOCAL_PROVIDERS,
  ModelEndpoint,
  type ModelRef,
  parseModelRef,
  type ProviderConfig,
  resolveChain,
  resolveModel,
  SUGGESTED_MODELS,
} from "./models.ts";
export {
  ProviderError,
  type ProviderErrorKind,
  type ProviderFailure,
  ProviderNotConfiguredError,
  redact,
} from "./errors.ts";
export { backoffDelay, parseRetryAfter, type RetryOptions, sleep } from "./retry.ts";
