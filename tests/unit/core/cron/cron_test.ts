import assert from "node:assert/strict";
import {
  CronSchedule,
  CronSyntaxError,
  defineJob,
  isTimeZone,
  withTimeZone,
} from "../../../../core/scheduler/mod.ts";

/** The first `n` run times after `from`, as ISO strings. */
function runs(expression: string, from: string, n: number, timezone?: string): string[] {
  const schedule = CronSchedule.parse(expression, timezone ? { timezone } : {});
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = schedule.next(at)!;
    out.push(at.toISOString().replace(":00.000Z", "Z"));
  }
  return out;
}

Deno.test("cron: *, */N, N, N-M, N-M/S and lists each select the right minutes and hours", () => {
  assert.deepEqual(runs("* * * * *", "2026-11-25T10:00:30Z", 2), [
    "2026-11-25T10:01Z",
    "2026-11-25T10:02Z",
  ]);
  assert.deepEqual(runs("*/15 * * * *", "2026-11-25T10:00:00Z", 4), [
    "2026-11-25T10:15Z",
    "2026-11-25T10:30Z",
    "2026-11-25T10:45Z",
    "2026-11-25T11:00Z",
  ]);
  assert.deepEqual(runs("30 14 * * *", "2026-11-25T15:00:00Z", 2), [
    "2026-11-26T14:30Z",
    "2026-11-27T14:30Z",
  ]);
  assert.deepEqual(runs("0 9-11 * * *", "2026-11-25T08:00:00Z", 4), [
    "2026-11-25T09:00Z",
    "2026-11-25T10:00Z",
    "2026-11-25T11:00Z",
    "2026-11-26T09:00Z",
  ]);
  assert.deepEqual(runs("0-30/10 * * * *", "2026-11-25T10:00:00Z", 4), [
    "2026-11-25T10:10Z",
    "2026-11-25T10:20Z",
    "2026-11-25T10:30Z",
    "2026-11-25T11:00Z",
  ]);
  assert.deepEqual(runs("5,35 1,13 * * *", "2026-11-25T00:00:00Z", 4), [
    "2026-11-25T01:05Z",
    "2026-11-25T01:35Z",
    "2026-11-25T13:05Z",
    "2026-11-25T13:35Z",
  ]);
  assert.deepEqual(runs("0 0 */10 * *", "2026-03-01T00:00:00Z", 4), [
    "2026-03-11T00:00Z",
    "2026-03-21T00:00Z",
    "2026-03-31T00:00Z",
    "2026-04-01T00:00Z",
  ]);
});

Deno.test("cron: month and day names in any case, in lists and ranges; 7 is Sunday", () => {
  // 2026-11-27 is a Friday.
  assert.deepEqual(runs("0 8 * * MON-FRI", "2026-11-27T09:00:00Z", 3), [
    "2026-11-30T08:00Z",
    "2026-12-01T08:00Z",
    "2026-12-02T08:00Z",
  ]);
  assert.deepEqual(runs("0 0 1 jan-mar *", "2026-11-25T00:00:00Z", 3), [
    "2027-01-01T00:00Z",
    "2027-02-01T00:00Z",
    "2027-03-01T00:00Z",
  ]);
  assert.deepEqual(runs("0 12 * Jun,DEC sat,Sun", "2026-11-25T00:00:00Z", 3), [
    "2026-12-05T12:00Z",
    "2026-12-06T12:00Z",
    "2026-12-12T12:00Z",
  ]);
  assert.deepEqual(
    runs("0 0 * * 7", "2026-11-25T00:00:00Z", 1),
    runs("0 0 * * 0", "2026-11-25T00:00:00Z", 1),
  );
  assert.deepEqual(runs("0 0 * * 5-7", "2026-11-25T00:00:00Z", 3), [
    "2026-11-27T00:00Z",
    "2026-11-28T00:00Z",
    "2026-11-29T00:00Z",
  ]);
});

Deno.test("cron: the macros are their five-field forms", () => {
  const from = "2026-11-25T10:20:00Z";
  const forms = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
  };
  for (const [macro, form] of Object.entries(forms)) {
    assert.equal(CronSchedule.parse(macro).fields, form);
    assert.deepEqual(runs(macro.toUpperCase(), from, 2), runs(form, from, 2), macro);
  }
  assert.deepEqual(runs("@weekly", from, 1), ["2026-11-29T00:00Z"]);
  assert.deepEqual(runs("@yearly", from, 1), ["2027-01-01T00:00Z"]);
});

