/**
 * Counts on the command line read alike in every subcommand: `task list -n` as `memory search -n`,
 * digits only (what `Number()` alone would take, `1e3`, `0x10`, ` 5`, is refused), and the same
 * one-line usage error, exit 2.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import { wholeNumber } from "../../../cli/_numbers.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";

Deno.test("a count is digits only, from 1, within its maximum", () => {
  assert.equal(wholeNumber()("7"), 7);
  assert.equal(wholeNumber(100)("100"), 100);
  for (const bad of ["0", "-1", "1.5", "1e3", "0x10", " 5", "5 ", "", "seven"]) {
    assert.throws(
      () => wholeNumber()(bad),
      /^InvalidArgumentError: expected a whole number above 0$/,
      bad,
    );
  }
  assert.throws(
    () => wholeNumber(100)("101"),
    (error: unknown) =>
      error instanceof InvalidArgumentError &&
      error.message === "expected a whole number from 1 to 100",
  );
});

Deno.test("task, group and memory refuse a count in the same words, with exit 2", async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-numbers-" });
  try {
    const env = { KAFCLAW_HOME: home, KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9" };
    for (
      const [args, said] of [
        [["task", "list", "-n", "1e3"], "option '-n, --limit <n>' argument '1e3' is invalid."],
        [["group", "invite", "--valid-hours", "1e3"], "option '--valid-hours <n>' argument '1e3'"],
        // An invite lasts a year at most.
        [
          ["group", "invite", "--valid-hours", "8761"],
          "'8761' is invalid. expected a whole number from 1 to 8760",
        ],
        [
          ["group", "admit", "a", "--public-key", "k", "--valid-days", "0x10"],
          "'0x10' is invalid.",
        ],
        [["memory", "search", "x", "-n", "0"], "option '-n, --limit <n>' argument '0' is invalid."],
      ] as const
    ) {
      const run = await kafclawInProcess(env, ...args);
      const what = args.join(" ");
      assert.equal(run.code, 2, `${what}: ${run.stderr}`);
      assert.ok(run.stderr.includes(said), `${what}: ${run.stderr}`);
      assert.match(run.stderr, /invalid\. expected a whole number (above 0|from 1 to \d+)/, what);
    }
    // -n is --limit for task list as for memory search.
    const listed = await kafclawInProcess(env, "task", "list", "-n", "3", "--json");
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), { tasks: [], worked: [] });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
