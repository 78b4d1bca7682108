/** openSandbox and probeSandbox: choosing the kind, preparing the workspace, doctor's answer. */
import assert from "node:assert/strict";
import {
  openSandbox,
  probeSandbox,
  resolveSandboxOptions,
  SandboxError,
  WorkerSandbox,
} from "../../../../../core/tools/sandbox/mod.ts";
import { explainFailure } from "../../../../../core/tools/sandbox/probe.ts";
import { needsAdoption } from "../../../../../core/tools/sandbox/_host.ts";

Deno.test("probeSandbox finds bubblewrap working here and says how it runs", async () => {
  const probe = await probeSandbox();
  assert.equal(probe.available, true, `${probe.reason} ${probe.hint}`);
  assert.match(probe.reason, /^bubblewrap \d+\.\d+\.\d+ confines commands and file tools/);
  assert.match(probe.reason, Deno.uid() === 0 ? /dropping from root to uid 65534/ : /no network/);
  assert.equal(probe.hint, null);
});

Deno.test("probe failures name the cause and the fix", async () => {
  const missing = await explainFailure("Cannot start bubblewrap: bwrap is not installed");
  assert.equal(missing.reason, "bubblewrap (bwrap) is not installed");
  assert.match(missing.hint ?? "", /apt-get install bubblewrap/);
  const userns = await explainFailure(
    "Cannot start bubblewrap: bwrap: setting up uid map: Permission denied",
  );
  assert.equal(userns.available, false);
  assert.equal(userns.reason, "bwrap: setting up uid map: Permission denied");
  assert.match(userns.hint ?? "", /apparmor_restrict_unprivileged_userns=0/);
  assert.match(userns.hint ?? "", /unprivileged_userns_clone=1/);
  const prlimit = await explainFailure(
    "Cannot start bubblewrap: bwrap: execvp prlimit: No such file or directory",
  );
  assert.match(prlimit.hint ?? "", /util-linux/);
  const bash = await explainFailure(
    "Cannot start bubblewrap: bwrap: execvp bash: No such file or directory",
  );
  assert.match(bash.hint ?? "", /^Install bash/);
});

