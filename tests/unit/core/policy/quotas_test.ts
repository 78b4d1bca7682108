import assert from "node:assert/strict";
import { checkTokenQuota, TokenQuota } from "../../../../core/policy/mod.ts";

const now = new Date("2026-07-01T20:48:00Z");
const limits = { dailyTokenLimit: 100_000, dailyTokenLimitPerSender: 10_000 };

Deno.test("a request under both daily limits goes ahead", () => {
  assert.deepEqual(checkTokenQuota({ agent: 99_999, sender: 9_999 }, limits, { now }), {
    ok: true,
  });
  assert.deepEqual(checkTokenQuota({ agent: 99_999 }, limits, { now }), { ok: true });
});

Deno.test("the agent's daily limit answers with a sentence and the time to midnight UTC", () => {
  assert.deepEqual(checkTokenQuota({ agent: 100_000, sender: 0 }, limits, { now }), {
    ok: false,
    code: "daily_tokens",
    message:
      "This agent has used today's 100000 tokens; the limit resets at 00:00 UTC (in 3 h 12 min)",
    retryAfterMs: (3 * 60 + 12) * 60_000,
  });
});

Deno.test("a sender's daily limit speaks to the sender and wins over the agent's", () => {
  const result = checkTokenQuota({ agent: 200_000, sender: 10_001 }, limits, { now });
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.code, "daily_tokens_sender");
  assert.equal(
    !result.ok && result.message,
    "You have used today's 10000 tokens; the limit resets at 00:00 UTC (in 3 h 12 min)",
  );
});

Deno.test("a limit of 0 is unlimited", () => {
  const none = { dailyTokenLimit: 0, dailyTokenLimitPerSender: 0 };
  assert.deepEqual(checkTokenQuota({ agent: 1e12, sender: 1e12 }, none, { now }), { ok: true });
});

Deno.test("TokenQuota reads today's usage since UTC midnight through its port", async () => {
  const calls: Array<[string, string | undefined]> = [];
  const usage = (start: Date, filter: { sender?: string }) => {
    calls.push([start.toISOString(), filter.sender]);
    return Promise.resolve(filter.sender ? 10_000 : 500);
  };
  const quota = new TokenQuota(usage, limits, { now: () => now });
  const result = await quota.check("telegram:42");
  assert.equal(!result.ok && result.code, "daily_tokens_sender");
  assert.deepEqual(calls, [
    ["2026-07-01T00:00:00.000Z", undefined],
    ["2026-07-01T00:00:00.000Z", "telegram:42"],
  ]);
  assert.deepEqual(await quota.check(), { ok: true }, "a job has no sender to count");
});

Deno.test("TokenQuota does not ask the port about limits that are off", async () => {
  let asked = 0;
  const quota = new TokenQuota(() => ++asked, { dailyTokenLimit: 0, dailyTokenLimitPerSender: 0 });
  assert.deepEqual(await quota.check("slack:U1"), { ok: true });
  assert.equal(asked, 0);
  const real = new TokenQuota(() => 5, { dailyTokenLimit: 5, dailyTokenLimitPerSender: 0 });
  const result = await real.check("slack:U1");
  assert.equal(!result.ok && result.code, "daily_tokens");
});
