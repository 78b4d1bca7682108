/**
 * WorkspaceFs behaviour, the same for both kinds: `bwrap` (the helper inside bubblewrap) and
 * `worker` (the permission-narrowed helper without it).
 */
import assert from "node:assert/strict";
import {
  openSandbox,
  type Sandbox,
  SandboxError,
  type SandboxErrorCode,
  type SandboxOptions,
} from "../../../../../core/tools/sandbox/mod.ts";
import { processesWith } from "./_fixture.ts";
import { waitFor } from "../../../../_support/wait.ts";

const MAX = { maxBytes: 1 << 20 };

/** Registers one test per kind. */
function withBoth(
  name: string,
  fn: (sandbox: Sandbox) => Promise<void>,
  options: SandboxOptions = {},
): void {
  for (const prefer of ["bwrap", "worker"] as const) {
    Deno.test(`${name} (${prefer})`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "kafclaw-fs-" });
      try {
        await using sandbox = await openSandbox(`${dir}/workspace`, { prefer, ...options });
        assert.equal(sandbox.kind, prefer);
        await fn(sandbox);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

async function refusal(operation: Promise<unknown>, code: SandboxErrorCode): Promise<string> {
  const error = await operation.then(() => null, (error: unknown) => error);
  assert.ok(error instanceof SandboxError, `expected a SandboxError (${code}), got ${error}`);
  assert.equal(error.code, code, error.message);
  return error.message;
}

withBoth("writeText then readText returns the same text, folders created", async (sb) => {
  const text = "héllo wörld ✓\nline 2\n";
  await sb.fs.writeText("deep/er/file.md", text);
  assert.equal(await sb.fs.readText("deep/er/file.md", MAX), text);
  assert.equal(await sb.fs.readText("/deep/./er/../er/file.md", MAX), text);
  assert.equal(await Deno.readTextFile(`${sb.workspace}/deep/er/file.md`), text);
});

withBoth(
  "writeText replaces atomically, keeps the mode and leaves no temp file",
  async (sb) => {
    await Deno.writeTextFile(`${sb.workspace}/run.sh`, "old");
    await Deno.chmod(`${sb.workspace}/run.sh`, 0o750);
    if (Deno.uid() === 0) await Deno.chown(`${sb.workspace}/run.sh`, 65534, 65534);
    await sb.fs.writeText("run.sh", "new");
    assert.equal(await Deno.readTextFile(`${sb.workspace}/run.sh`), "new");
    assert.equal((await Deno.stat(`${sb.workspace}/run.sh`)).mode! & 0o777, 0o750);
    assert.deepEqual([...Deno.readDirSync(sb.workspace)].map((e) => e.name), ["run.sh"]);
  },
);

withBoth("a refused write leaves the old file as it was", async (sb) => {
  await sb.fs.writeText("keep.txt", "old");
  await refusal(sb.fs.writeText("keep.txt", "x".repeat(2048)), "too_large");
  await refusal(sb.fs.writeText("keep.txt/child", "x"), "wrong_kind");
  assert.equal(await sb.fs.readText("keep.txt", MAX), "old");
  assert.deepEqual((await sb.fs.list(".")).map((e) => e.name), ["keep.txt"]);
}, { limits: { fileSizeBytes: 1024 } });

withBoth("readText refuses a file over maxBytes and says how large it is", async (sb) => {
  await sb.fs.writeText("big.txt", "x".repeat(100));
  const message = await refusal(sb.fs.readText("big.txt", { maxBytes: 10 }), "too_large");
  assert.equal(message, `Cannot read "big.txt": the file has 100 bytes, more than the limit of 10`);
  assert.equal((await sb.fs.readText("big.txt", { maxBytes: 100 })).length, 100);
});

withBoth("errors say what and where: missing, folder, file, root", async (sb) => {
  await sb.fs.writeText("dir/a.txt", "a");
  assert.equal(
    await refusal(sb.fs.readText("nope.txt", MAX), "not_found"),
    `Cannot read "nope.txt": no such file or folder in the workspace`,
  );
  await refusal(sb.fs.readText("dir", MAX), "wrong_kind");
  await refusal(sb.fs.list("dir/a.txt"), "wrong_kind");
  await refusal(sb.fs.writeText("/", "x"), "wrong_kind");
  await refusal(sb.fs.writeText("dir", "x"), "wrong_kind");
  await refusal(sb.fs.list("missing"), "not_found");
});

withBoth("list gives names, kinds and sizes, sorted", async (sb) => {
  await sb.fs.writeText("b.txt", "12345");
  await sb.fs.writeText("a/x.txt", "x");
  await Deno.symlink("b.txt", `${sb.workspace}/link`);
  assert.deepEqual(await sb.fs.list("."), [
    { name: "a", kind: "dir", size: 0 },
    { name: "b.txt", kind: "file", size: 5 },
    { name: "link", kind: "symlink", size: 0 },
  ]);
});

withBoth("links inside the workspace are followed for reads and writes", async (sb) => {
  await sb.fs.writeText("real/target.txt", "one");
  await Deno.symlink("real/target.txt", `${sb.workspace}/alias`);
  await Deno.symlink("real", `${sb.workspace}/dir-alias`);
  assert.equal(await sb.fs.readText("alias", MAX), "one");
  await sb.fs.writeText("alias", "two");
  await sb.fs.writeText("dir-alias/more.txt", "three");
  assert.equal(await Deno.readTextFile(`${sb.workspace}/real/target.txt`), "two");
  assert.equal(await Deno.readTextFile(`${sb.workspace}/real/more.txt`), "three");
  assert.ok((await Deno.lstat(`${sb.workspace}/alias`)).isSymlink);
});

withBoth("a link to a host file is refused, even where the agent may read it", async (sb) => {
  const outside = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(outside, "host secret");
    await Deno.symlink(outside, `${sb.workspace}/host`);
    await refusal(sb.fs.readText("host", MAX), "outside");
    await refusal(sb.fs.writeText("host", "x"), "outside");
    assert.equal(await Deno.readTextFile(outside), "host secret");
  } finally {
    await Deno.remove(outside);
  }
});

withBoth("the file helper is started again after it died", async (sb) => {
  await sb.fs.writeText("a.txt", "a");
  // This sandbox's helper only (bubblewrap's command line holds the workspace and the helper's):
  // other sandboxes, of other tests running meanwhile, keep theirs.
  const ours = async () =>
    (await processesWith("data:text/javascript")).filter((p) => p.args.includes(sb.workspace));
  const helpers = await ours();
  assert.ok(helpers.length > 0, "the helper runs");
  for (const helper of helpers) {
    try {
      Deno.kill(helper.pid, "SIGKILL");
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const killed = new Set(helpers.map((p) => p.pid));
  await waitFor(async () => (await ours()).every((p) => !killed.has(p.pid)), "the helper to die");
  assert.equal(await sb.fs.readText("a.txt", MAX), "a");
});

withBoth("calls after close are refused", async (sb) => {
  await sb.close();
  await refusal(sb.fs.readText("a.txt", MAX), "failed");
});
