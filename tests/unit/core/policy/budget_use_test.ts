import assert from "node:assert/strict";
import { budgetUse, type UsageRead } from "../../../../core/policy/mod.ts";

const NOW = new Date("2026-07-14T20:48:00Z");
const NONE = {
  dailyTokenLimit: 0,
  dailyTokenLimitPerSender: 0,
  dailyBudgetUsd: 0,
  monthlyBudgetUsd: 0,
};

/** Usage that answers by the start asked for: today's counts, or this month's. */
function usageOf(top?: { sender: string; tokens: number }): UsageRead & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    tokensSince: (start) => {
      asked.push(`tokens ${start.toISOString()}`);
      return 1200;
    },
    costSince: (start) => {
      asked.push(`cost ${start.toISOString()}`);
      return start.getUTCDate() === 1 ? 31.5 : 2.25;
    },
    topSenderSince: (start) => {
      asked.push(`top ${start.toISOString()}`);
      return top;
    },
  };
}

Deno.test("no limit set: nothing to show, and the usage is not read", () => {
  const usage = usageOf();
  assert.deepEqual(budgetUse(NONE, usage, NOW), []);
  assert.deepEqual(usage.asked, []);
});

Deno.test("each limit set, with what is used since it last reset and when it resets", () => {
  const usage = usageOf({ sender: "telegram:42", tokens: 800 });
  const day = { period: "day", resetsAt: new Date("2026-07-15T00:00:00Z") };
  assert.deepEqual(
    budgetUse(
      {
        dailyTokenLimit: 10_000,
        dailyTokenLimitPerSender: 1000,
        dailyBudgetUsd: 5,
        monthlyBudgetUsd: 50,
      },
      usage,
      NOW,
    ),
    [
      { name: "daily_tokens", unit: "tokens", ...day, used: 1200, limit: 10_000 },
      {
        name: "daily_tokens_per_sender",
        unit: "tokens",
        ...day,
        used: 800,
        limit: 1000,
        sender: "telegram:42",
      },
      { name: "daily_usd", unit: "usd", ...day, used: 2.25, limit: 5 },
      {
        name: "monthly_usd",
        unit: "usd",
        period: "month",
        resetsAt: new Date("2026-08-01T00:00:00Z"),
        used: 31.5,
        limit: 50,
      },
    ],
  );
  assert.deepEqual(usage.asked, [
    "tokens 2026-07-14T00:00:00.000Z",
    "top 2026-07-14T00:00:00.000Z",
    "cost 2026-07-14T00:00:00.000Z",
    "cost 2026-07-01T00:00:00.000Z",
  ]);
});

Deno.test("the per-sender quota with no sender today: none used, nobody named", () => {
  const [use] = budgetUse({ ...NONE, dailyTokenLimitPerSender: 500 }, usageOf(), NOW);
  assert.deepEqual(use, {
    name: "daily_tokens_per_sender",
    unit: "tokens",
    period: "day",
    resetsAt: new Date("2026-07-15T00:00:00Z"),
    used: 0,
    limit: 500,
  });
});
