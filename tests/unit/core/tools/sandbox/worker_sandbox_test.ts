/** The fallback without bubblewrap: exec off by default, the unsandboxed mode, serialisation. */
import assert from "node:assert/strict";
import {
  openSandbox,
  type Sandbox,
  SandboxError,
  type SandboxOptions,
  WorkerSandbox,
} from "../../../../../core/tools/sandbox/mod.ts";
import { processesWith } from "./_fixture.ts";

const LIMITS = { timeoutMs: 10000, maxOutputBytes: 65536 };

async function withWorker(
  fn: (sandbox: Sandbox) => Promise<void>,
  options: SandboxOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-worker-" });
  try {
    await using sandbox = await openSandbox(`${dir}/workspace`, { prefer: "worker", ...options });
    assert.equal(sandbox.kind, "worker");
    await fn(sandbox);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("without bubblewrap exec is off and says how to turn it on", async () => {
  await withWorker(async (sandbox) => {
    assert.ok(sandbox instanceof WorkerSandbox);
    assert.equal(sandbox.reason, "the worker sandbox was asked for");
    const error = await sandbox.exec("echo hi", LIMITS).catch((error: unknown) => error);
    assert.ok(error instanceof SandboxError);
    assert.equal(error.code, "unavailable");
    assert.match(error.message, /^Cannot run "echo hi": exec is off because bubblewrap/);
    assert.match(error.message, /apt-get install bubblewrap/);
    assert.match(error.message, /unsandboxed mode/);
    assert.match(error.message, /`kafclaw doctor` explains/);
  });
  // The doctor command in the name the owner ran kafclaw by.
  await withWorker(async (sandbox) => {
    const error = await sandbox.exec("echo hi", LIMITS).catch((error: unknown) => error);
    assert.match((error as Error).message, /`scripts\/kafclaw doctor` explains what is missing/);
  }, { command: "scripts/kafclaw" });
});

Deno.test("the unsandboxed mode runs sh -c in the workspace with a clean environment", async () => {
  Deno.env.set("KAFCLAW_TEST_SECRET", "hidden");
  try {
    await withWorker(async (sandbox) => {
      await Deno.mkdir(`${sandbox.workspace}/sub`);
      const result = await sandbox.exec("pwd; env", { ...LIMITS, cwd: "sub" });
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout.split("\n")[0], `${sandbox.workspace}/sub`);
      assert.doesNotMatch(result.stdout, /KAFCLAW_TEST_SECRET/);
      await assert.rejects(sandbox.exec("pwd", { ...LIMITS, cwd: "../.." }), SandboxError);
    }, { unsandboxed: true });
  } finally {
    Deno.env.delete("KAFCLAW_TEST_SECRET");
  }
});

Deno.test("unsandboxed commands get the time limit, the output cap, and leave nothing behind", async () => {
  const marker = `left${crypto.randomUUID().slice(0, 8)}`;
  await withWorker(async (sandbox) => {
    const timed = await sandbox.exec(`sh -c 'sleep 30; : ${marker}' & sleep 30`, {
      ...LIMITS,
      timeoutMs: 300,
    });
    assert.equal(timed.timedOut, true);
    const flood = await sandbox.exec("yes | head -c 100000", { ...LIMITS, maxOutputBytes: 10 });
    assert.equal(flood.truncated, true);
    assert.equal(flood.stdout.length, 10);
    const background = await sandbox.exec(`(sleep 30; : ${marker}) & echo started`, LIMITS);
    assert.equal(background.stdout, "started\n");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await processesWith(marker), []);
  }, { unsandboxed: true });
});

Deno.test("file operations wait for a command running in the same workspace", async () => {
  await withWorker(async (sandbox) => {
    const command = sandbox.exec("sleep 0.4; echo late > f.txt", LIMITS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await sandbox.fs.readText("f.txt", { maxBytes: 100 }), "late\n");
    await command;
  }, { unsandboxed: true });
});

Deno.test("the worker file helper has no network, no subprocesses, no environment", async () => {
  await withWorker(async (sandbox) => {
    // The helper refuses anything outside the workspace by its Deno permissions too: a link to
    // a world-readable host file is refused.
    await Deno.symlink("/etc/hostname", `${sandbox.workspace}/hostname`);
    await assert.rejects(
      sandbox.fs.readText("hostname", { maxBytes: 1000 }),
      (error: unknown) => error instanceof SandboxError && error.code === "outside",
    );
    const [helper] = (await processesWith("data:text/javascript")).filter((p) =>
      p.args.includes(sandbox.workspace)
    );
    assert.ok(helper, "the helper runs");
    assert.match(helper.args, new RegExp(`--allow-read=${sandbox.workspace} `));
    assert.match(helper.args, new RegExp(`--allow-write=${sandbox.workspace} `));
    assert.doesNotMatch(helper.args, /--allow-(net|run|env|sys|ffi|all)|-A /);
  });
});

Deno.test("unsandboxed commands are cleaned up without permission to signal process groups", async () => {
  const marker = `grp${crypto.randomUUID().slice(0, 8)}`;
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-worker-" });
  try {
    const mod = new URL("../../../../../core/tools/sandbox/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/script.ts`,
      `import { openSandbox } from ${JSON.stringify(mod)};
await using sandbox = await openSandbox(${JSON.stringify(`${dir}/ws`)}, {
  prefer: "worker", unsandboxed: true, stateDir: ${JSON.stringify(`${dir}/state`)},
});
const limits = { timeoutMs: 300, maxOutputBytes: 1000 };
const timed = await sandbox.exec("(sleep 30; : ${marker}) & sleep 30; : ${marker}", limits);
const left = await sandbox.exec("(sleep 30; : ${marker}) & echo started", limits);
console.log(JSON.stringify({ timed, left }));`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", "--no-prompt", "--allow-run=sh"]
        .concat([`--allow-read=${dir},${new URL("../../../../../", import.meta.url).pathname}`])
        .concat([`--allow-write=${dir}`, `${dir}/script.ts`]),
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    assert.ok(output.success, text + new TextDecoder().decode(output.stderr));
    const { timed, left } = JSON.parse(text);
    assert.equal(timed.timedOut, true);
    assert.equal(left.stdout, "started\n");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await processesWith(marker), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
