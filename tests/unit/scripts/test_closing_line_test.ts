/**
 * scripts/test's closing line, run on a small suite of its own: a scratch checkout holding the
 * script, a deno.json with the `test` permission set, a main.ts, one passing e2e test, and the
 * unit test files of each case.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../../", import.meta.url).pathname;
const PASSES = 'Deno.test("passes", () => {});\n';

/** Runs `scripts/test --unit` over `files` (name to source) in a scratch checkout. */
async function runSuite(
  files: Record<string, string>,
  env: Record<string, string> = {},
): Promise<{ code: number; lastLine: string; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-scripts-test-" });
  try {
    await Deno.mkdir(`${dir}/scripts`);
    await Deno.mkdir(`${dir}/tests/unit`, { recursive: true });
    await Deno.mkdir(`${dir}/tests/e2e`);
    await Deno.writeTextFile(`${dir}/tests/e2e/ok_test.ts`, PASSES);
    await Deno.writeTextFile(`${dir}/main.ts`, "export {};\n");
    for (const name of ["test", "_deno.sh"]) {
      await Deno.copyFile(`${ROOT}scripts/${name}`, `${dir}/scripts/${name}`);
    }
    await Deno.chmod(`${dir}/scripts/test`, 0o755);
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ permissions: { test: { read: true, run: true } } }),
    );
    for (const [name, source] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/tests/unit/${name}`, source);
    }
    const output = await new Deno.Command(`${dir}/scripts/test`, {
      args: ["--unit"],
      env: { KAFCLAW_DENO: Deno.execPath(), NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const text = `${stdout}${new TextDecoder().decode(output.stderr)}`;
    return { code: output.code, lastLine: stdout.trimEnd().split("\n").at(-1)!, output: text };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("scripts/test counts a test file that throws while it loads as one failed test", async () => {
  const run = await runSuite({
    "a_test.ts": PASSES,
    "b_test.ts": 'throw new Error("broken at import");\n',
  });
  assert.equal(run.lastLine, "2 passed, 1 failed", run.output);
  assert.equal(run.code, 1);
  assert.match(run.output, /b_test\.ts failed outside its tests/);
});

Deno.test("scripts/test counts a file that does not type-check as failed", async () => {
  const run = await runSuite({
    "a_test.ts": PASSES,
    "c_test.ts": 'const n: number = "text";\nDeno.test("never runs", () => {});\n',
  });
  assert.equal(run.code, 1, run.output);
  assert.match(run.lastLine, /^\d+ passed, [1-9]\d* failed$/, run.output);
});

Deno.test("scripts/test counts an error thrown between tests as failed, whenever it lands", async () => {
  const run = await runSuite({
    "d_test.ts":
      'Deno.test("leaves a timer", () => { setTimeout(() => { throw new Error("late"); }, 0); });\n' +
      'Deno.test("waits", () => new Promise((done) => setTimeout(done, 50)));\n',
  });
  assert.equal(run.code, 1, run.output);
  // In the next test (which it cancels) or, on a busy machine, after the last one (which deno
  // test then reports as not run, or as failed with it): never a clean count.
  const counts = /^(\d+) passed, (\d+) failed(, \d+ skipped)?$/.exec(run.lastLine);
  assert.ok(counts, run.output);
  assert.ok(Number(counts[2]) >= 1 && Number(counts[1]) + Number(counts[2]) <= 3, run.output);
  // A closing line names the error and its file, wherever it landed.
  const said = run.output.split("\n").find((l) => l.startsWith("FAILED ") && l.includes("late"));
  assert.match(said ?? "", /Error: late.*d_test\.ts|d_test\.ts: .*Error: late/, run.output);
});

Deno.test("scripts/test ends with the plain count and exit 0 when every file loads and passes", async () => {
  const run = await runSuite({ "a_test.ts": PASSES, "e_test.ts": PASSES });
  assert.equal(run.lastLine, "3 passed, 0 failed", run.output);
  assert.equal(run.code, 0);
});

Deno.test("scripts/test stops a hung test, and what it started, and counts it as failed", async () => {
  const marker = `kafclaw-hung-${crypto.randomUUID()}`;
  const run = await runSuite({
    "h_test.ts": `Deno.test("never ends", async () => {
  await new Deno.Command("bash", { args: ["-c", "exec -a ${marker} sleep 600"] }).spawn().status;
});
`,
  }, { KAFCLAW_TEST_HANG_MINUTES: "1" });
  assert.equal(run.code, 1, run.output);
  assert.match(run.lastLine, /^\d+ passed, 1 failed$/, run.output);
  assert.match(run.output, /FAILED unit: 'never ends' still running after 1 minutes/);
  const left = await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(left.stdout).trim(), "", "the hung test's child was left");
});
