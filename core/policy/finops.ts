/**
 * FinOps: what an LLM call costs, from a price table, and daily and monthly budgets that stop
 * spending (checked before each call) instead of only logging. Days and months are UTC.
 *
 * @module
 */
import {
  formatDuration,
  formatUsd,
  formatUtcDate,
  type LimitResult,
  nextUtcDay,
  nextUtcMonth,
  OK,
  startOfUtcDay,
  startOfUtcMonth,
} from "./limits.ts";
import type { PolicySettings, Price, PriceTable } from "./settings.ts";

/** One call's tokens and model (`provider/model`, e.g. `openrouter/anthropic/claude-3.5-sonnet`). */
export interface CallUsage {
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** A call's cost; `priced` is false when the table has no price for the model (cost 0). */
export interface Cost {
  readonly usd: number;
  readonly priced: boolean;
}

function priceOf(model: string, prices: PriceTable): Price | undefined {
  if (Object.hasOwn(prices, model)) return prices[model];
  const slash = model.indexOf("/");
  const wildcard = `${slash < 0 ? model : model.slice(0, slash)}/*`;
  return Object.hasOwn(prices, wildcard) ? prices[wildcard] : undefined;
}

/** A count or rate that is not a finite positive number counts as 0. */
function positive(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * The cost of one call: the exact `provider/model` price, else the provider's `provider/*`.
 *
 * @example
 * ```ts
 * import { costOf } from "./finops.ts";
 * const prices = { "openai/gpt-4o": { promptPer1k: 0.0025, completionPer1k: 0.01 } };
 * costOf({ model: "openai/gpt-4o", promptTokens: 2000, completionTokens: 500 }, prices); // { usd: 0.01, priced: true }
 * ```
 */
export function costOf(call: CallUsage, prices: PriceTable): Cost {
  const price = priceOf(call.model, prices);
  if (price === undefined) return { usd: 0, priced: false };
  const usd = (positive(call.promptTokens) * positive(price.promptPer1k) +
    positive(call.completionTokens) * positive(price.completionPer1k)) / 1000;
  return { usd, priced: true };
}

/** US dollars spent today and this month (UTC). */
export interface Spend {
  readonly today: number;
  readonly month: number;
}

/** The settings budgets read. */
export type BudgetSettings = Pick<PolicySettings, "dailyBudgetUsd" | "monthlyBudgetUsd">;

/**
 * Whether another call may spend; a budget of 0 is unlimited.
 *
 * @example
 * ```ts
 * import { checkBudget } from "./finops.ts";
 * const r = checkBudget({ today: 5.2, month: 40 }, { dailyBudgetUsd: 5, monthlyBudgetUsd: 0 }, {
 *   now: new Date("2026-07-01T20:48:00Z"),
 * });
 * r.ok || r.message; // "Today's LLM budget of $5.00 is spent ($5.20); it resets at 00:00 UTC (in 3 h 12 min)"
 * ```
 */
export function checkBudget(
  spend: Spend,
  settings: BudgetSettings,
  options: { readonly now: Date },
): LimitResult {
  const { now } = options;
  if (settings.monthlyBudgetUsd > 0 && !(spend.month < settings.monthlyBudgetUsd)) {
    const next = nextUtcMonth(now);
    const retryAfterMs = next.getTime() - now.getTime();
    return {
      ok: false,
      code: "monthly_budget",
      message: `This month's LLM budget of ${formatUsd(settings.monthlyBudgetUsd)} is spent ` +
        `(${formatUsd(spend.month)}); it resets on ${formatUtcDate(next)} at 00:00 UTC ` +
        `(in ${formatDuration(retryAfterMs)})`,
      retryAfterMs,
    };
  }
  if (settings.dailyBudgetUsd > 0 && !(spend.today < settings.dailyBudgetUsd)) {
    const retryAfterMs = nextUtcDay(now).getTime() - now.getTime();
    return {
      ok: false,
      code: "daily_budget",
      message: `Today's LLM budget of ${formatUsd(settings.dailyBudgetUsd)} is spent ` +
        `(${formatUsd(spend.today)}); it resets at 00:00 UTC (in ${formatDuration(retryAfterMs)})`,
      retryAfterMs,
    };
  }
  return OK;
}

/** US dollars the agent spent since `start` (the sum of recorded call costs). */
export type SpendSince = (start: Date) => number | Promise<number>;

/** Budgets read through a {@link SpendSince} port. */
export class Budget {
  readonly #spendSince: SpendSince;
  readonly #settings: BudgetSettings;
  readonly #now: () => Date;

  constructor(
    spendSince: SpendSince,
    settings: BudgetSettings,
    options: { readonly now?: () => Date } = {},
  ) {
    this.#spendSince = spendSince;
    this.#settings = settings;
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether the next LLM call may run; ask before every call. */
  async check(): Promise<LimitResult> {
    const now = this.#now();
    const spend = {
      today: this.#settings.dailyBudgetUsd > 0 ? await this.#spendSince(startOfUtcDay(now)) : 0,
      month: this.#settings.monthlyBudgetUsd > 0 ? await this.#spendSince(startOfUtcMonth(now)) : 0,
    };
    return checkBudget(spend, this.#settings, { now });
  }
}