Deno.test("openSandbox creates a missing workspace 0700 and refuses a file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-open-" });
  try {
    await using sandbox = await openSandbox(`${dir}/new/workspace`);
    assert.equal(sandbox.workspace, `${await Deno.realPath(dir)}/new/workspace`);
    assert.equal((await Deno.stat(sandbox.workspace)).mode! & 0o777, 0o700);
    await Deno.writeTextFile(`${dir}/file`, "");
    await assert.rejects(
      openSandbox(`${dir}/file`),
      (error: unknown) => error instanceof SandboxError && error.code === "wrong_kind",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("as root, the workspace is handed to the sandbox's uid, hard-linked files excepted", {
  ignore: Deno.uid() !== 0,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-adopt-" });
  try {
    const workspace = `${dir}/workspace`;
    await Deno.mkdir(`${workspace}/sub`, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(`${workspace}/sub/root.txt`, "root's", { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/outside.txt`, "outside", { mode: 0o600 });
    await Deno.link(`${dir}/outside.txt`, `${workspace}/hard.txt`);
    await Deno.symlink(`${dir}/outside.txt`, `${workspace}/soft`);
    await using sandbox = await openSandbox(workspace, { uid: 4321, gid: 4322 });
    for (const path of ["", "/sub", "/sub/root.txt"]) {
      const info = await Deno.lstat(`${workspace}${path}`);
      assert.deepEqual([info.uid, info.gid], [4321, 4322], path);
    }
    assert.equal((await Deno.lstat(`${workspace}/soft`)).uid, 4321);
    assert.equal((await Deno.stat(`${dir}/outside.txt`)).uid, 0, "the link target keeps its owner");
    const result = await sandbox.exec("cat sub/root.txt && echo more >> sub/root.txt && id -u", {
      timeoutMs: 5000,
      maxOutputBytes: 1000,
    });
    assert.equal(result.stdout, "root's65534\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("as root, a refused hand-over leaves every owner as it was and falls back, saying why", {
  ignore: Deno.uid() !== 0,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-adopt-" });
  try {
    const workspace = `${dir}/workspace`;
    await Deno.mkdir(workspace, { mode: 0o700 });
    await Deno.writeTextFile(`${workspace}/root.txt`, "root's", { mode: 0o600 });
    const asked: string[] = [];
    await using sandbox = await openSandbox(workspace, {
      uid: 4321,
      handOver: (ws) => (asked.push(ws), Promise.resolve("the owner said no")),
    });
    assert.deepEqual(asked, [await Deno.realPath(workspace)]);
    assert.ok(sandbox instanceof WorkerSandbox);
    assert.equal(sandbox.reason, "the owner said no");
    for (const path of ["", "/root.txt"]) {
      assert.equal((await Deno.lstat(`${workspace}${path}`)).uid, 0, path);
    }
    assert.equal(
      await sandbox.fs.readText("root.txt", { maxBytes: 100 }),
      "root's",
      "the file tools still work",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "as root, a workspace handed over before is only looked at, and what was added since is handed over",
  {
    ignore: Deno.uid() !== 0,
  },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "kafclaw-adopt-" });
    try {
      const workspace = `${dir}/workspace`;
      const owner = { uid: 4321, gid: 4322 };
      await Deno.mkdir(`${workspace}/sub`, { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(`${dir}/outside.txt`, "outside", { mode: 0o600 });
      await Deno.link(`${dir}/outside.txt`, `${workspace}/hard.txt`);
      await (await openSandbox(workspace, owner)).close();
      assert.equal(needsAdoption(workspace, owner), false, "handed over, the hard link excepted");
      await Deno.writeTextFile(`${workspace}/sub/new.txt`, "root's", { mode: 0o600 });
      assert.equal(needsAdoption(workspace, owner), true, "a file of root's");
      await (await openSandbox(workspace, owner)).close();
      assert.equal((await Deno.lstat(`${workspace}/sub/new.txt`)).uid, 4321);
      assert.equal(needsAdoption(workspace, owner), false);
      await Deno.symlink("/etc/passwd", `${workspace}/sub/link`);
      assert.equal(needsAdoption(workspace, owner), true, "a link of root's");
      await Deno.chown(`${workspace}/sub/link`, 4321, 4321);
      assert.equal(needsAdoption(workspace, owner), true, "the wrong group");
      assert.equal(
        needsAdoption(`${dir}/missing`, owner),
        true,
        "what it cannot read, it leaves to chown",
      );
      assert.equal((await Deno.stat(`${dir}/outside.txt`)).uid, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("prefer: worker opens the fallback even where bubblewrap works", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-open-" });
  try {
    await using sandbox = await openSandbox(dir, { prefer: "worker" });
    assert.equal(sandbox.kind, "worker");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandbox options are checked and filled once", () => {
  const config = resolveSandboxOptions({ limits: { processes: 10 }, uid: 1000 });
  assert.equal(config.limits.processes, 10);
  assert.equal(config.limits.tmpBytes, 64 * 1024 * 1024);
  assert.deepEqual([config.uid, config.gid], [1000, 1000]);
  assert.equal(config.prefer, "bwrap");
  assert.equal(config.unsandboxed, false);
  assert.throws(
    () => resolveSandboxOptions({ limits: { memoryBytes: -1 } }),
    new RangeError("Cannot use sandbox option limits.memoryBytes: -1 is not a positive integer"),
  );
  assert.throws(() => resolveSandboxOptions({ uid: 0 }), RangeError);
});

Deno.test("as root, a file helper the sandbox's uid cannot run leaves bubblewrap, saying why", {
  ignore: Deno.uid() !== 0 || Deno.build.os !== "linux",
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-helper-mode-" });
  try {
    // A Deno installed under umask 077: only root may run it; the file helper runs as 65534.
    await Deno.writeTextFile(`${dir}/deno`, "#!/bin/sh\n", { mode: 0o700 });
    await Deno.chmod(`${dir}/deno`, 0o700);
    await using sandbox = await openSandbox(`${dir}/workspace`, { denoPath: `${dir}/deno` });
    assert.ok(sandbox instanceof WorkerSandbox);
    assert.equal(
      sandbox.reason,
      `Cannot start the file helper: "${dir}/deno" cannot be run by uid 65534 ` +
        "(mode 0700; chmod a+rx makes it runnable)",
    );
    await Deno.chmod(`${dir}/deno`, 0o755);
    await using runnable = await openSandbox(`${dir}/workspace`, { denoPath: `${dir}/deno` });
    assert.equal(runnable.kind, "bwrap");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