Deno.test("cron: day-of-month and day-of-week restricted together match either (Vixie OR)", () => {
  // April 2026: Fridays are the 3rd, 10th, 17th, 24th; the 13th is a Monday. The Go original
  // (AND) would first run on Friday 2026-11-13.
  assert.deepEqual(runs("0 0 13 * FRI", "2026-04-01T00:00:00Z", 5), [
    "2026-04-03T00:00Z",
    "2026-04-10T00:00Z",
    "2026-04-13T00:00Z",
    "2026-04-17T00:00Z",
    "2026-04-24T00:00Z",
  ]);
  // Only one restricted: the other `*` adds nothing.
  assert.deepEqual(runs("0 0 13 * *", "2026-04-01T00:00:00Z", 2), [
    "2026-04-13T00:00Z",
    "2026-05-13T00:00Z",
  ]);
  assert.deepEqual(runs("0 0 * * FRI", "2026-04-01T00:00:00Z", 2), [
    "2026-04-03T00:00Z",
    "2026-04-10T00:00Z",
  ]);
});

Deno.test("cron: time zones from the option or a CRON_TZ=/TZ= prefix, UTC by default", () => {
  assert.equal(CronSchedule.parse("0 9 * * *").timezone, "UTC");
  assert.deepEqual(runs("0 9 * * *", "2026-11-25T00:00:00Z", 1), ["2026-11-25T09:00Z"]);
  // Berlin is UTC+1 in winter, UTC+2 in summer.
  assert.deepEqual(runs("0 9 * * *", "2026-11-25T00:00:00Z", 1, "Europe/Berlin"), [
    "2026-11-25T08:00Z",
  ]);
  assert.deepEqual(runs("CRON_TZ=Europe/Berlin 0 9 * * *", "2026-07-01T00:00:00Z", 1), [
    "2026-07-01T07:00Z",
  ]);
  const prefixed = CronSchedule.parse("  TZ=America/New_York 0 9 * * * ", {
    timezone: "Asia/Tokyo",
  });
  assert.equal(prefixed.timezone, "America/New_York");
  assert.equal(prefixed.zoneInExpression, true);
  assert.equal(prefixed.expression, "TZ=America/New_York 0 9 * * *");
  assert.equal(prefixed.fields, "0 9 * * *");
  assert.equal(CronSchedule.parse("0 9 * * *", { timezone: "Asia/Tokyo" }).zoneInExpression, false);
  assert.equal(isTimeZone("Europe/Berlin"), true);
  assert.equal(isTimeZone("Mars/Base"), false);
  assert.equal(isTimeZone(""), false);
});

Deno.test("cron: on Berlin's daylight-saving days a missing time runs after the gap, a doubled one once", () => {
  const berlin = "Europe/Berlin";
  // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day.
  assert.deepEqual(runs("30 2 * * *", "2026-03-28T00:00:00Z", 3, berlin), [
    "2026-03-28T01:30Z", // 02:30 CET
    "2026-03-29T01:00Z", // 03:00 CEST, the first minute after the gap
    "2026-03-30T00:30Z", // 02:30 CEST
  ]);
  assert.deepEqual(runs("0 9 * * *", "2026-03-28T00:00:00Z", 2, berlin), [
    "2026-03-28T08:00Z",
    "2026-03-29T07:00Z",
  ]);
  // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice.
  assert.deepEqual(runs("30 2 * * *", "2026-10-24T12:00:00Z", 2, berlin), [
    "2026-10-25T00:30Z", // 02:30 CEST, the first time only
    "2026-10-26T01:30Z", // 02:30 CET
  ]);
  assert.deepEqual(runs("*/30 * * * *", "2026-10-24T23:45:00Z", 5, berlin), [
    "2026-10-25T00:00Z", // 02:00 CEST
    "2026-10-25T00:30Z", // 02:30 CEST
    "2026-10-25T01:00Z", // 02:00 CET
    "2026-10-25T01:30Z", // 02:30 CET
    "2026-10-25T02:00Z", // 03:00 CET
  ]);
});

