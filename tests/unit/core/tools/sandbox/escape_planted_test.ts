/**
 * The escape suite, class 3 of step 5 ("a planted repository runs code on the host later"): no
 * tool may create or change a `.git` at any depth, nor any other file that runs code when the
 * owner later uses the workspace (hooks, git config, `.gitattributes`, `.gitmodules`, `.envrc`,
 * editor folders, a folder git takes for a bare repository). File tools refuse them; a command
 * finds the owner's read-only and has what it planted set aside when it ends. The last test asks
 * the owner's own git, with a planted fsmonitor, whether anything ran.
 */
import assert from "node:assert/strict";
import type { Sandbox } from "../../../../../core/tools/sandbox/mod.ts";
import { makeHome, plantedOnHost, quote, recorded, refused, run, withSandbox } from "./_fixture.ts";

const home = await makeHome();
const CLASS = "class 3, planted files that run code";

/** A nested repository of the owner's: `proj/.git` with a hook folder and a config. */
async function ownerRepo(workspace: string): Promise<void> {
  await Deno.mkdir(`${workspace}/proj/.git/hooks`, { recursive: true });
  await Deno.mkdir(`${workspace}/proj/.git/objects`);
  await Deno.mkdir(`${workspace}/proj/.git/refs`);
  await Deno.writeTextFile(`${workspace}/proj/.git/HEAD`, "ref: refs/heads/main\n");
  await Deno.writeTextFile(`${workspace}/proj/.git/config`, "[core]\n\tbare = false\n");
  await Deno.writeTextFile(`${workspace}/proj/README.md`, "owner's\n");
}

/** Each path must be refused to write_file, and nothing planted may be left. */
async function writesRefused(sandbox: Sandbox, paths: readonly string[]) {
  for (const path of paths) await write(sandbox, path);
  assert.deepEqual(await plantedOnHost(sandbox.workspace), []);
}

/** Runs `command`; `count` entries must have been set aside, and none may be left planted. */
async function setAsideAfter(sandbox: Sandbox, command: string, count: number) {
  const result = await run(home, sandbox, command);
  assert.equal(result.setAside?.length, count, JSON.stringify(result.setAside));
  assert.deepEqual(await plantedOnHost(sandbox.workspace), []);
  return result;
}

const write = (sandbox: { fs: { writeText(p: string, c: string): Promise<void> } }, path: string) =>
  refused(
    home,
    sandbox.fs.writeText(path, "[core]\n\tfsmonitor = touch /tmp/pwned\n"),
    "protected",
  );

Deno.test(`${CLASS}: write_file cannot create a .git at any depth`, async () => {
  await withSandbox(home, async (sandbox) => {
    await writesRefused(sandbox, [
      "sub/.git/config",
      "a/b/.git/hooks/pre-commit",
      "deep/x/y/z/.git",
      ".git",
    ]);
  });
});

Deno.test(`${CLASS}: write_file refuses .git however it is spelt`, async () => {
  await withSandbox(home, async (sandbox) => {
    await writesRefused(sandbox, [
      ".GIT/config",
      "x/.Git/HEAD",
      "y/.git./config",
      "y/.git /config",
      "z/git~1/config",
      "h/.g\u200cit/config",
      "h/\ufeff.git/config",
    ]);
  });
});

Deno.test(`${CLASS}: write_file refuses hooks and config of the owner's nested repository`, async () => {
  await withSandbox(home, async (sandbox) => {
    for (const path of ["proj/.git/hooks/pre-commit", "proj/.git/config", "proj/./.git/HEAD"]) {
      await write(sandbox, path);
    }
    assert.equal(
      await Deno.readTextFile(`${sandbox.workspace}/proj/.git/config`),
      "[core]\n\tbare = false\n",
    );
    assert.deepEqual([...Deno.readDirSync(`${sandbox.workspace}/proj/.git/hooks`)], []);
  }, { setup: ownerRepo });
});

Deno.test(`${CLASS}: write_file refuses direnv, git attribute and module files, editor folders`, async () => {
  await withSandbox(home, async (sandbox) => {
    await writesRefused(sandbox, [
      ".envrc",
      "sub/.envrc",
      ".gitattributes",
      "deep/.gitattributes",
      ".gitmodules",
      ".vscode/tasks.json",
      "app/.vscode/settings.json",
      ".idea/workspace.xml",
      ".devcontainer/devcontainer.json",
      ".exrc",
      ".nvim.lua",
      ".hg/hgrc",
      ".jj/repo/config.toml",
    ]);
  });
});

Deno.test(`${CLASS}: write_file cannot go through a link to a repository`, async () => {
  await withSandbox(home, async (sandbox) => {
    await run(home, sandbox, "ln -s proj/.git g; ln -s proj/.git/hooks h; ln -s proj p");
    await write(sandbox, "g/config");
    await write(sandbox, "h/pre-commit");
    await write(sandbox, "p/.git/hooks/post-checkout");
    assert.deepEqual([...Deno.readDirSync(`${sandbox.workspace}/proj/.git/hooks`)], []);
  }, { setup: ownerRepo });
});

