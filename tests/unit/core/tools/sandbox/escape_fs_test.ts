/**
 * The escape suite, file-tool side: paths and links through the real WorkspaceFs, which runs
 * inside the same bubblewrap view as exec. Links planted by a command (or found in a checkout)
 * resolve inside the sandbox, where the host does not exist, and the helper refuses any real path
 * outside /work, so even the sandbox's own system folders are out of reach.
 */
import assert from "node:assert/strict";
import { makeHome, quote, recorded, refused, run, withSandbox } from "./_fixture.ts";

const home = await makeHome();
const MAX = { maxBytes: 1 << 20 };

Deno.test("sandbox, files: read_file of absolute host paths reads inside the workspace, never the host", async () => {
  await withSandbox(home, async (sandbox) => {
    for (const path of ["/etc/passwd", "/etc/shadow", "/root/.bashrc", home.canaryFile]) {
      await refused(home, sandbox.fs.readText(path, MAX), "not_found");
    }
    await refused(home, sandbox.fs.list("/root"), "not_found");
  });
});

Deno.test("sandbox, files: `..` that leaves the workspace is refused, whatever it is wrapped in", async () => {
  await withSandbox(home, async (sandbox) => {
    for (
      const path of ["../canary.txt", "a/../../canary.txt", "./../../..", "/..", "x/./../../y"]
    ) {
      const error = await refused(home, sandbox.fs.readText(path, MAX), "outside");
      assert.equal(
        error.message,
        `Cannot read ${JSON.stringify(path)}: the path leaves the workspace`,
      );
    }
    await refused(home, sandbox.fs.writeText("../escape.txt", "x"), "outside");
    await refused(home, sandbox.fs.list(".."), "outside");
    await assert.rejects(Deno.lstat(`${home.dir}/escape.txt`), Deno.errors.NotFound);
  });
});

Deno.test("sandbox, files: percent-encoded and odd paths are names, not escapes", async () => {
  await withSandbox(home, async (sandbox) => {
    for (const path of ["%2e%2e/canary.txt", "..%2fcanary.txt", "%2E%2E%2F%2E%2E%2Fetc", "..\\x"]) {
      await refused(home, sandbox.fs.readText(path, MAX), "not_found");
    }
    await refused(home, sandbox.fs.readText("a\0b", MAX), "outside");
    await sandbox.fs.writeText("%2e%2e/inside.txt", "stays");
    assert.equal(await Deno.readTextFile(`${sandbox.workspace}/%2e%2e/inside.txt`), "stays");
  });
});

