/**
 * The file helper started the compiled way (`<binary> __kafclaw-fs-helper <config>`), end to end,
 * under bubblewrap and under the fallback. `deno compile` cannot run here (it downloads its
 * runtime), so stand-ins play the binary: each is named `kafclaw` (so the sandbox takes it for a
 * compiled binary) and runs the bundle of main.ts (the module graph `deno compile` embeds) with
 * the compile set's permission flags, all of them, as a compiled binary holds them.
 *
 * - For the fallback, a shell script that execs the Deno CLI on the bundle.
 * - Under bubblewrap the helper's binary is bound into the sandbox alone, where neither the Deno
 *   CLI nor the bundle exists; so that stand-in is one file, as the binary is: a shell header
 *   followed by the Deno runtime and the bundle, which it unpacks into the sandbox's /tmp.
 */
import assert from "node:assert/strict";
import { COMPILE_SET, denoFlags } from "../../../../../core/permissions/mod.ts";
import { FS_HELPER_ARG, openSandbox, type Sandbox } from "../../../../../core/tools/sandbox/mod.ts";
import {
  makeHome,
  processesWith,
  recorded,
  refused,
  TEST_LIMITS,
  withSandbox,
} from "./_fixture.ts";

const REPO = new URL("../../../../../", import.meta.url).pathname;
const MAX = { maxBytes: 1 << 20 };
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
/** Room in the sandbox's /tmp for the one-file stand-in to unpack the Deno runtime. */
const UNPACK_LIMITS = { ...TEST_LIMITS, tmpBytes: 512 * 1024 * 1024 };

const home = await makeHome();
const standIns = await makeStandIns();

/** The two stand-ins, in a folder of their own (removed when this file's tests end). */
async function makeStandIns(): Promise<{ script: string; oneFile: string; bundle: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-compiled-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* removed already */ }
  });
  const bundle = `${dir}/kafclaw.bundle.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "main.ts", "-o", bundle],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(built.success, new TextDecoder().decode(built.stderr));
  const flags = denoFlags(COMPILE_SET).map(quote).join(" ");
  const run = `run --no-config --no-lock --no-prompt --quiet ${flags}`;

  await Deno.mkdir(`${dir}/script`);
  const script = `${dir}/script/kafclaw`;
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\nexec ${quote(Deno.execPath())} ${run} ${quote(bundle)} "$@"\n`,
    { mode: 0o755 },
  );

  // Offsets padded to a fixed width, so the header's length does not depend on them.
  const runtime = await Deno.readFile(Deno.execPath());
  const code = await Deno.readFile(bundle);
  const pad = (n: number) => String(n).padStart(12, "0");
  const header = (start: number) =>
    `#!/bin/sh\nset -eu\ndir=$(mktemp -d)\n` +
    `tail -c +${pad(start)} "$0" | head -c ${pad(runtime.length)} > "$dir/deno"\n` +
    `tail -c +${pad(start + runtime.length)} "$0" > "$dir/kafclaw.js"\n` +
    `chmod 0700 "$dir/deno"\nexec "$dir/deno" ${run} "$dir/kafclaw.js" "$@"\nexit 127\n`;
  const encode = (text: string) => new TextEncoder().encode(text);
  const head = encode(header(encode(header(0)).length + 1));
  await Deno.mkdir(`${dir}/one-file`);
  const oneFile = `${dir}/one-file/kafclaw`;
  const file = await Deno.open(oneFile, { write: true, createNew: true, mode: 0o755 });
  try {
    for (const part of [head, runtime, code]) {
      for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
    }
  } finally {
    file.close();
  }
  await Deno.chmod(oneFile, 0o755);
  return { script, oneFile, bundle };
}

/**
 * Write, read and list through the helper, then links to host files and folders and to the
 * sandbox's own /tmp (where, under bubblewrap, the stand-in unpacked itself): all refused, none
 * followed, and the canary file unchanged.
 */