Deno.test(`${CLASS}: write_file cannot make or change a bare repository`, async () => {
  await withSandbox(home, async (sandbox) => {
    await run(home, sandbox, "mkdir -p a/objects a/refs");
    await write(sandbox, "a/HEAD");
    await write(sandbox, "a/head");
    await write(sandbox, "b/objects/info/alternates");
    await write(sandbox, "repo.git/config");
    await write(sandbox, "repo.git/hooks/post-checkout");
    assert.deepEqual(await plantedOnHost(sandbox.workspace), ["b/HEAD", "repo.git/HEAD"]);
  }, {
    setup: async (workspace) => {
      await Deno.mkdir(`${workspace}/b/refs`, { recursive: true });
      await Deno.writeTextFile(`${workspace}/b/HEAD`, "ref: refs/heads/x\n");
      await Deno.mkdir(`${workspace}/repo.git/objects`, { recursive: true });
      await Deno.mkdir(`${workspace}/repo.git/refs`);
      await Deno.writeTextFile(`${workspace}/repo.git/HEAD`, "ref: refs/heads/main\n");
    },
  });
});

Deno.test(`${CLASS}: ordinary dotfiles and look-alike names stay writable`, async () => {
  await withSandbox(home, async (sandbox) => {
    for (
      const path of [
        ".gitignore",
        ".github/workflows/ci.yml",
        ".git-blame-ignore-revs",
        ".gitx/notes",
        "notes/HEAD.md",
        "objects/readme",
        "env/.envrc.example",
      ]
    ) {
      await sandbox.fs.writeText(path, "fine\n");
      assert.equal(await recorded(home, sandbox.fs.readText(path, { maxBytes: 100 })), "fine\n");
    }
  });
});

Deno.test(`${CLASS}: git init in a command is set aside when the command ends`, async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await setAsideAfter(
      sandbox,
      "git init -q sub && git -C sub rev-parse --git-dir",
      1,
    );
    assert.equal(result.stdout, ".git\n");
    assert.match(result.setAside?.[0] ?? "", /^sub\/\.git\.kafclaw-disabled-[0-9a-f]{6}$/);
  });
});

Deno.test(`${CLASS}: mkdir -p, renames and odd spellings of .git in a command are set aside`, async () => {
  await withSandbox(home, async (sandbox) => {
    await setAsideAfter(
      sandbox,
      "mkdir -p x/.git/hooks && echo '#!/bin/sh' > x/.git/hooks/pre-commit; " +
        "mkdir y z && mv y z/.git; mkdir w && mv w .GIT; mkdir -p 'v/.git.' 'u/git~1'; " +
        "printf 'gitdir: /tmp\\n' > t.git; mv t.git .git",
      6,
    );
  });
});

Deno.test(`${CLASS}: direnv, git attribute and module files made by a command are set aside`, async () => {
  await withSandbox(home, async (sandbox) => {
    await setAsideAfter(
      sandbox,
      "echo 'touch /tmp/pwned' > .envrc; echo '* filter=evil' > .gitattributes; " +
        "mkdir -p app/.vscode && echo '{}' > app/.vscode/tasks.json; touch .gitmodules sub.nvimrc; " +
        "mv sub.nvimrc .nvimrc",
      5,
    );
    const names = [...Deno.readDirSync(sandbox.workspace)].map((entry) => entry.name).sort();
    assert.ok(names.some((name) => name.startsWith(".envrc.kafclaw-disabled-")), names.join());
  });
});

Deno.test(`${CLASS}: a command cannot change, move or remove the owner's nested repository`, async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "echo '[core] fsmonitor = x' >> proj/.git/config; echo x > proj/.git/hooks/pre-commit; " +
        "rm -rf proj/.git; mv proj/.git proj/old; ln proj/.git/config cfg; echo done",
    );
    assert.match(result.stderr, /Read-only file system/);
    assert.match(result.stdout, /done/);
    assert.equal(
      await Deno.readTextFile(`${sandbox.workspace}/proj/.git/config`),
      "[core]\n\tbare = false\n",
    );
    assert.deepEqual([...Deno.readDirSync(`${sandbox.workspace}/proj/.git/hooks`)], []);
    assert.equal(result.setAside, undefined);
  }, { setup: ownerRepo });
});

Deno.test(`${CLASS}: the owner's repository moved by a command is kept, not set aside`, async () => {
  await withSandbox(home, async (sandbox) => {
    const moved = await run(home, sandbox, "mv proj moved && git init -q proj");
    assert.equal(moved.setAside?.length, 1, JSON.stringify(moved.setAside));
    assert.match(moved.setAside?.[0] ?? "", /^proj\/\.git\.kafclaw-disabled-/);
    assert.equal(
      await Deno.readTextFile(`${sandbox.workspace}/moved/.git/config`),
      "[core]\n\tbare = false\n",
    );
    // Moved into a protected name: the folder is set aside whole, nothing in it is lost.
    const hidden = await run(home, sandbox, "mv moved .vscode");
    const [aside = ""] = hidden.setAside ?? [];
    assert.match(aside, /^\.vscode\.kafclaw-disabled-/);
    assert.equal(await Deno.readTextFile(`${sandbox.workspace}/${aside}/README.md`), "owner's\n");
  }, { setup: ownerRepo });
});

