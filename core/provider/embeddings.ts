/**
 * Embeddings through `/embeddings` of any OpenAI-compatible server, with the same retries as
 * chat but no fallback model: vectors of different models cannot be compared.
 *
 * @module
 */
import { failureError, tryModel } from "./_attempt.ts";
import { ClientCache } from "./_client.ts";
import { embeddingModel, type ModelEndpoint, type ProviderConfig, resolveModel } from "./models.ts";
import { callSettings, type ProviderOptions } from "./options.ts";
import type { Embedder, EmbedOptions } from "./types.ts";

/** Options of {@link createEmbedder}. */
export interface EmbedderOptions extends ProviderOptions {
  /** `provider/model`; overrides `memory.embedding.model`. */
  readonly model?: string;
}

/**
 * Builds the embedder of a configuration ({@link embeddingModel} unless `options.model`).
 * Whether memory uses it (`memory.embedding.enabled`) is the caller's decision. Throws
 * ProviderNotConfiguredError when the model's provider lacks its key.
 */
export function createEmbedder(config: ProviderConfig, options: EmbedderOptions = {}): Embedder {
  const endpoint = resolveModel(config, options.model ?? embeddingModel(config));
  const settings = callSettings(config, options);
  const clients = new ClientCache(settings.timeoutMs);

  async function embed(texts: readonly string[], call: EmbedOptions = {}): Promise<number[][]> {
    if (texts.length === 0) return [];
    const target: ModelEndpoint = call.model === undefined || call.model === endpoint.ref
      ? endpoint
      : resolveModel(config, call.model);
    const outcome = await tryModel(
      target,
      async (signal) => {
        const client = await clients.get(target);
        const response = await client.embeddings.create(
          { model: target.model, input: [...texts], encoding_format: "float" },
          { signal },
        );
        return response;
      },
      settings,
      call.signal,
    );
    if (!outcome.ok) throw failureError(target, outcome.verdict, outcome.failure);
    const { data, usage } = outcome.value;
    if (data.length !== texts.length) {
      throw new Error(`${target.ref} returned ${data.length} embeddings for ${texts.length} texts`);
    }
    options.onUsage?.({
      provider: target.provider,
      model: target.model,
      kind: "embedding",
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: 0,
      at: options.now?.() ?? new Date(),
    });
    return [...data].sort((a, b) => a.index - b.index).map((item) => Array.from(item.embedding));
  }

  return { model: endpoint.ref, embed };
}
