/**
 * The chat provider: the chain of models (`model.name`, then `model.fallbacks`), each retried
 * with backoff on rate limits, server errors, timeouts and connection failures before the next
 * one is tried; streamed or not; cancellable; usage reported per call.
 *
 * @module
 */
import type OpenAI from "openai";
import { type CallSettings, failureError, tryModel } from "./_attempt.ts";
import { ClientCache } from "./_client.ts";
import { type Answer, chatBody, fromCompletion, type Sampling, StreamAssembler } from "./_wire.ts";
import { exhaustedError, type ProviderFailure } from "./errors.ts";
import {
  type ChainOptions,
  type ModelEndpoint,
  type ProviderConfig,
  resolveChain,
  resolveModel,
} from "./models.ts";
import { callSettings, type ProviderOptions } from "./options.ts";
import { classify, InterruptedStreamError, StreamEndedEarlyError } from "./retry.ts";
import { unreadable, UnreadableAnswerError } from "./_describe.ts";
import type { ChatProvider, ChatRequest, ChatResult } from "./types.ts";

/** Options of {@link createChatProvider}. */
export interface ChatProviderOptions extends ProviderOptions, ChainOptions {}

/** A chat provider over a chain of models. */
export interface ChainedChatProvider extends ChatProvider {
  /** The models tried, in order, when a request names none. */
  readonly chain: readonly ModelEndpoint[];
}

/**
 * Builds the chat provider of a configuration: `model.name` (or `options.model`), then
 * `model.fallbacks` (or `options.fallbacks`). Requests carry `model.maxTokens` and
 * `model.temperature` unless they set their own. Throws ProviderNotConfiguredError when a model
 * of the chain lacks its key.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "../config/mod.ts";
 * import { createChatProvider, ProviderNotConfiguredError } from "./mod.ts";
 * const config = resolveConfig({ home: "/tmp/kafclaw-example", env: {} });
 * try {
 *   createChatProvider(config);
 * } catch (error) {
 *   console.assert(error instanceof ProviderNotConfiguredError);
 * }
 * const local = resolveConfig({ home: "/tmp/x", env: { KAFCLAW_MODEL: "ollama/llama3.2" } });
 * console.assert(createChatProvider(local).chain[0]?.baseUrl === "http://127.0.0.1:11434/v1");
 * ```
 */
export function createChatProvider(
  config: ProviderConfig,
  options: ChatProviderOptions = {},
): ChainedChatProvider {
  return new ChainProvider(config, options);
}

class ChainProvider implements ChainedChatProvider {
  readonly chain: readonly ModelEndpoint[];
  readonly #config: ProviderConfig;
  readonly #options: ChatProviderOptions;
  readonly #settings: CallSettings;
  readonly #clients: ClientCache;
  readonly #sampling: Sampling;

  constructor(config: ProviderConfig, options: ChatProviderOptions) {
    this.chain = resolveChain(config, options);
    this.#config = config;
    this.#options = options;
    this.#settings = callSettings(config, options);
    this.#clients = new ClientCache(this.#settings.timeoutMs);
    this.#sampling = { maxTokens: config.model.maxTokens, temperature: config.model.temperature };
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const failures: ProviderFailure[] = [];
    for (const endpoint of this.#chainFor(request)) {
      const outcome = await tryModel(
        endpoint,
        (signal, progress, chunk) => this.#once(endpoint, request, signal, progress, chunk),
        this.#settings,
        request.signal,
      );
      if (outcome.ok) {
        this.#record(endpoint, outcome.value);
        return { ...outcome.value, model: endpoint.ref };
      }
      if (outcome.verdict !== "next") {
        throw failureError(endpoint, outcome.verdict, outcome.failure, failures);
      }
      failures.push(outcome.failure);
    }
    throw exhaustedError(failures);
  }