Deno.test(`${CLASS}: a planter left running in the background is gone with the command`, async () => {
  await withSandbox(home, async (sandbox) => {
    const plant = (name: string) =>
      `i=0; while [ $i -lt 5000 ]; do i=$((i+1)); mkdir -p ${name}/$i/.git; done`;
    // The command ends while its background planter is still at work.
    await run(home, sandbox, `(${plant("late")}) & sleep 0.2`);
    // The time limit ends another while it plants.
    const timed = await run(home, sandbox, plant("timed"), { timeoutMs: 300 });
    assert.equal(timed.timedOut, true);
    // One more command: anything still alive would have planted by the time it ends.
    await run(home, sandbox, "true");
    assert.deepEqual(await plantedOnHost(sandbox.workspace), []);
    const late = [...Deno.readDirSync(`${sandbox.workspace}/late`)];
    assert.ok(late.length > 0 && late.length < 5000, `${late.length} folders planted`);
  });
});

Deno.test(`${CLASS}: a command cannot stop, trace or rewrite the process that ends it`, async () => {
  await withSandbox(home, async (sandbox) => {
    const started = performance.now();
    const result = await run(
      home,
      sandbox,
      "kill -STOP 1; kill -KILL 1; gdb -batch -p 1 2>&1 | tail -1; echo x > /proc/1/mem; " +
        'i=0; while :; do i=$((i+1)); mkdir -p "p/$i/.git"; done',
      { timeoutMs: 800 },
    );
    assert.equal(result.timedOut, true);
    // Ended by its first process at the limit, not by the host's backstop seconds later.
    assert.ok(performance.now() - started < 4000, `${performance.now() - started} ms`);
    assert.match(result.stdout, /ptrace: Operation not permitted/);
    assert.match(result.stderr, /\/proc\/1\/mem: Read-only file system/);
    assert.deepEqual(await plantedOnHost(sandbox.workspace), []);
  });
});

Deno.test(`${CLASS}: a repository under a name that is not UTF-8 is set aside too`, async () => {
  await withSandbox(home, async (sandbox) => {
    await setAsideAfter(sandbox, 'd=$(printf \'x\\377y\'); mkdir "$d" && git init -q "$d/r"', 1);
  });
});

Deno.test(`${CLASS}: a bare repository made by a command loses its HEAD`, async () => {
  await withSandbox(home, async (sandbox) => {
    await setAsideAfter(
      sandbox,
      "git init -q --bare b.git && mkdir -p c/objects c/refs && echo 'ref: refs/heads/m' > c/HEAD",
      2,
    );
  });
});

Deno.test(`${CLASS}: a hard link cannot give a protected name to a file the command can change`, async () => {
  await withSandbox(home, async (sandbox) => {
    await setAsideAfter(sandbox, "echo 'touch /tmp/pwned' > run.sh; ln run.sh .envrc", 1);
    assert.equal(await Deno.readTextFile(`${sandbox.workspace}/run.sh`), "touch /tmp/pwned\n");
  });
});

Deno.test(`${CLASS}: a protected file the sandbox cannot protect stops the command`, async () => {
  await withSandbox(home, async (sandbox) => {
    const error = await refused(
      home,
      sandbox.exec("true", { timeoutMs: 5000, maxOutputBytes: 1024 }),
      "protected",
    );
    assert.match(error.message, /"\.envrc" has another hard link/);
  }, {
    setup: async (workspace) => {
      await Deno.writeTextFile(`${workspace}/envrc.sh`, "echo owner\n");
      await Deno.link(`${workspace}/envrc.sh`, `${workspace}/.envrc`);
    },
  });
});

Deno.test(`${CLASS}: the owner's git runs no planted fsmonitor after any of this`, async () => {
  const marker = `${home.dir}/fsmonitor-ran-${crypto.randomUUID().slice(0, 8)}`;
  await withSandbox(home, async (sandbox) => {
    const config = `[core]\n\tfsmonitor = touch ${marker}\n`;
    await run(
      home,
      sandbox,
      `git init -q sub && printf %s ${quote(config)} >> sub/.git/config; ` +
        `mkdir -p bare/objects bare/refs && echo 'ref: refs/heads/main' > bare/HEAD && ` +
        `printf %s ${quote(config)} > bare/config; cp -r sub/.git sub2.git`,
    );
    for (const dir of ["sub", "bare", "sub2.git", "proj"]) {
      await new Deno.Command("git", {
        args: ["-c", "safe.directory=*", "-C", `${sandbox.workspace}/${dir}`, "status"],
        clearEnv: true,
        env: { PATH: "/usr/bin:/bin", HOME: home.dir, GIT_CONFIG_NOSYSTEM: "1" },
        stdout: "null",
        stderr: "null",
      }).output();
    }
    await assert.rejects(Deno.lstat(marker), Deno.errors.NotFound);
  }, { setup: ownerRepo });
});

Deno.test("class 3: no result of this file contained the canary", async () => {
  try {
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