Deno.test("sandbox, files: links planted by exec to host files resolve to nothing", async () => {
  await withSandbox(home, async (sandbox) => {
    const relativeKey = `../${home.identityKey.slice(home.dir.length + 1)}`;
    await run(
      home,
      sandbox,
      `ln -s /etc/shadow shadow; ln -s ${quote(home.canaryFile)} canary; ` +
        `ln -s ${quote(home.identityKey)} key; ln -s ${quote(relativeKey)} relkey; ` +
        `ln -s ${quote(home.soulFile)} soul`,
    );
    for (const link of ["shadow", "canary", "key", "relkey", "soul"]) {
      await refused(home, sandbox.fs.readText(link, MAX), "outside");
      await refused(home, sandbox.fs.writeText(link, "overwritten"), "outside");
    }
    assert.match(await Deno.readTextFile(home.soulFile), /^# Soul /);
  });
});

Deno.test("sandbox, files: readBytes and writeBytes do not follow links planted by exec either", async () => {
  await withSandbox(home, async (sandbox) => {
    await run(
      home,
      sandbox,
      `ln -s ${quote(home.canaryFile)} canary; ln -s ${quote(home.identityKey)} key; ` +
        `ln -s ${quote(home.dir)} dir; ln -s /proc/self/environ env`,
    );
    for (const link of ["canary", "key", "dir/canary.txt", "env"]) {
      await refused(home, sandbox.fs.readBytes(link, MAX), "outside");
      await refused(home, sandbox.fs.writeBytes(link, new Uint8Array([0x41])), "outside");
    }
    await refused(home, sandbox.fs.readBytes("../canary.txt", MAX), "outside");
    await sandbox.fs.writeBytes("own.bin", new Uint8Array([0, 255]));
    const own = await sandbox.fs.readBytes("own.bin", MAX);
    home.seen.push(new TextDecoder().decode(own));
    assert.deepEqual(own, new Uint8Array([0, 255]));
    assert.equal(await Deno.readTextFile(home.canaryFile), `${home.canary}\n`);
  });
});

Deno.test("sandbox, files: links found in the workspace (a checkout) are refused the same way", async () => {
  await withSandbox(home, async (sandbox) => {
    for (const link of ["canary", "key", "dir"]) {
      await refused(home, sandbox.fs.readText(link, MAX), "outside");
    }
    await refused(home, sandbox.fs.readText("dir/canary.txt", MAX), "outside");
    await refused(home, sandbox.fs.list("dir"), "outside");
    const result = await run(home, sandbox, "cat canary key dir/canary.txt");
    assert.match(result.stderr, /No such file/);
  }, {
    setup: async (workspace) => {
      await Deno.symlink(home.canaryFile, `${workspace}/canary`);
      await Deno.symlink(home.identityKey, `${workspace}/key`);
      await Deno.symlink(home.dir, `${workspace}/dir`);
    },
  });
});

Deno.test("sandbox, files: links to the sandbox's own system folders are refused by the real-path check", async () => {
  await withSandbox(home, async (sandbox) => {
    await run(
      home,
      sandbox,
      "ln -s / root; ln -s /etc/passwd passwd; ln -s /usr/bin usrbin; ln -s /proc/self/root pr; " +
        "ln -s /proc/1/environ env1; ln -s /proc/self/environ envself",
    );
    for (
      const path of ["root/etc/passwd", "passwd", "usrbin/env", "pr/etc/passwd", "env1", "envself"]
    ) {
      await refused(home, sandbox.fs.readText(path, MAX), "outside");
    }
    for (const path of ["root", "usrbin", "pr", "pr/work/.."]) {
      await refused(home, sandbox.fs.list(path), "outside");
    }
    await refused(home, sandbox.fs.writeText("root/tmp/x", "x"), "outside");
  });
});

Deno.test("sandbox, files: a hard link made by exec can only point at workspace files", async () => {
  await withSandbox(home, async (sandbox) => {
    await sandbox.fs.writeText("own.txt", "own");
    const result = await run(home, sandbox, `ln ${quote(home.canaryFile)} hl; ln own.txt hl2; ls`);
    assert.deepEqual(result.stdout.trim().split("\n"), ["hl2", "own.txt"]);
    await refused(home, sandbox.fs.readText("hl", MAX), "not_found");
    assert.equal(await recorded(home, sandbox.fs.readText("hl2", MAX)), "own");
  });
});

Deno.test("class 3, planted files that run code: write_file cannot plant a git hook or rewrite .git", async () => {
  await withSandbox(home, async (sandbox) => {
    for (const path of [".git/hooks/pre-commit", ".git/config", "./.git/HEAD", "a/../.git/x"]) {
      const error = await refused(home, sandbox.fs.writeText(path, "evil"), "protected");
      assert.match(error.message, /"\.git" runs code when the owner uses the workspace/);
    }
    await run(home, sandbox, "ln -s .git g");
    await refused(home, sandbox.fs.writeText("g/hooks/post-checkout", "evil"), "protected");
    assert.deepEqual([...Deno.readDirSync(`${sandbox.workspace}/.git/hooks`)], []);
    assert.equal(await recorded(home, sandbox.fs.readText(".git/HEAD", MAX)), "ref: main\n");
  }, {
    setup: async (workspace) => {
      await Deno.mkdir(`${workspace}/.git/hooks`, { recursive: true });
      await Deno.writeTextFile(`${workspace}/.git/HEAD`, "ref: main\n");
    },
  });
});

Deno.test("class 3, planted files that run code: a .git link planted by a command leads nowhere, and is set aside", async () => {
  await withSandbox(home, async (sandbox) => {
    const planted = await run(home, sandbox, `ln -s ${quote(home.dir)} .git; ls .git/`);
    assert.match(planted.stderr, /No such file/);
    assert.equal(planted.setAside?.length, 1);
    const [aside = ""] = planted.setAside ?? [];
    assert.match(aside, /^\.git\.kafclaw-disabled-[0-9a-f]{6}$/);
    await refused(home, sandbox.fs.readText(`${aside}/canary.txt`, MAX), "outside");
    await refused(home, sandbox.fs.writeText(".git/hooks/pre-commit", "x"), "protected");
    assert.equal((await Deno.lstat(`${sandbox.workspace}/${aside}`)).isSymlink, true);
  });
});

Deno.test("sandbox, files: special files cannot stall the file tools", async () => {
  await withSandbox(home, async (sandbox) => {
    await run(home, sandbox, "mkfifo fifo; ln -s /dev/zero zero; ln -s /dev/tty tty");
    await refused(home, sandbox.fs.readText("fifo", MAX), "wrong_kind");
    await refused(home, sandbox.fs.readText("zero", MAX), "outside");
    await refused(home, sandbox.fs.readText("tty", MAX), "outside");
    const entries = await recorded(home, sandbox.fs.list("."));
    assert.deepEqual(entries.map((e) => [e.name, e.kind]), [
      ["fifo", "other"],
      ["tty", "symlink"],
      ["zero", "symlink"],
    ]);
  });
});

Deno.test("sandbox, files: list of / is the workspace, not the host's root", async () => {
  await withSandbox(home, async (sandbox) => {
    await sandbox.fs.writeText("a.txt", "a");
    const root = await recorded(home, sandbox.fs.list("/"));
    assert.deepEqual(root, [{ name: "a.txt", kind: "file", size: 1 }]);
    assert.deepEqual(await recorded(home, sandbox.fs.list(".")), root);
  });
});

Deno.test("sandbox, secrets: no file-tool result contained the canary", async () => {
  try {
    assert.ok(home.seen.length > 50, `only ${home.seen.length} results were recorded`);
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
