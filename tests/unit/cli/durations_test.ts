/**
 * The one duration parser of the command line, under the rules of its two flags: a task's
 * `--deadline` (above 0, up to 24 days, what a timer can wait) and gc's `--older-than` (0 and up).
 * Through the CLI too: a bad value is commander's one-line usage error naming the flag. kshark's
 * timeouts take what they always took (seconds without a unit, fractions) under their own rule.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import { AGE, DEADLINE, duration, durationOf, KSHARK_TIMEOUT } from "../../../cli/_durations.ts";
import { kafclawInProcess as kafclaw } from "../../_support/cli_in_process.ts";
import { tempHome } from "../core/config/_helpers.ts";

const DAY = 86_400_000;

Deno.test("a duration is a whole number and ms, s, m, h or d, read alike under every rule", () => {
  for (const rule of [DEADLINE, AGE]) {
    assert.equal(duration(rule)("250ms"), 250);
    assert.equal(duration(rule)("2s"), 2000);
    assert.equal(duration(rule)(" 90m "), 90 * 60_000);
    assert.equal(duration(rule)("12h"), 12 * 3_600_000);
    assert.equal(duration(rule)("7d"), 7 * DAY);
    for (const bad of ["", "7", "1.5h", "-1d", "7 days", "1w", "1e3s", "0x10s", "1234567890s"]) {
      assert.throws(() => duration(rule)(bad), InvalidArgumentError, `"${bad}"`);
    }
  }
});

Deno.test("gc's age may be 0; a deadline must be above 0 and at most 24 days", () => {
  assert.equal(duration(AGE)("0s"), 0);
  assert.equal(duration(AGE)("999999999d"), 999_999_999 * DAY);
  assert.throws(() => duration(DEADLINE)("0s"), {
    message: "expected a whole number above 0 and ms, s, m, h or d (e.g. 90s, 15m, 7d), up to 24d",
  });
  assert.equal(duration(DEADLINE)("24d"), 24 * DAY);
  assert.throws(() => duration(DEADLINE)("25d"), /up to 24d$/);
  // Longer than a timer can wait (2^31-1 ms): it would fire at once.
  assert.throws(() => duration(DEADLINE)("600h"), /up to 24d$/);
});

Deno.test("a bad --deadline or --older-than is one usage line naming the flag and what it takes", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  const cases = [
    [["task", "submit", "x", "--deadline", "0s"], "--deadline <duration>", "0s", "above 0"],
    [["task", "submit", "x", "--deadline", "30d"], "--deadline <duration>", "30d", "above 0"],
    [["group", "gc", "--older-than", "soon"], "--older-than <duration>", "soon", "0 or more"],
  ] as const;
  for (const [args, flag, value, range] of cases) {
    const r = await kafclaw(env, ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr.split("\n")[0],
      `error: option '${flag}' argument '${value}' is invalid. expected a whole number ${range} ` +
        `and ms, s, m, h or d (e.g. 90s, 15m, 7d)${range === "above 0" ? ", up to 24d" : ""}`,
    );
  }
});

Deno.test("a kshark timeout takes every form it took, up to an hour, and h now too", () => {
  const read = (text: string) => durationOf(text, KSHARK_TIMEOUT, "--timeout");
  const forms = [["10s", 10_000], ["500ms", 500], ["2m", 120_000], [" 60s ", 60_000]] as const;
  // Seconds without a unit and fractions, as CI lines may have written them before.
  const loose = [["30", 30_000], ["1.5s", 1500], ["0.5", 500], ["1h", 3_600_000]] as const;
  for (const [text, ms] of [...forms, ...loose]) assert.equal(read(text), ms, `"${text}"`);
  for (const bad of ["", "0", "0s", "0.0", "61m", "2h", "3601", "-1s", "1.5.2s", "ten", "1e3"]) {
    assert.throws(() => read(bad), {
      name: "UsageError",
      message: `Cannot read --timeout "${bad}": expected a number above 0 and ms, s, m, h or d, ` +
        "or seconds alone (e.g. 10s, 500ms, 2m), up to 1h",
    });
  }
  // The other flags' rules stay whole numbers with a unit.
  for (const rule of [DEADLINE, AGE]) {
    assert.throws(() => duration(rule)("30"), InvalidArgumentError);
    assert.throws(() => duration(rule)("1.5s"), InvalidArgumentError);
  }
});

Deno.test("a bad kshark timeout is one usage line naming the flag, before any connection", async () => {
  await using home = await tempHome();
  const r = await kafclaw(
    { KAFCLAW_HOME: home.path },
    "kshark",
    "--broker",
    "127.0.0.1:1",
    "--kafka-timeout",
    "2h",
  );
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    'kafclaw: Cannot read --kafka-timeout "2h": expected a number above 0 and ms, s, m, h or d, ' +
      "or seconds alone (e.g. 10s, 500ms, 2m), up to 1h",
  );
});
