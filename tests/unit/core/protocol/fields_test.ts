import assert from "node:assert/strict";
import { parseTimestamp, Timestamp } from "../../../../core/protocol/mod.ts";

Deno.test("parseTimestamp reads RFC 3339 with Z or an offset", () => {
  const base = Date.UTC(2026, 0, 15, 10);
  assert.equal(parseTimestamp("2026-01-15T10:00:00Z"), base);
  assert.equal(parseTimestamp("2026-01-15t10:00:00z"), base);
  assert.equal(parseTimestamp("2026-01-15T11:30:00+01:30"), base);
  assert.equal(parseTimestamp("2026-01-15T05:00:00-05:00"), base);
  assert.equal(parseTimestamp("2026-01-15T10:00:00+00:00"), base);
  assert.equal(parseTimestamp("2026-01-15T10:00:00-00:00"), base);
});

Deno.test("parseTimestamp reads Go's RFC3339Nano fractions, and longer ones", () => {
  const base = Date.UTC(2026, 0, 15, 10);
  assert.equal(parseTimestamp("2026-01-15T10:00:00.5Z"), base + 500);
  assert.ok(
    Math.abs((parseTimestamp("2026-01-15T10:00:00.123456789Z") as number) - (base + 123.456789)) <
      1e-3,
  );
  assert.ok(
    Math.abs(
      (parseTimestamp("2026-01-15T10:00:00.000000001+01:00") as number) - (base - 3_600_000),
    ) < 1e-3,
  );
  assert.equal(parseTimestamp("2026-01-15T10:00:00.999999999999Z")! > base + 999, true);
});

Deno.test("parseTimestamp handles years before 100, leap years and leap seconds", () => {
  assert.equal(parseTimestamp("0001-01-01T00:00:00Z"), new Date("0001-01-01T00:00:00Z").getTime());
  assert.equal(parseTimestamp("0050-06-01T00:00:00Z"), new Date("0050-06-01T00:00:00Z").getTime());
  assert.equal(parseTimestamp("2024-02-29T00:00:00Z"), Date.UTC(2024, 1, 29));
  assert.equal(parseTimestamp("2000-02-29T00:00:00Z"), Date.UTC(2000, 1, 29));
  assert.equal(parseTimestamp("1900-02-29T00:00:00Z"), undefined);
  assert.equal(parseTimestamp("2026-02-29T00:00:00Z"), undefined);
  assert.equal(parseTimestamp("2016-12-31T23:59:60Z"), Date.UTC(2017, 0, 1));
});

Deno.test("parseTimestamp refuses what is not RFC 3339 with an offset", () => {
  for (
    const text of [
      "",
      "2026-01-15",
      "2026-01-15T10:00:00",
      "2026-01-15 10:00:00Z",
      "2026-1-15T10:00:00Z",
      "2026-01-15T10:00Z",
      "2026-01-15T10:00:00.Z",
      "2026-01-15T10:00:00+0100",
      "2026-01-15T10:00:00+01",
      "2026-00-15T10:00:00Z",
      "2026-13-15T10:00:00Z",
      "2026-01-00T10:00:00Z",
      "2026-04-31T10:00:00Z",
      "2026-01-15T24:00:00Z",
      "2026-01-15T10:60:00Z",
      "2026-01-15T10:00:61Z",
      "2026-01-15T10:00:00+24:00",
      "2026-01-15T10:00:00+01:60",
      " 2026-01-15T10:00:00Z",
      "2026-01-15T10:00:00Z\n",
      "１２３４-01-15T10:00:00Z",
    ]
  ) {
    assert.equal(parseTimestamp(text), undefined, JSON.stringify(text));
    assert.equal(Timestamp.safeParse(text).success, false, JSON.stringify(text));
  }
});

Deno.test("parseTimestamp knows the length of every month, leap years of every kind included", () => {
  for (const year of [0, 4, 100, 400, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999]) {
    for (let month = 1; month <= 12; month++) {
      // The calendar's own answer: day 0 of the next month is the last of this one.
      const last = new Date(Date.UTC(year + 400, month, 0)).getUTCDate();
      for (let day = 27; day <= 32; day++) {
        const text = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${
          String(day).padStart(2, "0")
        }T00:00:00Z`;
        const expected = day <= last ? new Date(text).getTime() : undefined;
        assert.equal(parseTimestamp(text), expected, text);
      }
    }
  }
});
