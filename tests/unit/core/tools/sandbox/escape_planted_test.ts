/**
 * The escape suite, class 3 of step 5 ("a planted repository runs code on the host later"): no
 * tool may create or change a `.git` at any depth, nor any other file that runs code when the
 * owner later uses the workspace (hooks, git config, `.gitattributes`, `.gitmodules`, `.envrc`,
 * editor folders, a folder git takes for a bare repository). Here: the file tools refuse them.
 */
import assert from "node:assert/strict";
import type { Sandbox } from "../../../../../core/tools/sandbox/mod.ts";
import { makeHome, plantedOnHost, recorded, refused, run, withSandbox } from "./_fixture.ts";

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

Deno.test("class 3: no result of this file contained the canary", async () => {
  try {
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
