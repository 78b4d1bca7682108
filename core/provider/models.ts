/**
 * Model references and endpoints: `provider/model` split on the first slash, each provider's
 * OpenAI-compatible base URL (the config's defaults, overridable by `providers.<p>.apiBase`) and
 * key (`providers.<p>.apiKey`), and the chain of models the agent loop tries in order.
 *
 * @module
 */
import {
  DEFAULT_COMMAND,
  KEYS,
  type Provider,
  PROVIDERS,
  type ResolvedConfig,
} from "../config/mod.ts";
import { ProviderNotConfiguredError } from "./errors.ts";

/**
 * The part of the configuration the provider layer reads; `command` (the name hints start with,
 * `kafclaw` when absent) as the resolved configuration has it.
 */
export type ProviderConfig =
  & Pick<ResolvedConfig, "model" | "providers" | "memory">
  & Partial<Pick<ResolvedConfig, "command" | "sources">>;

/** Providers that run on the user's machine and need no API key. */
export const LOCAL_PROVIDERS: readonly Provider[] = ["ollama", "lmstudio", "vllm"];

/** A `provider/model` reference, split. */
export interface ModelRef {
  readonly provider: Provider;
  /** The model as the provider names it; it may contain slashes (`anthropic/claude-3.5`). */
  readonly model: string;
  /** `provider/model`. */
  readonly ref: string;
}

/**
 * Splits `provider/model` on the first slash: `openrouter/anthropic/claude-3.5` is the model
 * `anthropic/claude-3.5` of openrouter. Throws RangeError when there is no slash, nothing on one
 * side of it, or the provider is unknown.
 *
 * @example
 * ```ts
 * import { parseModelRef } from "./models.ts";
 * const ref = parseModelRef("openrouter/anthropic/claude-3.5");
 * console.assert(ref.provider === "openrouter" && ref.model === "anthropic/claude-3.5");
 * ```
 */
export function parseModelRef(ref: string): ModelRef {
  const slash = ref.indexOf("/");
  const provider = ref.slice(0, slash);
  const model = ref.slice(slash + 1);
  if (slash <= 0 || model === "" || !(PROVIDERS as readonly string[]).includes(provider)) {
    throw new RangeError(
      `Cannot use model ${JSON.stringify(ref)}: expected provider/model, where provider is one of ${
        PROVIDERS.join(", ")
      }`,
    );
  }
  return { provider: provider as Provider, model, ref };
}

/** The base URL a provider has when `providers.<p>.apiBase` is not set. */
export function defaultBaseUrl(provider: Provider): string {
  return KEYS.byKey.get(`providers.${provider}.apiBase`)!.default as string;
}

/** The environment variables that set a provider's key, canonical first. */
export function keyVariables(provider: Provider): string[] {
  const spec = KEYS.byKey.get(`providers.${provider}.apiKey`)!;
  return spec.envNames.filter((n) => n.kind !== "legacy").map((n) => n.name);
}

/**
 * A model and where to reach it. The key is held privately: it does not show in logs, JSON or
 * inspection, only through {@link ModelEndpoint.apiKey}.
 */
export class ModelEndpoint implements ModelRef {
  readonly provider: Provider;
  readonly model: string;
  readonly ref: string;
  /** Base URL of the provider's OpenAI-compatible API, without a trailing slash. */
  readonly baseUrl: string;
  readonly #apiKey: string | null;

  constructor(ref: ModelRef, baseUrl: string, apiKey: string | null) {
    this.provider = ref.provider;
    this.model = ref.model;
    this.ref = ref.ref;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#apiKey = apiKey;
  }

  /** The API key, or null when the endpoint needs none (local servers, custom base URLs). */
  get apiKey(): string | null {
    return this.#apiKey;
  }
}

/**
 * Resolves a `provider/model` reference against the configuration. A provider needs its key
 * unless it runs locally (ollama, lmstudio, vllm) or its base URL was changed to another
 * OpenAI-compatible server. Throws ProviderNotConfiguredError when the key is missing, naming the
 * key and its environment variables, and RangeError for a malformed reference.
 */
export function resolveModel(config: ProviderConfig, ref: string | ModelRef): ModelEndpoint {
  const parsed = typeof ref === "string" ? parseModelRef(ref) : ref;
  const settings = config.providers[parsed.provider];
  const apiKey = settings.apiKey ?? null;
  const baseUrl = settings.apiBase;
  if (apiKey === null && !keyOptional(parsed.provider, baseUrl)) {
    const reason = needsKey(parsed);
    throw new ProviderNotConfiguredError(
      reason[0]!.toUpperCase() + reason.slice(1),
      parsed.provider,
    );
  }
  return new ModelEndpoint(parsed, baseUrl, apiKey);
}

