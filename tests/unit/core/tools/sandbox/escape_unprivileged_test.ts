/**
 * The escape suite again, as an unprivileged user. Run as root, the sandbox drops to uid 65534
 * itself; an agent started by an ordinary user takes the other path (no drop, its own uid maps to
 * the sandbox's). This test, when it runs as root, starts the same suite in a child under
 * `setpriv --reuid 65534 --regid 65534 --clear-groups`, with everything the child needs in a
 * scratch folder that uid owns: a copy of the sandbox sources (and core/bytes, which they import)
 * and tests and deno.json, a fresh DENO_DIR and TMPDIR, and the Deno binary (copied when uid
 * 65534 cannot run it where it is, e.g. under /root, which is 0700). The child sees
 * KAFCLAW_SANDBOX_AS=nobody.
 */
import assert from "node:assert/strict";
import { AS_NOBODY } from "./_fixture.ts";

const REPO = new URL("../../../../../", import.meta.url).pathname;
const SUITE = [
  "escape_test.ts",
  "escape_fs_test.ts",
  "escape_limits_test.ts",
  "escape_planted_test.ts",
  "escape_memory_test.ts",
];
const NOBODY = "65534";
const AS_NOBODY_ARGS = ["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"];

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

async function chownTree(path: string, uid: number): Promise<void> {
  await Deno.chown(path, uid, uid);
  if (!(await Deno.lstat(path)).isDirectory) return;
  for await (const entry of Deno.readDir(path)) await chownTree(`${path}/${entry.name}`, uid);
}

/**
 * A Deno binary uid 65534 can run: this one, or a copy in `scratch` when the checkout sits where
 * that uid cannot go (a 0700 folder). Asked with `test -x` run as that uid: setpriv itself still
 * starts a program as root would, so `setpriv ... deno --version` runs where the sandbox's own
 * bwrap, started by the child, cannot bind the same path.
 */
async function denoForNobody(scratch: string): Promise<string> {
  const here = Deno.execPath();
  const probe = await new Deno.Command("setpriv", {
    args: [...AS_NOBODY_ARGS, "test", "-x", here],
    stdout: "null",
    stderr: "null",
  }).output();
  if (probe.success) return here;
  await Deno.copyFile(here, `${scratch}/deno`);
  await Deno.chmod(`${scratch}/deno`, 0o755);
  return `${scratch}/deno`;
}

Deno.test({
  name:
    "sandbox, every class: the escape suite holds when the agent runs as an unprivileged user (uid 65534)",
  ignore: AS_NOBODY || Deno.build.os !== "linux" || Deno.uid() !== 0,
  async fn() {
    const scratch = await Deno.makeTempDir({ prefix: "kafclaw-nobody-" });
    try {
      const repo = `${scratch}/repo`;
      await copyTree(`${REPO}core/tools/sandbox`, `${repo}/core/tools/sandbox`);
      // The sandbox reads a command's output up to its cap with core/bytes.
      await copyTree(`${REPO}core/bytes`, `${repo}/core/bytes`);
      await copyTree(
        `${REPO}tests/unit/core/tools/sandbox`,
        `${repo}/tests/unit/core/tools/sandbox`,
      );
      await Deno.copyFile(`${REPO}deno.json`, `${repo}/deno.json`);
      await Deno.mkdir(`${scratch}/deno-dir`);
      await Deno.mkdir(`${scratch}/tmp`);
      const deno = await denoForNobody(scratch);
      await chownTree(scratch, Number(NOBODY));
      const files = SUITE.map((name) => `tests/unit/core/tools/sandbox/${name}`);
      const output = await new Deno.Command("setpriv", {
        args: [...AS_NOBODY_ARGS, deno, "test", "-P=test", "--no-lock", "--no-check", ...files],
        cwd: repo,
        clearEnv: true,
        env: {
          KAFCLAW_SANDBOX_AS: "nobody",
          DENO_DIR: `${scratch}/deno-dir`,
          HOME: scratch,
          TMPDIR: `${scratch}/tmp`,
          PATH: "/usr/local/bin:/usr/bin:/bin",
          NO_COLOR: "1",
        },
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.ok(output.success, `the unprivileged run failed:\n${text}`);
      const summary = /ok \| (\d+) passed \| 0 failed/.exec(text);
      assert.ok(summary !== null && Number(summary[1]) >= 60, text);
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});
