/**
 * What the policy's limits on LLM use stand at now, for the owner to see (the dashboard's
 * overview, `GET /api/v1/policy/budgets`): each daily or monthly limit that is set (0 is
 * unlimited, and left out), what is used of it since it last reset, and when it resets. The counts
 * are those the checks use ({@link TokenQuota}, {@link Budget}): tokens and recorded cost since
 * midnight UTC, or since the first of the month; for the per-sender quota, the sender who used the
 * most today.
 *
 * @module
 */
import { nextUtcDay, nextUtcMonth, startOfUtcDay, startOfUtcMonth } from "./limits.ts";
import type { PolicySettings } from "./settings.ts";

/** One limit that is set, and what is used of it. */
export interface BudgetUse {
  readonly name: "daily_tokens" | "daily_tokens_per_sender" | "daily_usd" | "monthly_usd";
  readonly unit: "tokens" | "usd";
  readonly period: "day" | "month";
  /** Used since the limit last reset. */
  readonly used: number;
  readonly limit: number;
  /** When it resets (midnight UTC). */
  readonly resetsAt: Date;
  /** The per-sender quota's sender who used the most today (`channel:sender`), if any did. */
  readonly sender?: string;
}

/** How the usage is read (core/timeline's `usage`). */
export interface UsageRead {
  /** Tokens of every call at or after `start`. */
  tokensSince(start: Date): number;
  /** Recorded cost in USD of every call at or after `start`. */
  costSince(start: Date): number;
  /** The sender who used the most tokens at or after `start`, if any. */
  topSenderSince(start: Date): { readonly sender: string; readonly tokens: number } | undefined;
}

/** The settings read. */
export type BudgetUseSettings = Pick<
  PolicySettings,
  "dailyTokenLimit" | "dailyTokenLimitPerSender" | "dailyBudgetUsd" | "monthlyBudgetUsd"
>;

/**
 * The limits `settings` sets, in a fixed order, each with what `usage` says is used at `now`;
 * empty when none is set.
 *
 * @example
 * ```ts
 * import { budgetUse } from "./budget_use.ts";
 * const usage = { tokensSince: () => 1200, costSince: () => 0.5, topSenderSince: () => undefined };
 * const settings = { dailyTokenLimit: 10_000, dailyTokenLimitPerSender: 0, dailyBudgetUsd: 0, monthlyBudgetUsd: 0 };
 * budgetUse(settings, usage, new Date("2026-07-01T20:48:00Z"))[0]?.used; // 1200
 * ```
 */
export function budgetUse(
  settings: BudgetUseSettings,
  usage: UsageRead,
  now: Date,
): BudgetUse[] {
  const today = startOfUtcDay(now);
  const day = { period: "day" as const, resetsAt: nextUtcDay(now) };
  const uses: BudgetUse[] = [];
  if (settings.dailyTokenLimit > 0) {
    uses.push({
      name: "daily_tokens",
      unit: "tokens",
      ...day,
      used: usage.tokensSince(today),
      limit: settings.dailyTokenLimit,
    });
  }
  if (settings.dailyTokenLimitPerSender > 0) {
    const top = usage.topSenderSince(today);
    uses.push({
      name: "daily_tokens_per_sender",
      unit: "tokens",
      ...day,
      used: top?.tokens ?? 0,
      limit: settings.dailyTokenLimitPerSender,
      ...(top === undefined ? {} : { sender: top.sender }),
    });
  }
  if (settings.dailyBudgetUsd > 0) {
    uses.push({
      name: "daily_usd",
      unit: "usd",
      ...day,
      used: usage.costSince(today),
      limit: settings.dailyBudgetUsd,
    });
  }
  if (settings.monthlyBudgetUsd > 0) {
    uses.push({
      name: "monthly_usd",
      unit: "usd",
      period: "month",
      resetsAt: nextUtcMonth(now),
      used: usage.costSince(startOfUtcMonth(now)),
      limit: settings.monthlyBudgetUsd,
    });
  }
  return uses;
}
