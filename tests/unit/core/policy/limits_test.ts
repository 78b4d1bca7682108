import assert from "node:assert/strict";
import {
  formatDuration,
  nextUtcDay,
  nextUtcMonth,
  startOfUtcDay,
  startOfUtcMonth,
} from "../../../../core/policy/mod.ts";
import { formatUsd, formatUtcDate } from "../../../../core/policy/limits.ts";

Deno.test("days and months start at UTC midnight, whatever the local zone", () => {
  const now = new Date("2026-12-31T23:59:59.999Z");
  assert.equal(startOfUtcDay(now).toISOString(), "2026-12-31T00:00:00.000Z");
  assert.equal(nextUtcDay(now).toISOString(), "2027-01-01T00:00:00.000Z");
  assert.equal(startOfUtcMonth(now).toISOString(), "2026-12-01T00:00:00.000Z");
  assert.equal(nextUtcMonth(now).toISOString(), "2027-01-01T00:00:00.000Z");
  const midnight = new Date("2026-03-01T00:00:00Z");
  assert.equal(startOfUtcDay(midnight).getTime(), midnight.getTime());
  assert.equal(nextUtcDay(midnight).toISOString(), "2026-03-02T00:00:00.000Z");
});

Deno.test("durations read as people say them, rounded up", () => {
  const cases: Array<[number, string]> = [
    [0, "1 s"],
    [-5, "1 s"],
    [1, "1 s"],
    [4_200, "5 s"],
    [59_000, "59 s"],
    [59_500, "1 min"],
    [60_001, "2 min"],
    [(3 * 60 + 12) * 60_000, "3 h 12 min"],
    [(3 * 60 + 11) * 60_000 + 1, "3 h 12 min"],
    [2 * 3_600_000, "2 h"],
    [24 * 3_600_000, "1 d"],
    [(4 * 24 + 6) * 3_600_000, "4 d 6 h"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
});

Deno.test("money and dates are formatted plainly", () => {
  assert.equal(formatUsd(5), "$5.00");
  assert.equal(formatUsd(0.125), "$0.13");
  assert.equal(formatUtcDate(new Date("2026-08-01T00:00:00Z")), "2026-08-01");
});