async function exercise(sandbox: Sandbox): Promise<void> {
  await sandbox.fs.writeText("notes/today.md", "# Today\n");
  assert.equal(await Deno.readTextFile(`${sandbox.workspace}/notes/today.md`), "# Today\n");
  assert.equal(await recorded(home, sandbox.fs.readText("notes/today.md", MAX)), "# Today\n");
  await sandbox.fs.writeBytes("bin/x.bin", new Uint8Array([0, 255]));
  assert.deepEqual(await sandbox.fs.readBytes("bin/x.bin", MAX), new Uint8Array([0, 255]));
  assert.deepEqual(await recorded(home, sandbox.fs.list("")), [
    { name: "bin", kind: "dir", size: 0 },
    { name: "canary", kind: "symlink", size: 0 },
    { name: "home", kind: "symlink", size: 0 },
    { name: "notes", kind: "dir", size: 0 },
    { name: "tmp", kind: "symlink", size: 0 },
  ]);
  assert.deepEqual(await recorded(home, sandbox.fs.list("notes")), [
    { name: "today.md", kind: "file", size: 8 },
  ]);

  await refused(home, sandbox.fs.readText("canary", MAX), "outside");
  await refused(home, sandbox.fs.writeText("canary", "overwritten"), "outside");
  await refused(home, sandbox.fs.readText("home/canary.txt", MAX), "outside");
  await refused(home, sandbox.fs.list("home"), "outside");
  await refused(home, sandbox.fs.writeText("home/planted.txt", "x"), "outside");
  await refused(home, sandbox.fs.list("tmp"), "outside");
  await refused(home, sandbox.fs.writeText("tmp/planted.txt", "x"), "outside");
  await refused(home, sandbox.fs.readText("../canary.txt", MAX), "outside");
  assert.equal(await Deno.readTextFile(home.canaryFile), `${home.canary}\n`);
  await assert.rejects(Deno.lstat(`${home.dir}/planted.txt`), Deno.errors.NotFound);
  await assert.rejects(Deno.lstat("/tmp/planted.txt"), Deno.errors.NotFound);
}

/** Links planted in the workspace before the sandbox opens (as a checkout might hold them). */
async function plantLinks(workspace: string): Promise<void> {
  await Deno.symlink(home.canaryFile, `${workspace}/canary`);
  await Deno.symlink(home.dir, `${workspace}/home`);
  await Deno.symlink("/tmp", `${workspace}/tmp`);
}

/** The helper processes running now whose command line holds every one of `parts`. */
async function helpersWith(...parts: string[]): Promise<string[]> {
  const found = await processesWith(FS_HELPER_ARG);
  return found.map((p) => p.args).filter((args) => parts.every((part) => args.includes(part)));
}

Deno.test("under bubblewrap a compiled binary is bound alone and serves the file tools", async () => {
  await withSandbox(home, async (sandbox) => {
    await exercise(sandbox);
    // bwrap binds the stand-in, then runs it by its path inside with the reserved argument.
    const started = await helpersWith(
      `--ro-bind ${standIns.oneFile} /kafclaw/deno`,
      `/kafclaw/deno ${FS_HELPER_ARG} {"root":"/work"`,
    );
    assert.ok(started.length > 0, "the helper was not started the compiled way");
    for (const args of started) assert.ok(!args.includes("data:text/javascript"), args);
  }, { denoPath: standIns.oneFile, limits: UNPACK_LIMITS, setup: plantLinks });
});

Deno.test("without bubblewrap a compiled binary serves the file tools and refuses links out", async () => {
  const workspace = home.workspace();
  await Deno.mkdir(workspace, { mode: 0o700 });
  await plantLinks(workspace);
  await using sandbox = await openSandbox(workspace, {
    prefer: "worker",
    denoPath: standIns.script,
    limits: TEST_LIMITS,
  });
  assert.equal(sandbox.kind, "worker");
  await exercise(sandbox);
  // The script execs the Deno CLI on the bundle, with the reserved argument passed through.
  const started = await helpersWith(
    `${standIns.bundle} ${FS_HELPER_ARG} {"root":${JSON.stringify(sandbox.workspace)}`,
  );
  assert.equal(started.length, 1, "the helper was not started the compiled way");
  assert.match(
    started[0]!,
    / run --no-config --no-lock --no-prompt --quiet --allow-read --allow-write --allow-net /,
  );
});

Deno.test("no result of the compiled helper contained the canary", async () => {
  try {
    assert.ok(home.seen.length >= 20, `only ${home.seen.length} results were recorded`);
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