/** True when a provider at this base URL works without a key. */
export function keyOptional(provider: Provider, baseUrl: string): boolean {
  const trim = (url: string) => url.replace(/\/+$/, "");
  return LOCAL_PROVIDERS.includes(provider) || trim(baseUrl) !== trim(defaultBaseUrl(provider));
}

/** What the chain is built from: the primary model and its fallbacks. */
export interface ChainOptions {
  /** Overrides `model.name` (a per-agent model). */
  readonly model?: string;
  /** Overrides `model.fallbacks`. */
  readonly fallbacks?: readonly string[];
}

/**
 * The models tried in order: the primary (`model.name`) and then `model.fallbacks`, duplicates
 * removed. Throws ProviderNotConfiguredError, with a message saying how to configure one, when a
 * model of the chain cannot be used.
 */
export function resolveChain(config: ProviderConfig, options: ChainOptions = {}): ModelEndpoint[] {
  const primary = options.model ?? config.model.name;
  const fallbacks = options.fallbacks ?? config.model.fallbacks;
  const refs = [...new Set([primary, ...fallbacks])];
  return refs.map((ref, i) => {
    try {
      return resolveModel(config, ref);
    } catch (error) {
      if (!(error instanceof ProviderNotConfiguredError)) throw error;
      const reason = needsKey(parseModelRef(ref));
      throw new ProviderNotConfiguredError(
        i === 0
          ? `No LLM provider is configured: ${reason}. ${configureHint(config)}`
          : `Fallback ${reason}: set it or remove ${ref} from model.fallbacks`,
        error.provider,
      );
    }
  });
}

/**
 * A model of each provider to start with: the hint for a provider that has a key names it, and
 * onboarding offers it when the user names none.
 */
export const SUGGESTED_MODELS: Readonly<Partial<Record<Provider, string>>> = {
  openai: "openai/gpt-4o-mini",
  anthropic: "anthropic/claude-sonnet-4-5",
  openrouter: "openrouter/openai/gpt-4o-mini",
  groq: "groq/llama-3.1-8b-instant",
  deepseek: "deepseek/deepseek-chat",
  gemini: "gemini/gemini-2.0-flash",
  xai: "xai/grok-2-latest",
  ollama: "ollama/llama3.1",
};

/**
 * An embedding model of each provider that serves one through its OpenAI-compatible API: memory
 * uses the chat provider's when `memory.embedding.model` is not set, and the advice for hybrid
 * search names it. A provider missing here (anthropic, groq, deepseek, xai, vllm) serves none.
 */
export const EMBEDDING_MODELS: Readonly<Partial<Record<Provider, string>>> = {
  openai: "openai/text-embedding-3-small",
  openrouter: "openrouter/openai/text-embedding-3-small",
  gemini: "gemini/gemini-embedding-001",
  ollama: "ollama/nomic-embed-text",
  lmstudio: "lmstudio/text-embedding-nomic-embed-text-v1.5",
};

/**
 * The embedding model memory uses: `memory.embedding.model` when it was set (or the configuration
 * does not say where its values came from), else the chat model's provider's
 * ({@link EMBEDDING_MODELS}), else the default.
 */
export function embeddingModel(config: ProviderConfig): string {
  const configured = config.memory.embedding.model;
  if (config.sources?.get("memory.embedding.model")?.kind !== "default") return configured;
  const provider = config.model.name.slice(0, config.model.name.indexOf("/")) as Provider;
  return EMBEDDING_MODELS[provider] ?? configured;
}

/**
 * The hint for a configuration whose model lacks its key: when another provider has one (its
 * `ANTHROPIC_API_KEY`, say), to use that provider's model; else how to set one up. Either ends
 * with onboarding, started by the name in `config.command`.
 */
export function configureHint(config: ProviderConfig): string {
  const onboard = `run ${config.command ?? DEFAULT_COMMAND} onboard`;
  const keyed = PROVIDERS.find((p) => config.providers[p].apiKey && SUGGESTED_MODELS[p]);
  if (keyed === undefined) {
    return "Set KAFCLAW_MODEL=openai/gpt-4o-mini and OPENAI_API_KEY=..., or point " +
      `OPENAI_BASE_URL at any OpenAI-compatible server, or ${onboard}`;
  }
  const vars = keyVariables(keyed).join(" or ");
  return `A key for ${keyed} is set (providers.${keyed}.apiKey, ${vars}): use one of its models, ` +
    `e.g. KAFCLAW_MODEL=${SUGGESTED_MODELS[keyed]}, or ${onboard}`;
}

function needsKey(ref: ModelRef): string {
  const vars = keyVariables(ref.provider).join(" or ");
  return `model ${ref.ref} needs providers.${ref.provider}.apiKey (${vars})`;
}
