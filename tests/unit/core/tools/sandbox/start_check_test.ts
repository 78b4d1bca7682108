/**
 * A slow start is not a missing bubblewrap: a start check that ran out of time (simulated here by
 * a first limit of 1 ms, which no bubblewrap start meets) is tried again under the next limit,
 * and the sandbox opens as `bwrap`, exec on; only when every limit times out does it give up,
 * saying it timed out. Bubblewrap's own refusal is not retried. The same holds for the MCP
 * wrapper's check, for `doctor`'s probe, and for a file helper slow to say it is ready (fs_client_test.ts).
 */
import assert from "node:assert/strict";
import { openSandbox, probeSandbox } from "../../../../../core/tools/sandbox/mod.ts";
import { bwrapMcpWrapper } from "../../../../../core/tools/sandbox/mod.ts";
import { SandboxError } from "../../../../../core/tools/sandbox/types.ts";
import { WorkerSandbox } from "../../../../../core/tools/sandbox/worker_sandbox.ts";
import { resolveSandboxOptions } from "../../../../../core/tools/sandbox/options.ts";
import { checkPatiently, timedOutReason } from "../../../../../core/tools/sandbox/_start_check.ts";

const LINUX = Deno.build.os === "linux";
/** A first limit no start meets, then one any start meets. */
const SLOW_FIRST = [1, 60000];
const EXEC = { timeoutMs: 30000, maxOutputBytes: 1000 };

/** Opens the sandbox of `dir`/ws with these start limits and this probe cache. */
const openIn = (dir: string, cache: string, startLimitsMs?: number[]) =>
  openSandbox(`${dir}/ws`, { probeCache: cache, ...(startLimitsMs ? { startLimitsMs } : {}) });

/** Runs `fn` with a scratch folder (0755) and a probe cache file in it, then removes both. */
async function scratch(fn: (dir: string, cache: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-start-check-" });
  try {
    await Deno.chmod(dir, 0o755);
    await fn(dir, `${dir}/cache/sandbox.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a check is tried again only while it times out, under each limit in turn", async () => {
  const limits: number[] = [];
  const outcomes = [{ timedOut: true, code: null }, { timedOut: false, code: 0 }];
  const found = await checkPatiently([5, 7, 9], (ms) => {
    limits.push(ms);
    return Promise.resolve(outcomes[limits.length - 1]!);
  });
  assert.deepEqual(limits, [5, 7]);
  assert.deepEqual(found, { timedOut: false, code: 0 });

  limits.length = 0;
  const refused = await checkPatiently([5, 7], (ms) => {
    limits.push(ms);
    return Promise.resolve({ timedOut: false, code: 1 });
  });
  assert.deepEqual(limits, [5], "an error exit is an answer: no second try");
  assert.equal(refused.code, 1);

  limits.length = 0;
  const slow = await checkPatiently([5, 7], (ms) => {
    limits.push(ms);
    return Promise.resolve({ timedOut: true });
  });
  assert.deepEqual(limits, [5, 7]);
  assert.equal(slow.timedOut, true);
  assert.equal(
    timedOutReason("running `true`", [10000, 50000]),
    "running `true` timed out after 60 s (2 tries: 10 s, then 50 s); the machine may be too busy",
  );
  assert.throws(() => resolveSandboxOptions({ startLimitsMs: [] }), /startLimitsMs/);
  assert.throws(() => resolveSandboxOptions({ startLimitsMs: [10, 0] }), /positive integers/);
  assert.deepEqual(resolveSandboxOptions().startLimitsMs, [10000, 50000]);
});

Deno.test({
  name: "a bubblewrap check that timed out is tried again: the sandbox stays bwrap, exec on",
  ignore: !LINUX,
  async fn() {
    await scratch(async (dir, cache) => {
      await using sandbox = await openIn(dir, cache, SLOW_FIRST);
      assert.equal(sandbox.kind, "bwrap", (sandbox as WorkerSandbox).reason);
      assert.equal((await sandbox.exec("echo confined", EXEC)).stdout, "confined\n");
      assert.ok(
        (await Deno.stat(cache)).isFile,
        "the check that passed on its retry is remembered",
      );
    });
  },
});

Deno.test({
  name: "a bubblewrap check that times out every time falls back, saying it timed out",
  ignore: !LINUX,
  async fn() {
    await scratch(async (dir, cache) => {
      await using sandbox = await openIn(dir, cache, [1]);
      assert.ok(sandbox instanceof WorkerSandbox);
      assert.equal(
        sandbox.reason,
        "Cannot start bubblewrap: running `true` in the sandbox timed out after 1 ms; the " +
          "machine may be too busy",
      );
      await assert.rejects(Deno.stat(cache), Deno.errors.NotFound, "a timeout is not remembered");
      // A working bubblewrap remembered before is not forgotten by a slow moment: no check runs.
      await (await openIn(dir, cache)).close();
      await using again = await openIn(dir, cache, [1]);
      assert.equal(again.kind, "bwrap");
      assert.ok((await Deno.stat(cache)).isFile);
    });
  },
});

Deno.test({
  name: "doctor's probe waits out a slow start, and says so when it gives up",
  ignore: !LINUX,
  async fn() {
    const patient = await probeSandbox({ startLimitsMs: SLOW_FIRST });
    assert.equal(patient.available, true, `${patient.reason} ${patient.hint}`);
    const hasty = await probeSandbox({ startLimitsMs: [1] });
    assert.equal(hasty.available, false);
    assert.match(hasty.reason, /^running `true` in the sandbox timed out after 1 ms/);
    assert.match(hasty.hint ?? "", /too busy for bubblewrap to start in time/);
  },
});

Deno.test({
  name: "the MCP wrapper's check waits out a slow start, and says so when it gives up",
  ignore: !LINUX,
  async fn() {
    await scratch(async (dir) => {
      const wrapper = await bwrapMcpWrapper({ stateDir: `${dir}/a`, startLimitsMs: SLOW_FIRST });
      const grants = { read: [], write: [], network: false, env: {} };
      assert.equal(await wrapper.canStart("sh", grants), undefined);
      const error = await bwrapMcpWrapper({ stateDir: `${dir}/b`, startLimitsMs: [1] })
        .then(() => null, (e: unknown) => e);
      assert.ok(error instanceof SandboxError, String(error));
      assert.equal(error.code, "unavailable");
      assert.match(error.message, /a shell in the MCP sandbox timed out after 1 ms/);
    });
  },
});
