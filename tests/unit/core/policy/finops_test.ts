import assert from "node:assert/strict";
import { Budget, checkBudget, costOf } from "../../../../core/policy/mod.ts";

const prices = {
  "openai/gpt-4o": { promptPer1k: 0.0025, completionPer1k: 0.01 },
  "ollama/*": { promptPer1k: 0, completionPer1k: 0 },
  "bad/model": { promptPer1k: -1, completionPer1k: NaN },
};

Deno.test("a call costs its tokens at the model's price per 1000", () => {
  const cost = costOf(
    { model: "openai/gpt-4o", promptTokens: 2000, completionTokens: 500 },
    prices,
  );
  assert.equal(cost.priced, true);
  assert.ok(Math.abs(cost.usd - 0.01) < 1e-12);
});

Deno.test("a provider/* price covers every model of the provider", () => {
  assert.deepEqual(
    costOf({ model: "ollama/llama3:8b", promptTokens: 1e6, completionTokens: 1e6 }, prices),
    { usd: 0, priced: true },
  );
});

Deno.test("an unknown model costs 0 and is flagged unpriced", () => {
  assert.deepEqual(
    costOf({ model: "openai/gpt-5", promptTokens: 10, completionTokens: 1 }, prices),
    {
      usd: 0,
      priced: false,
    },
  );
  assert.deepEqual(costOf({ model: "noslash", promptTokens: 10, completionTokens: 1 }, prices), {
    usd: 0,
    priced: false,
  });
  assert.deepEqual(costOf({ model: "toString", promptTokens: 1, completionTokens: 1 }, prices), {
    usd: 0,
    priced: false,
  });
});

Deno.test("negative or non-numeric tokens and prices count as 0", () => {
  assert.deepEqual(
    costOf({ model: "bad/model", promptTokens: 100, completionTokens: 100 }, prices),
    {
      usd: 0,
      priced: true,
    },
  );
  assert.deepEqual(
    costOf({ model: "openai/gpt-4o", promptTokens: -5, completionTokens: Infinity }, prices),
    { usd: 0, priced: true },
  );
});

const now = new Date("2026-07-19T20:48:00Z");

Deno.test("under budget, the call goes ahead; a budget of 0 is unlimited", () => {
  const budgets = { dailyBudgetUsd: 5, monthlyBudgetUsd: 100 };
  assert.deepEqual(checkBudget({ today: 4.99, month: 99.99 }, budgets, { now }), { ok: true });
  const none = { dailyBudgetUsd: 0, monthlyBudgetUsd: 0 };
  assert.deepEqual(checkBudget({ today: 1e9, month: 1e9 }, none, { now }), { ok: true });
});

Deno.test("a spent daily budget stops the call with a sentence, not a log line", () => {
  assert.deepEqual(
    checkBudget({ today: 5.2, month: 40 }, { dailyBudgetUsd: 5, monthlyBudgetUsd: 100 }, { now }),
    {
      ok: false,
      code: "daily_budget",
      message:
        "Today's LLM budget of $5.00 is spent ($5.20); it resets at 00:00 UTC (in 3 h 12 min)",
      retryAfterMs: (3 * 60 + 12) * 60_000,
    },
  );
});

Deno.test("a spent monthly budget stops the call until the first of next month", () => {
  const result = checkBudget(
    { today: 5, month: 100 },
    { dailyBudgetUsd: 5, monthlyBudgetUsd: 100 },
    {
      now,
    },
  );
  assert.deepEqual(result, {
    ok: false,
    code: "monthly_budget",
    message: "This month's LLM budget of $100.00 is spent ($100.00); it resets on 2026-08-01 at " +
      "00:00 UTC (in 12 d 3 h)",
    retryAfterMs: Date.parse("2026-08-01T00:00:00Z") - now.getTime(),
  });
});

Deno.test("Budget reads today's and this month's spend through its port", async () => {
  const starts: string[] = [];
  const spend = (start: Date) => {
    starts.push(start.toISOString());
    return start.getUTCDate() === 1 ? 80 : 2;
  };
  const budget = new Budget(spend, { dailyBudgetUsd: 2, monthlyBudgetUsd: 100 }, {
    now: () => now,
  });
  const result = await budget.check();
  assert.equal(!result.ok && result.code, "daily_budget");
  assert.deepEqual(starts, ["2026-07-19T00:00:00.000Z", "2026-07-01T00:00:00.000Z"]);
  let asked = 0;
  const off = new Budget(() => ++asked, { dailyBudgetUsd: 0, monthlyBudgetUsd: 0 });
  assert.deepEqual(await off.check(), { ok: true });
  assert.equal(asked, 0);
});
