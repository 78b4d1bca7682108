/** exec in the bubblewrap sandbox: results, folders, limits of time and output, abort. */
import assert from "node:assert/strict";
import {
  DEFAULT_SANDBOX_LIMITS,
  openSandbox,
  type Sandbox,
  SandboxError,
} from "../../../../../core/tools/sandbox/mod.ts";
import { dropArgs, sandboxArgs } from "../../../../../core/tools/sandbox/_bwrap_args.ts";
import { execInner } from "../../../../../core/tools/sandbox/_exec_init.ts";
import {
  gitGuard,
  systemLayout,
  writeSandboxEtc,
} from "../../../../../core/tools/sandbox/_host.ts";
import { processesWith } from "./_fixture.ts";

const LIMITS = { timeoutMs: 10000, maxOutputBytes: 65536 };

async function withSandbox(fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-exec-" });
  try {
    await using sandbox = await openSandbox(`${dir}/workspace`);
    assert.equal(sandbox.kind, "bwrap");
    await fn(sandbox);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("exec returns stdout, stderr and the exit code of sh -c", async () => {
  await withSandbox(async (sandbox) => {
    const result = await sandbox.exec("echo out; echo err >&2; exit 3", LIMITS);
    assert.deepEqual(result, {
      exitCode: 3,
      stdout: "out\n",
      stderr: "err\n",
      timedOut: false,
      truncated: false,
    });
  });
});

Deno.test("exec writes land in the workspace, owned by the sandbox's host uid", async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.exec("mkdir -p sub && echo made > sub/f.txt && echo tmp > /tmp/t", LIMITS);
    assert.equal(await Deno.readTextFile(`${sandbox.workspace}/sub/f.txt`), "made\n");
    const uid = (await Deno.stat(`${sandbox.workspace}/sub/f.txt`)).uid;
    assert.equal(uid, Deno.uid() === 0 ? 65534 : Deno.uid());
    const again = await sandbox.exec("cat /tmp/t", LIMITS);
    assert.match(again.stderr, /No such file/, "/tmp is private to each command");
  });
});

Deno.test("exec runs in the folder asked for, and refuses one outside the workspace", async () => {
  await withSandbox(async (sandbox) => {
    await Deno.mkdir(`${sandbox.workspace}/a/b`, { recursive: true });
    assert.equal((await sandbox.exec("pwd", { ...LIMITS, cwd: "a/b" })).stdout, "/work/a/b\n");
    assert.equal((await sandbox.exec("pwd", { ...LIMITS, cwd: "/a" })).stdout, "/work/a\n");
    const missing = await sandbox.exec("pwd", { ...LIMITS, cwd: "nope" });
    assert.notEqual(missing.exitCode, 0);
    assert.match(missing.stderr, /chdir/);
    await assert.rejects(
      sandbox.exec("pwd", { ...LIMITS, cwd: "../.." }),
      (error: unknown) => error instanceof SandboxError && error.code === "outside",
    );
  });
});

Deno.test("exec stops a command at its time limit and reports timedOut", async () => {
  await withSandbox(async (sandbox) => {
    const started = performance.now();
    const result = await sandbox.exec("echo started; sleep 30", { ...LIMITS, timeoutMs: 300 });
    assert.ok(performance.now() - started < 2000);
    assert.equal(result.timedOut, true);
    assert.equal(result.exitCode, null);
    assert.equal(result.stdout, "started\n");
  });
});

Deno.test("aborting exec kills the command and rejects with the signal's reason", async () => {
  const marker = `abort${crypto.randomUUID().slice(0, 8)}`;
  await withSandbox(async (sandbox) => {
    const controller = new AbortController();
    const running = sandbox.exec(`sleep 30; : ${marker}`, {
      ...LIMITS,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("stop")), 200);
    await assert.rejects(running, /stop/);
    assert.deepEqual(await processesWith(marker), []);
    await assert.rejects(
      sandbox.exec("true", { ...LIMITS, signal: controller.signal }),
      /stop/,
    );
  });
});

Deno.test("output past maxOutputBytes is cut on a character boundary", async () => {
  await withSandbox(async (sandbox) => {
    const result = await sandbox.exec("printf 'ééééé'", { ...LIMITS, maxOutputBytes: 5 });
    assert.equal(result.stdout, "éé");
    assert.equal(result.truncated, true);
  });
});

Deno.test("commands in one sandbox run one at a time, in the order they came", async () => {
  await withSandbox(async (sandbox) => {
    // Each checks that no other is running, then leaves a mark; side by side, one would see
    // another's `running` file.
    const step = (n: number) =>
      `[ -e running ] && echo overlap; touch running; echo ${n} >> order; sleep 0.2; rm running`;
    const results = await Promise.all([1, 2, 3].map((n) => sandbox.exec(step(n), LIMITS)));
    assert.deepEqual(results.map((r) => r.stdout), ["", "", ""]);
    const order = await sandbox.exec("cat order", LIMITS);
    assert.equal(order.stdout, "1\n2\n3\n");
  });
});

Deno.test("close kills the commands still running; exec after close is refused", async () => {
  await withSandbox(async (sandbox) => {
    const running = sandbox.exec("sleep 30", LIMITS);
    // Handled before close, which may end it at once (before or after it started the command).
    const refused = assert.rejects(running, /the sandbox was closed/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sandbox.close();
    await refused;
    await assert.rejects(sandbox.exec("true", LIMITS), SandboxError);
  });
});

Deno.test("a command does not run when a protected bind is not what the host checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-guard-" });
  try {
    await Deno.mkdir(`${dir}/ws/.git`, { recursive: true });
    await writeSandboxEtc(`${dir}/etc`);
    const system = await systemLayout();
    const view = {
      system,
      workspace: `${dir}/ws`,
      etcDir: `${dir}/etc`,
      readOnly: [".git"],
      deno: null,
      tmpBytes: 1 << 20,
      cwd: [],
      env: { PATH: "/usr/bin:/bin" },
    };
    const root = Deno.uid() === 0;
    if (root) {
      for (const path of [`${dir}/ws`, `${dir}/ws/.git`]) await Deno.chown(path, 65534, 65534);
    }
    const stage = root ? dropArgs(view, { uid: 65534, gid: 65534 }) : [];
    const guard = await gitGuard(`${dir}/ws`);
    for (const [seen, expected] of [[guard ?? "", 0], ["1:2", 125]] as const) {
      const inner = execInner("true", {
        limits: DEFAULT_SANDBOX_LIMITS,
        timeoutMs: 5000,
        binds: [{ path: ".git", id: seen }],
      });
      const output = await new Deno.Command("bwrap", {
        args: [...stage, ...sandboxArgs(view), "--as-pid-1", ...inner],
      }).output();
      assert.equal(output.code, expected, new TextDecoder().decode(output.stderr));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
