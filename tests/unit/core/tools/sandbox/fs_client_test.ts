/**
 * The host side of the file helper against helpers that die: a helper killed while idle, before
 * the client noticed, costs the next call nothing; one that dies on every request is an error
 * after a single retry, never a loop; one slow to start is waited for (a busy machine), up to the
 * start limits, not one request's.
 */
import assert from "node:assert/strict";
import { FsHelperClient } from "../../../../../core/tools/sandbox/_fs_client.ts";
import { SandboxError } from "../../../../../core/tools/sandbox/mod.ts";

/**
 * A helper speaking the file helper's lines: ready first (after `readyAfterMs`, as a helper
 * starting on a busy machine), then for each request either an answer (`"a"` for any read) or,
 * when `dies` is set, an exit with 137 (as a SIGKILL would leave it).
 */
function fakeHelper(dies: boolean, readyAfterMs = 0): Promise<Deno.ChildProcess> {
  const program = `
    const out = (v) => Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(v) + "\\n"));
    await new Promise((resolve) => setTimeout(resolve, ${readyAfterMs}));
    out({ ready: true });
    let pending = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      while (pending.includes("\\n")) {
        const line = pending.slice(0, pending.indexOf("\\n"));
        pending = pending.slice(pending.indexOf("\\n") + 1);
        if (${dies}) Deno.exit(137);
        out({ id: JSON.parse(line).id, ok: true, value: "a" });
      }
    }`;
  return Promise.resolve(
    new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", program],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

Deno.test("a helper that ended before the call is replaced, and the call answered", async () => {
  const spawned: boolean[] = [];
  // The first helper dies at its first request: the state of a helper killed while idle.
  const client = new FsHelperClient(() => {
    const dies = spawned.length === 0;
    spawned.push(dies);
    return fakeHelper(dies);
  }, { timeoutMs: 30_000 });
  try {
    assert.equal(await client.readText("a.txt", { maxBytes: 100 }), "a");
    assert.deepEqual(spawned, [true, false]);
    assert.equal(await client.readText("a.txt", { maxBytes: 100 }), "a");
    assert.equal(spawned.length, 2, "a live helper is kept");
  } finally {
    await client.close();
  }
});

Deno.test("a helper that dies at every request is an error after one retry", async () => {
  let spawns = 0;
  const client = new FsHelperClient(() => {
    spawns++;
    return fakeHelper(true);
  }, { timeoutMs: 30_000 });
  try {
    const error = await client.writeText("a.txt", "x").then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SandboxError, String(error));
    assert.equal(error.name, "SandboxError");
    assert.match(
      error.message,
      /^Cannot write "a\.txt": the file helper stopped \(exit code 137\)/,
    );
    assert.equal(spawns, 2);
  } finally {
    await client.close();
  }
});

Deno.test("a helper slow to start is waited for, beyond one request's limit", async () => {
  // Each request may take 2 s (ample for an answer, even on a loaded machine); the helper needs
  // twice that to start, as on a busy machine.
  const patient = new FsHelperClient(() => fakeHelper(false, 4000), {
    timeoutMs: 2000,
    startLimitsMs: [2000, 60000],
  });
  try {
    assert.equal(await patient.readText("a.txt", { maxBytes: 10 }), "a");
  } finally {
    await patient.close();
  }
  const hasty = new FsHelperClient(() => fakeHelper(false, 60000), {
    timeoutMs: 50,
    startLimitsMs: [300],
  });
  try {
    await assert.rejects(
      hasty.readText("a.txt", { maxBytes: 10 }),
      new RegExp(
        '^SandboxError: Cannot read "a\\.txt": the file helper did not say it was ready: its ' +
          "start timed out after 300 ms; the machine may be too busy$",
      ),
    );
  } finally {
    await hasty.close();
  }
});
