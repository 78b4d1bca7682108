/**
 * `-V` and `--version` print the version; a value that starts with `-V` after a command (a
 * base64url key may: `group admit NAME --public-key -V…`) is that option's value, not the version
 * flag, which made the command print the version and exit 0 having done nothing.
 */
import assert from "node:assert/strict";
import { VERSION } from "../../../core/version.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";

const env = { KAFCLAW_HOME: "/nonexistent/kafclaw-home", NO_COLOR: "1" };

Deno.test("kafclaw -V and --version print the version", async () => {
  for (const flag of ["-V", "--version"]) {
    const r = await kafclawInProcess(env, flag);
    assert.deepEqual([r.code, r.stdout.trim()], [0, VERSION], flag);
  }
});

Deno.test("an option's value starting with -V goes to that option, not to the version flag", async () => {
  const r = await kafclawInProcess(env, "task", "list", "--limit", "-V3");
  assert.equal(r.code, 2, r.stdout);
  assert.ok(!r.stdout.includes(VERSION), r.stdout);
  assert.match(r.stderr, /'-n, --limit <n>' argument '-V3' is invalid/);
});
