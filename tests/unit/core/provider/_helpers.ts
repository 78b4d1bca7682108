/** Test helpers for the provider layer: configurations pointed at the fake, instant retries. */
import { resolveConfig, type ResolvedConfig } from "../../../../core/config/mod.ts";
import type { RetryOptions } from "../../../../core/provider/mod.ts";

/** A key that must never show in an error message. */
export const SECRET_KEY = "sk-test-TOP-SECRET-0123456789abcdef";

/** A configuration from environment variables only (no file, no process environment). */
export function configFrom(env: Record<string, string>): ResolvedConfig {
  return resolveConfig({ home: "/tmp/kafclaw-provider-tests", env });
}

/** A configuration whose openai provider is the fake at `url`, with model `openai/<model>`. */
export function fakeConfig(
  url: string,
  options: { model?: string; fallbacks?: string; env?: Record<string, string> } = {},
): ResolvedConfig {
  return configFrom({
    KAFCLAW_MODEL: `openai/${options.model ?? "gpt-a"}`,
    OPENAI_BASE_URL: url,
    OPENAI_API_KEY: SECRET_KEY,
    ...(options.fallbacks ? { KAFCLAW_MODEL_FALLBACKS: options.fallbacks } : {}),
    ...options.env,
  });
}

/** Retry options that never really wait, and the delays they were asked to wait. */
export function instantRetry(
  overrides: RetryOptions = {},
): { retry: RetryOptions; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    retry: {
      retries: 2,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0.5,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      ...overrides,
    },
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
