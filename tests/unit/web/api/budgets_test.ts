/**
 * `GET /api/v1/policy/budgets`: the limits on LLM use config sets, with what a turn through the
 * API used of each (as the policy's checks count it), and nothing when no limit is set.
 */
import assert from "node:assert/strict";
import { apiOf } from "../../../_support/api.ts";

Deno.test("the budgets set answer with what a turn used of each, and when they reset", async () => {
  await using api = await apiOf({
    KAFCLAW_POLICY_DAILY_TOKEN_LIMIT: "10000",
    KAFCLAW_POLICY_DAILY_TOKEN_LIMIT_PER_SENDER: "5000",
    KAFCLAW_POLICY_DAILY_BUDGET_USD: "5",
    KAFCLAW_POLICY_MONTHLY_BUDGET_USD: "50",
    KAFCLAW_POLICY_PRICES: JSON.stringify({
      "openai/*": { promptPer1k: 1, completionPer1k: 2 },
    }),
  }, { answer: { text: "hello", usage: { promptTokens: 300, completionTokens: 100 } } });
  const before = await api.json("/api/v1/policy/budgets");
  assert.deepEqual(before.items.map((b: { used: number }) => b.used), [0, 0, 0, 0]);
  await api.json("/api/v1/chat", { body: { message: "hi" } });
  const { items } = await api.json("/api/v1/policy/budgets");
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  const day = { unit: "tokens", period: "day", resets_at: midnight.toISOString() };
  assert.deepEqual(items.slice(0, 2).map(({ sender: _, ...b }: { sender?: string }) => b), [
    { name: "daily_tokens", ...day, used: 400, limit: 10000 },
    { name: "daily_tokens_per_sender", ...day, used: 400, limit: 5000 },
  ]);
  assert.match(items[1].sender, /^api:/);
  // 300 tokens at $1 and 100 at $2 per 1000: $0.50, today and this month.
  assert.deepEqual(
    items.slice(2).map((b: { name: string; used: number; limit: number }) => [
      b.name,
      b.used,
      b.limit,
    ]),
    [["daily_usd", 0.5, 5], ["monthly_usd", 0.5, 50]],
  );
  assert.equal(items[3].period, "month");
});

Deno.test("no limit set: the budgets are an empty list", async () => {
  await using api = await apiOf();
  assert.deepEqual(await api.json("/api/v1/policy/budgets"), { items: [] });
});
