/**
 * How memory searches, said from the configuration alone: the embedder of `memory.embedding` (its
 * model follows the chat model's provider when not set, see `embeddingModel`) or why there is
 * none, and how to get hybrid search with the provider the user has. `kafclaw memory status` and
 * `kafclaw doctor` both say it in these words.
 *
 * @module
 */
import { DEFAULT_COMMAND, type Provider } from "../config/mod.ts";
import {
  createEmbedder,
  type Embedder,
  type EmbedderOptions,
  EMBEDDING_MODELS,
  embeddingModel,
  type ProviderConfig,
  ProviderNotConfiguredError,
} from "../provider/mod.ts";

/** The embedder memory uses, or why there is none and what would give one. */
export interface EmbeddingSetup {
  readonly embedder?: Embedder;
  /** Why there is no embedder. */
  readonly embedderReason?: string;
  /** When there is none: how to search by meaning too, as one line. */
  readonly advice?: string;
}

/**
 * The embedder of `memory.embedding` when it is enabled and its provider is set up; else the
 * reason and the advice (see {@link hybridAdvice}). Other configuration errors are thrown.
 *
 * @example
 * ```ts
 * import { memoryEmbedder } from "./setup.ts";
 * import { resolveConfig } from "../config/mod.ts";
 * const config = resolveConfig({ home: "/tmp/kafclaw-doc", env: { KAFCLAW_MODEL: "ollama/llama3" } });
 * console.assert(memoryEmbedder(config).embedder?.model === "ollama/nomic-embed-text");
 * ```
 */
export function memoryEmbedder(
  config: ProviderConfig,
  options: EmbedderOptions = {},
): EmbeddingSetup {
  if (!config.memory.embedding.enabled) {
    return {
      embedderReason: "memory.embedding.enabled is false",
      advice: `to search by meaning too: \`${command(config)} config set ` +
        "memory.embedding.enabled true`",
    };
  }
  try {
    return { embedder: createEmbedder(config, options) };
  } catch (error) {
    if (!(error instanceof ProviderNotConfiguredError)) throw error;
    return {
      embedderReason: `no key for the embedding model: ${error.message}`,
      advice: hybridAdvice(config),
    };
  }
}

/** A model to run on the user's machine when the provider serves no embedding model. */
const LOCAL_EMBEDDING = EMBEDDING_MODELS.ollama!;

/**
 * How to get hybrid search with the chat model's provider when the embedding model lacks its key:
 * that provider's embedding model ({@link EMBEDDING_MODELS}), or, for a provider that serves none,
 * an OpenAI key or a local model.
 */
export function hybridAdvice(config: ProviderConfig): string {
  const cmd = command(config);
  const chat = config.model.name.slice(0, config.model.name.indexOf("/")) as Provider;
  const own = EMBEDDING_MODELS[chat];
  const current = embeddingModel(config);
  if (own !== undefined && own !== current) {
    return `to search by meaning with ${chat}, which the chat model uses: ` +
      `\`${cmd} config set memory.embedding.model ${own}\``;
  }
  if (own !== undefined) return `to search by meaning: set the key named above`;
  return `${chat} serves no embedding model: set OPENAI_API_KEY for ${EMBEDDING_MODELS.openai}, ` +
    `or run one locally with Ollama (\`ollama pull ${LOCAL_EMBEDDING.slice(7)}\`, then ` +
    `\`${cmd} config set memory.embedding.model ${LOCAL_EMBEDDING}\`)`;
}

function command(config: ProviderConfig): string {
  return config.command ?? DEFAULT_COMMAND;
}
