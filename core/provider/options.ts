/**
 * Options shared by the chat, embedding and speech providers, and their defaults.
 *
 * @module
 */
import type { CallSettings } from "./_attempt.ts";
import type { ProviderConfig } from "./models.ts";
import { resolveRetry, type RetryOptions } from "./retry.ts";
import type { UsageSink } from "./types.ts";

/** Options every provider factory takes. */
export interface ProviderOptions {
  /** Retries and backoff of one model. */
  readonly retry?: RetryOptions;
  /**
   * An attempt that makes no progress for this long (no response; in a stream, no chunk) is
   * aborted and counts as a retriable failure (default 300 s: reasoning models think silently).
   */
  readonly timeoutMs?: number;
  /** Called after every successful call with its token usage. */
  readonly onUsage?: UsageSink;
  /** The clock of usage records (default: now). */
  readonly now?: () => Date;
}

/** Every key of the configuration, so that none shows in an error message. */
export function configuredSecrets(config: ProviderConfig): string[] {
  return Object.values(config.providers).flatMap((p) => (p.apiKey ? [p.apiKey] : []));
}

/** Fills in {@link ProviderOptions}. */
export function callSettings(config: ProviderConfig, options: ProviderOptions): CallSettings {
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`Cannot use timeoutMs ${timeoutMs}: expected a positive integer`);
  }
  return { retry: resolveRetry(options.retry), timeoutMs, secrets: configuredSecrets(config) };
}
