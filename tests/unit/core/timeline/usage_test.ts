import assert from "node:assert/strict";
import { startOfUtcDay } from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

Deno.test("startOfUtcDay is midnight UTC of the instant's UTC day", () => {
  assert.deepEqual(
    startOfUtcDay(new Date("2026-11-25T23:59:59.999Z")),
    new Date("2026-11-25T00:00:00.000Z"),
  );
  assert.deepEqual(
    startOfUtcDay(new Date("2026-11-25T20:00:00-05:00")),
    new Date("2026-11-26T00:00:00.000Z"),
  );
});

Deno.test("tokens and cost since midnight UTC, for all, one agent or one sender", async () => {
  await using t = await tempTimeline();
  const usage = t.timeline.usage;
  const at = (iso: string) => new Date(iso);
  usage.record({
    promptTokens: 1000,
    completionTokens: 1000,
    costUsd: 1,
    at: at("2026-11-24T23:59:59.999Z"),
    sender: "alice",
  });
  usage.record({
    promptTokens: 100,
    completionTokens: 20,
    costUsd: 0.25,
    at: at("2026-11-25T00:00:00.000Z"),
    agent: "main",
    sender: "alice",
    channel: "telegram",
    provider: "openai",
    model: "gpt",
    traceId: "t1",
    taskId: "task-1",
  });
  usage.record({ promptTokens: 5, completionTokens: 5, agent: "main", sender: "bob" });
  usage.record({ promptTokens: 1, completionTokens: 2, costUsd: 0.5, agent: "sub", sender: "bob" });
  const midnight = startOfUtcDay(t.clock.now());
  assert.equal(usage.tokensSince(midnight), 133);
  assert.equal(usage.tokensSince(midnight, { sender: "alice" }), 120);
  assert.equal(usage.tokensSince(midnight, { agent: "main" }), 130);
  assert.equal(usage.tokensSince(midnight, { agent: "main", sender: "bob" }), 10);
  assert.equal(usage.tokensSince(midnight, { sender: "carol" }), 0);
  assert.equal(usage.tokensSince(new Date(0)), 2133);
  assert.equal(usage.costSince(midnight), 0.75);
  assert.equal(usage.costSince(midnight, { agent: "sub" }), 0.5);
  assert.equal(usage.costSince(midnight, { sender: "carol" }), 0);
  usage.record({ promptTokens: 0, completionTokens: 0 });
  assert.equal(usage.tokensSince(midnight), 133);
  // alice's 2000 of yesterday do not count: today she used 120, bob 13.
  assert.deepEqual(usage.topSenderSince(midnight), { sender: "alice", tokens: 120 });
  assert.deepEqual(usage.topSenderSince(new Date(0)), { sender: "alice", tokens: 2120 });
  t.clock.advance(24 * 3600_000);
  assert.equal(usage.tokensSince(startOfUtcDay(t.clock.now())), 0);
  // A call without a sender (a scheduled job) is nobody's.
  usage.record({ promptTokens: 50, completionTokens: 50 });
  assert.equal(usage.topSenderSince(startOfUtcDay(t.clock.now())), undefined);
});

Deno.test("usage refuses token counts that are negative or not whole", async () => {
  await using t = await tempTimeline();
  assert.throws(
    () => t.timeline.usage.record({ promptTokens: -1, completionTokens: 0 }),
    {
      name: "RangeError",
      message: "The prompt token count must be a whole number of at least 0, got -1",
    },
  );
  assert.throws(
    () => t.timeline.usage.record({ promptTokens: 1, completionTokens: 0.5 }),
    /completion token count .* got 0\.5/,
  );
  assert.equal(t.timeline.usage.tokensSince(new Date(0)), 0);
});
