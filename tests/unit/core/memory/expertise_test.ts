import assert from "node:assert/strict";
import { expertiseScore, skillOfTool, trendOf } from "../../../../core/memory/mod.ts";
import { tempMemory } from "./_helpers.ts";

Deno.test("the score is 0.6 success rate + 0.3 quality + 0.1 experience, as in Go", () => {
  assert.equal(expertiseScore({ successCount: 0, failureCount: 0, avgQuality: 0 }), 0);
  assert.equal(
    expertiseScore({ successCount: 3, failureCount: 1, avgQuality: 0.5 }),
    0.6 * 0.75 + 0.15 + 0.004,
  );
  assert.equal(
    expertiseScore({ successCount: 150, failureCount: 50, avgQuality: 1 }),
    0.45 + 0.3 + 0.1,
  );
});

Deno.test("the trend compares the last 10 qualities with the 10 before", () => {
  const run = (recent: number, before: number) => [
    ...Array(10).fill(recent),
    ...Array(10).fill(before),
  ];
  assert.equal(trendOf(run(0.9, 0.5)), "improving");
  assert.equal(trendOf(run(0.5, 0.9)), "declining");
  assert.equal(trendOf(run(0.6, 0.5)), "stable");
  assert.equal(trendOf(run(0.5, 0.6)), "stable");
  assert.equal(trendOf(Array(19).fill(1)), "stable");
});

Deno.test("skill events add up to a record with counts, quality, duration and score", async () => {
  await using t = await tempMemory();
  const m = t.memory;
  m.recordSkillEvent({ skill: "research", success: true, durationMs: 1200, taskId: "t-1" });
  t.clock.advance(5000);
  const after = m.recordSkillEvent({
    skill: "research",
    success: false,
    durationMs: 800.4,
    metadata: { tool: "web_fetch" },
  });
  const { score, ...rest } = after;
  assert.ok(Math.abs(score - (0.6 * 0.5 + 0.3 * 0.45 + 0.1 * 0.02)) < 1e-12);
  assert.deepEqual(rest, {
    skill: "research",
    successCount: 1,
    failureCount: 1,
    avgQuality: (0.7 + 0.2) / 2,
    totalDurationMs: 2000,
    lastUsed: t.clock.now(),
    trend: "stable",
    total: 2,
    successRate: 0.5,
    avgDurationMs: 1000,
  });
  assert.deepEqual(m.expertise("research"), after);
  assert.equal(m.expertise("cooking"), undefined);
});

Deno.test("quality averages the last 50 uses and the trend follows them", async () => {
  await using t = await tempMemory();
  const m = t.memory;
  for (let i = 0; i < 60; i++) m.recordSkillEvent({ skill: "shell", success: false, quality: 0 });
  for (let i = 0; i < 10; i++) m.recordSkillEvent({ skill: "shell", success: true, quality: 1 });
  const shell = m.expertise("shell")!;
  assert.equal(shell.avgQuality, 10 / 50);
  assert.equal(shell.trend, "improving");
  assert.equal(shell.total, 70);
  for (let i = 0; i < 10; i++) m.recordSkillEvent({ skill: "shell", success: false, quality: 0.5 });
  assert.equal(m.expertise("shell")!.trend, "declining");
});

Deno.test("top skills are ordered by score, ties by name, at most the limit", async () => {
  await using t = await tempMemory();
  const m = t.memory;
  m.recordSkillEvent({ skill: "memory", success: false });
  m.recordSkillEvent({ skill: "filesystem", success: true });
  m.recordSkillEvent({ skill: "communication", success: true });
  assert.deepEqual(m.topSkills().map((e) => e.skill), ["communication", "filesystem", "memory"]);
  assert.deepEqual(m.topSkills(1).map((e) => e.skill), ["communication"]);
});

Deno.test("bad skill events are refused", async () => {
  await using t = await tempMemory();
  assert.throws(() => t.memory.recordSkillEvent({ skill: " ", success: true }), /needs a name/);
  assert.throws(
    () => t.memory.recordSkillEvent({ skill: "x", success: true, quality: 1.5 }),
    /from 0 to 1, got 1.5/,
  );
  assert.throws(
    () => t.memory.recordSkillEvent({ skill: "x", success: true, durationMs: -5 }),
    /whole number of ms, got -5/,
  );
  assert.equal(t.memory.expertise("x"), undefined);
});

Deno.test("tools map to the Go original's skill classes", () => {
  assert.deepEqual(
    ["read_file", "exec", "recall", "web_fetch", "message", "mcp_github_search"].map(skillOfTool),
    ["filesystem", "shell", "memory", "research", "communication", "general"],
  );
});
