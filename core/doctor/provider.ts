/**
 * `doctor`'s checks of the models: that the default agent's chain is configured, then one call of
 * one output token to each of its models (no retry, a bounded wait), so a closed port, a host
 * that does not resolve, a refused key and an unknown model are each a failed check with its
 * fix; and the embedding model, when memory embeds, asked for one vector whose size is said
 * (memory records the size of its first answer). Failures are told from the provider client's own
 * errors.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { agentProfile } from "../agent/mod.ts";
import {
  createChatProvider,
  type ModelEndpoint,
  ProviderError,
  ProviderNotConfiguredError,
} from "../provider/mod.ts";
import { memoryEmbedder } from "../memory/mod.ts";
import type { CheckResult } from "./mod.ts";

/** How long one probe may wait for its answer. */
export const PROBE_TIMEOUT_MS = 15_000;

const onboard = (config: ResolvedConfig) => `run ${config.command} onboard`;

/** The default agent's models, in the order they are tried. */
export function modelChain(config: ResolvedConfig): readonly ModelEndpoint[] {
  const profile = agentProfile(config);
  return createChatProvider(config, { model: profile.model, fallbacks: profile.fallbacks }).chain;
}

/** Whether the chain is configured (every model has its key). */
export function providerCheck(config: ResolvedConfig): CheckResult {
  try {
    const id = agentProfile(config).id;
    const chain = modelChain(config).map((e) => e.ref).join(", then ");
    return {
      check: "provider",
      status: "ok",
      detail: id === undefined ? `models: ${chain}` : `agent ${id}: models: ${chain}`,
    };
  } catch (error) {
    if (!(error instanceof ProviderNotConfiguredError)) throw error;
    return { check: "provider", status: "fail", detail: error.message, hint: onboard(config) };
  }
}

/** A failed call as a check: what came back from where, and what to do about it. */
function failed(
  config: ResolvedConfig,
  check: string,
  error: ProviderError,
  fix: string,
): CheckResult {
  const last = error.failures[error.failures.length - 1]!;
  const detail = error.kind === "auth"
    ? error.message
    : `${last.provider}/${last.model} at ${last.url}: ${last.detail}`;
  const hint = error.kind === "auth" ? onboard(config) : last.hint ?? fix;
  return { check, status: "fail", detail, hint };
}

const probeOptions = (timeoutMs: number) => ({
  retry: { retries: 0 },
  timeoutMs,
  firstTokenTimeoutMs: timeoutMs,
});

/** One one-token call to each model of the chain; none when the chain is not configured. */
export async function modelChecks(
  config: ResolvedConfig,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<CheckResult[]> {
  let chain: readonly ModelEndpoint[];
  try {
    chain = modelChain(config);
  } catch {
    return []; // The provider check says why.
  }
  const provider = createChatProvider(config, probeOptions(timeoutMs));
  const out: CheckResult[] = [];
  for (const [i, endpoint] of chain.entries()) {
    const started = performance.now();
    try {
      await provider.chat({
        messages: [{ role: "user", content: "Reply with the word OK." }],
        maxTokens: 1,
        model: endpoint.ref,
        exclusive: true,
      });
      const ms = Math.round(performance.now() - started);
      out.push({ check: "model", status: "ok", detail: `${endpoint.ref} answered in ${ms} ms` });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const result = failed(config, "model", error, "check model.name and the provider's URL");
      // A fallback that fails only matters once the model before it fails.
      out.push(i === 0 ? result : { ...result, status: "warn" });
    }
  }
  return out;
}

/**
 * The memory's search mode, in the words of `memory status` (memoryEmbedder), and the size of the
 * embedding model's vectors.
 */
export async function memoryCheck(
  config: ResolvedConfig,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<CheckResult> {
  const { embedder, embedderReason, advice } = memoryEmbedder(config, probeOptions(timeoutMs));
  if (embedder === undefined) {
    return {
      check: "memory",
      status: config.memory.embedding.enabled ? "warn" : "ok",
      detail: `keyword only: ${embedderReason}`,
      ...(advice === undefined ? {} : { hint: advice }),
    };
  }
  const model = embedder.model;
  let size: number;
  try {
    size = (await embedder.embed(["kafclaw doctor"]))[0]?.length ?? 0;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return failed(config, "memory", error, "check memory.embedding.model and the provider's URL");
  }
  return {
    check: "memory",
    status: "ok",
    detail: `hybrid: ${model} gives vectors of ${size} numbers, the size memory records at its ` +
      `first answer (sqlite-vec loads when the agent starts: ${config.command} memory status)`,
  };
}