Deno.test("cron: invalid expressions are refused naming the expression and the fault", () => {
  const cases: [string, string][] = [
    [
      "",
      "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, got 0",
    ],
    [
      "0 0 1 *",
      "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, got 4",
    ],
    [
      "0 0 0 1 * *",
      "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, got 6; a seconds field is not supported",
    ],
    ["@reboot", 'unknown macro "@reboot" (use @hourly, @daily, @weekly, @monthly or @yearly)'],
    ["61 * * * *", "minute 61 is out of range 0-59"],
    ["0 24 * * *", "hour 24 is out of range 0-23"],
    ["0 0 0 * *", "day-of-month 0 is out of range 1-31"],
    ["0 0 1 13 *", "month 13 is out of range 1-12"],
    ["0 0 * * 8", "day-of-week 8 is out of range 0-7"],
    ["0 0 1 FOO *", 'month "FOO" is not a number or a name (JAN-DEC)'],
    ["0 0 * * MONDAY", 'day-of-week "MONDAY" is not a number or a name (SUN-SAT)'],
    ["x * * * *", 'minute "x" is not a number'],
    ["0 0 L * *", 'day-of-month "L" is not a number'],
    ["0 0 * * 5#2", 'day-of-week "5#2" is not one of *, N, N-M, */S or N-M/S'],
    ["0 0 ? * *", 'day-of-month "?" is not one of *, N, N-M, */S or N-M/S'],
    ["1,,2 * * * *", 'minute "" is not one of *, N, N-M, */S or N-M/S'],
    ["10-5 * * * *", 'minute range "10-5" runs backwards'],
    ["0 0 * * SAT-SUN", 'day-of-week range "SAT-SUN" runs backwards'],
    ["0 0-99 * * *", "hour 99 is out of range 0-23"],
    ["0 0 * JAN-XYZ *", 'month "XYZ" is not a number or a name (JAN-DEC)'],
    ["*/0 * * * *", 'minute "*/0": the step must be between 1 and 60'],
    ["*/61 * * * *", 'minute "*/61": the step must be between 1 and 60'],
    ["5/15 * * * *", 'minute "5/15": a step needs * or a range N-M before it'],
    ["0 0 31 2 *", "it never matches a date"],
    ["CRON_TZ=Mars/Base 0 9 * * *", 'unknown time zone "Mars/Base"'],
  ];
  for (const [expression, problem] of cases) {
    assert.throws(
      () => CronSchedule.parse(expression),
      (error: unknown) => {
        assert.ok(error instanceof CronSyntaxError);
        assert.equal(error.expression, expression);
        assert.equal(
          error.message,
          `Cannot parse cron expression ${JSON.stringify(expression)}: ${problem}`,
        );
        return true;
      },
      expression,
    );
  }
  assert.throws(
    () => CronSchedule.parse("0 9 * * *", { timezone: "Nowhere/City" }),
    /unknown time zone "Nowhere\/City"/,
  );
});

Deno.test("withTimeZone puts the zone in a CRON_TZ= prefix, replacing any other", () => {
  assert.equal(withTimeZone("0 9 * * *", "Europe/Berlin"), "CRON_TZ=Europe/Berlin 0 9 * * *");
  assert.equal(withTimeZone(" TZ=Asia/Tokyo 0 9 * * *", "UTC"), "CRON_TZ=UTC 0 9 * * *");
  assert.equal(withTimeZone("CRON_TZ=Asia/Tokyo @daily", undefined), "@daily");
});

Deno.test("defineJob checks a job and stores its time zone in the schedule with the first run", () => {
  const now = new Date("2026-11-25T10:00:00Z");
  assert.deepEqual(
    defineJob({ name: "digest", schedule: "0 8 * * *", message: "sum up" }, { now }),
    {
      name: "digest",
      schedule: "0 8 * * *",
      message: "sum up",
      enabled: true,
      nextRunAt: new Date("2026-11-26T08:00:00Z"),
    },
  );
  const berlin = defineJob(
    { name: "b", schedule: "0 8 * * *", message: "m", timezone: "Europe/Berlin", enabled: false },
    { now },
  );
  assert.equal(berlin.schedule, "CRON_TZ=Europe/Berlin 0 8 * * *");
  assert.equal(berlin.enabled, false);
  assert.deepEqual(berlin.nextRunAt, new Date("2026-11-26T07:00:00Z"));
  // The configured default zone is stored too, so a later change of it does not move the job.
  const configured = defineJob({ name: "c", schedule: "@daily", message: "m" }, {
    now,
    timezone: "Asia/Tokyo",
  });
  assert.equal(configured.schedule, "CRON_TZ=Asia/Tokyo @daily");
  assert.deepEqual(configured.nextRunAt, new Date("2026-11-25T15:00:00Z"));
  const prefixed = defineJob({ name: "d", schedule: "TZ=Asia/Tokyo @daily", message: "m" }, {
    now,
  });
  assert.equal(prefixed.schedule, "CRON_TZ=Asia/Tokyo @daily");
  assert.throws(
    () => defineJob({ name: "a b", schedule: "@daily", message: "m" }, { now }),
    {
      name: "RangeError",
      message:
        `Cannot use "a b" as a job name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    },
  );
  assert.throws(
    () => defineJob({ name: "-x", schedule: "@daily", message: "m" }, { now }),
    RangeError,
  );
  assert.throws(
    () => defineJob({ name: "x".repeat(65), schedule: "@daily", message: "m" }, { now }),
    RangeError,
  );
  assert.throws(
    () => defineJob({ name: "x", schedule: "@daily", message: "  " }, { now }),
    { name: "RangeError", message: 'Cannot define job "x": its message is empty' },
  );
  assert.throws(
    () =>
      defineJob({ name: "x", schedule: "0 9 * * *", message: "m", timezone: "Mars/Base" }, { now }),
    CronSyntaxError,
  );
});