  #chainFor(request: ChatRequest): readonly ModelEndpoint[] {
    if (request.model === undefined) return this.chain;
    if (request.exclusive) return [resolveModel(this.#config, request.model)];
    if (request.model === this.chain[0]?.ref) return this.chain;
    const first = resolveModel(this.#config, request.model);
    return [first, ...this.chain.slice(1).filter((e) => e.ref !== first.ref)];
  }

  async #once(
    endpoint: ModelEndpoint,
    request: ChatRequest,
    signal: AbortSignal,
    progress: () => void,
    chunk: () => void,
  ): Promise<Answer> {
    const client = await this.#clients.get(endpoint);
    const body = chatBody(endpoint, request, this.#sampling);
    if (request.onText) return streamOnce(client, body, request.onText, signal, chunk);
    return answerOnce(client, body, signal, progress);
  }

  #record(endpoint: ModelEndpoint, answer: Answer): void {
    this.#options.onUsage?.({
      provider: endpoint.provider,
      model: endpoint.model,
      kind: "chat",
      promptTokens: answer.usage.promptTokens,
      completionTokens: answer.usage.completionTokens,
      at: this.#options.now?.() ?? new Date(),
    });
  }
}

/** A completion not streamed: progress when the response begins, its body checked. */
async function answerOnce(
  client: OpenAI,
  body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal,
  progress: () => void,
): Promise<Answer> {
  const call = client.chat.completions.create(body, { signal });
  const response = call.asResponse();
  response.then(progress, () => {});
  const completion: unknown = await call;
  if (!isCompletion(completion)) {
    const type = (await response).headers.get("content-type");
    throw unreadable(
      type,
      typeof completion === "string" ? completion : JSON.stringify(completion) ?? "",
      "a chat completion",
    );
  }
  return fromCompletion(completion);
}

function isCompletion(value: unknown): value is OpenAI.Chat.ChatCompletion {
  return typeof value === "object" && value !== null &&
    Array.isArray((value as { choices?: unknown }).choices);
}

async function streamOnce(
  client: OpenAI,
  body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
  onText: (delta: string) => void,
  signal: AbortSignal,
  chunk: () => void,
): Promise<Answer> {
  const assembler = new StreamAssembler();
  let emitted = false;
  let chunks = 0;
  try {
    const { data: stream, response } = await client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { signal },
    ).withResponse();
    const type = response.headers.get("content-type");
    if (!/^\s*text\/event-stream/i.test(type ?? "")) {
      // Not a stream at all: say what it is, from the body the stream would have parsed.
      const text = await response.text().catch(() => "");
      throw unreadable(type, text, "an event stream");
    }
    for await (const part of readChunks(stream)) {
      chunks++;
      chunk();
      const text = assembler.add(part);
      if (text !== "") {
        emitted = true;
        onText(text);
      }
    }
    // npm:openai ends an aborted stream quietly: an abort is only visible on the signal.
    signal.throwIfAborted();
    if (chunks === 0) {
      throw new UnreadableAnswerError("HTTP 200 with an event stream that held no answer");
    }
    if (!assembler.finished) throw new StreamEndedEarlyError();
  } catch (error) {
    // Text already went out: another attempt would repeat it, so this one is final.
    const classified = emitted ? classify(error) : null;
    if (classified) throw new InterruptedStreamError(classified);
    throw error;
  }
  return assembler.result();
}

/** The chunks of a stream; a part that is not JSON is an unreadable answer, not a bug. */
async function* readChunks(
  stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>,
): AsyncGenerator<OpenAI.Chat.ChatCompletionChunk> {
  const iterator = stream[Symbol.asyncIterator]();
  while (true) {
    let next: IteratorResult<OpenAI.Chat.ChatCompletionChunk>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new UnreadableAnswerError(
        `HTTP 200 with an event stream whose parts are not JSON (${error.message})`,
      );
    }
    if (next.done) return;
    if (typeof next.value !== "object" || next.value === null) {
      throw new UnreadableAnswerError("HTTP 200 with an event stream whose parts are not chunks");
    }
    yield next.value;
  }
}
