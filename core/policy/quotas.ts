/**
 * Daily token quotas, per agent and per sender. The day starts at UTC midnight. The pure check
 * ({@link checkTokenQuota}) takes the numbers; {@link TokenQuota} reads them through a
 * {@link UsageSince} port (the timeline's task table in production).
 *
 * @module
 */
import { formatDuration, type LimitResult, nextUtcDay, OK, startOfUtcDay } from "./limits.ts";
import type { PolicySettings } from "./settings.ts";

/** Tokens used since `start`, by the whole agent or by one sender (`channel:sender`). */
export type UsageSince = (
  start: Date,
  filter: { readonly sender?: string },
) => number | Promise<number>;

/** Tokens used today. */
export interface TokenUsage {
  readonly agent: number;
  /** Absent when the request has no sender to count (a scheduler job). */
  readonly sender?: number;
}

/** The settings the token quota reads. */
export type QuotaSettings = Pick<PolicySettings, "dailyTokenLimit" | "dailyTokenLimitPerSender">;

function over(used: number | undefined, limit: number): boolean {
  return limit > 0 && used !== undefined && !(used < limit);
}

/**
 * Whether one more request fits today's token limits; 0 means unlimited.
 *
 * @example
 * ```ts
 * import { checkTokenQuota } from "./quotas.ts";
 * const r = checkTokenQuota({ agent: 100_000 }, { dailyTokenLimit: 100_000, dailyTokenLimitPerSender: 0 }, {
 *   now: new Date("2026-07-01T20:48:00Z"),
 * });
 * r.ok || r.message; // "This agent has used today's 100000 tokens; the limit resets at 00:00 UTC (in 3 h 12 min)"
 * ```
 */
export function checkTokenQuota(
  usage: TokenUsage,
  settings: QuotaSettings,
  options: { readonly now: Date },
): LimitResult {
  const retryAfterMs = nextUtcDay(options.now).getTime() - options.now.getTime();
  const resets = `the limit resets at 00:00 UTC (in ${formatDuration(retryAfterMs)})`;
  if (over(usage.sender, settings.dailyTokenLimitPerSender)) {
    return {
      ok: false,
      code: "daily_tokens_sender",
      message: `You have used today's ${settings.dailyTokenLimitPerSender} tokens; ${resets}`,
      retryAfterMs,
    };
  }
  if (over(usage.agent, settings.dailyTokenLimit)) {
    return {
      ok: false,
      code: "daily_tokens",
      message: `This agent has used today's ${settings.dailyTokenLimit} tokens; ${resets}`,
      retryAfterMs,
    };
  }
  return OK;
}

/** Token quotas read through a {@link UsageSince} port. */
export class TokenQuota {
  readonly #usageSince: UsageSince;
  readonly #settings: QuotaSettings;
  readonly #now: () => Date;

  constructor(
    usageSince: UsageSince,
    settings: QuotaSettings,
    options: { readonly now?: () => Date } = {},
  ) {
    this.#usageSince = usageSince;
    this.#settings = settings;
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether a request from `sender` (`channel:sender`; absent for jobs) may run now. */
  async check(sender?: string): Promise<LimitResult> {
    const { dailyTokenLimit, dailyTokenLimitPerSender } = this.#settings;
    const now = this.#now();
    const start = startOfUtcDay(now);
    const usage: { agent: number; sender?: number } = {
      agent: dailyTokenLimit > 0 ? await this.#usageSince(start, {}) : 0,
    };
    if (sender !== undefined && dailyTokenLimitPerSender > 0) {
      usage.sender = await this.#usageSince(start, { sender });
    }
    return checkTokenQuota(usage, this.#settings, { now });
  }
}
