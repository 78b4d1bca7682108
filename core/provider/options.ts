/**
 * Options shared by the chat, embedding and speech providers, and their defaults: the time limits
 * and attempts of `model.firstTokenTimeoutMs`, `model.stallTimeoutMs`, `model.timeoutMs` and
 * `model.attempts` unless the caller sets its own.
 *
 * @module
 */
import type { CallSettings, WaitSink } from "./_attempt.ts";
import type { ProviderConfig } from "./models.ts";
import { resolveRetry, type RetryOptions } from "./retry.ts";
import type { UsageSink } from "./types.ts";

/** Options every provider factory takes. */
export interface ProviderOptions {
  /** Retries and backoff of one model; `retries` defaults to `model.attempts` - 1. */
  readonly retry?: RetryOptions;
  /**
   * The longest one attempt may take, from the request to the last token of its answer
   * (default `model.timeoutMs`). An attempt that runs out is retried.
   */
  readonly timeoutMs?: number;
  /**
   * An attempt that has not begun to answer by then (no response; in a stream, no first chunk) is
   * given up and retried (default `model.firstTokenTimeoutMs`).
   */
  readonly firstTokenTimeoutMs?: number;
  /**
   * A streamed answer that stops this long between two chunks is given up: retried when none of
   * it was shown yet (default `model.stallTimeoutMs`).
   */
  readonly stallTimeoutMs?: number;
  /** Told when an attempt waits: at once for a retry, after a few silent seconds for the first. */
  readonly onWait?: WaitSink | undefined;
  /** Called after every successful call with its token usage. */
  readonly onUsage?: UsageSink;
  /** The clock of usage records (default: now). */
  readonly now?: () => Date;
}

/** Every key of the configuration, so that none shows in an error message. */
export function configuredSecrets(config: ProviderConfig): string[] {
  return Object.values(config.providers).flatMap((p) => (p.apiKey ? [p.apiKey] : []));
}

/** Fills in {@link ProviderOptions} from the configuration's `model.*` limits. */
export function callSettings(config: ProviderConfig, options: ProviderOptions): CallSettings {
  const model: Partial<ProviderConfig["model"]> = config.model;
  const timeoutMs = positive("timeoutMs", options.timeoutMs ?? model.timeoutMs ?? 600_000);
  const firstTokenTimeoutMs = positive(
    "firstTokenTimeoutMs",
    options.firstTokenTimeoutMs ?? model.firstTokenTimeoutMs ?? 120_000,
  );
  const stallTimeoutMs = positive(
    "stallTimeoutMs",
    options.stallTimeoutMs ?? model.stallTimeoutMs ?? 60_000,
  );
  const retries = options.retry?.retries ?? (model.attempts ?? 3) - 1;
  return {
    retry: resolveRetry({ ...options.retry, retries }),
    timeoutMs,
    firstTokenTimeoutMs: Math.min(firstTokenTimeoutMs, timeoutMs),
    stallTimeoutMs: Math.min(stallTimeoutMs, timeoutMs),
    secrets: configuredSecrets(config),
    ...(options.onWait ? { onWait: options.onWait } : {}),
  };
}

function positive(name: string, ms: number): number {
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new RangeError(`Cannot use ${name} ${ms}: expected a positive integer`);
  }
  return ms;
}
