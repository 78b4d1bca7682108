/**
 * A copy of scripts/kafclaw and of the files that compute its flags, run with a stand-in for Deno
 * that records how it was started: it runs the real Deno for scripts/launch_flags.ts and takes
 * main.ts's place (tests/e2e/launcher_test.ts, tests/e2e/launcher_install_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

/** The files the launcher names in KAFCLAW_FLAG_SOURCES. */
export async function flagSources(): Promise<string[]> {
  const text = await Deno.readTextFile(`${root}scripts/kafclaw`);
  const list = /^KAFCLAW_FLAG_SOURCES=\(\n([^)]*)\)/m.exec(text)?.[1];
  assert.ok(list, "scripts/kafclaw lists KAFCLAW_FLAG_SOURCES");
  return list.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

/** One run of the launcher. */
export interface Run {
  code: number;
  stderr: string;
  /** Each start of the stand-in Deno during the run: its arguments. */
  starts: string[][];
  /** The permission flags main.ts was started with. */
  flags: string[];
}

/** The copy of the launcher, and ways to run it. */
export interface Launcher extends AsyncDisposable {
  readonly root: string;
  readonly scratch: string;
  /** A second stand-in for Deno, at another path. */
  readonly otherDeno: string;
  run(args: string[], env: Record<string, string>, deno?: string): Promise<Run>;
  /** The flags scripts/launch_flags.ts computes for the same command line and environment. */
  uncached(args: string[], env: Record<string, string>): Promise<string[]>;
  spawn(args: string[], env: Record<string, string>): Deno.ChildProcess;
  starts(): Promise<string[][]>;
}

/** A stand-in for Deno at `path` that appends its arguments to `log`. */
export async function standIn(path: string, log: string): Promise<void> {
  await Deno.writeTextFile(
    path,
    // No subshell: a shell that waits for a child also reaps what the launcher left behind.
    `#!/usr/bin/env bash
IFS=$'\\t'
printf '%s\\n' "$*" >>${JSON.stringify(log)}
printf '%s\\n' "\${KAFCLAW_COMMAND:-}" >>${JSON.stringify(`${log}.command`)}
case "$*" in *launch_flags.ts*) exec ${JSON.stringify(Deno.execPath())} "$@" ;; esac
[ -z "\${STANDIN_WAIT:-}" ] || exec cat >/dev/null
`,
    { mode: 0o755 },
  );
}

/** Copies the launcher into a scratch folder that removes itself. */
export async function launcher(): Promise<Launcher> {
  const scratch = await Deno.makeTempDir({ prefix: "kafclaw-launcher-" });
  const copy = `${scratch}/checkout`;
  // scripts/_install.sh serves `install` only: not an input of the flags, but part of the launcher.
  for (const file of [...await flagSources(), "scripts/_install.sh"]) {
    const to = `${copy}/${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${root}${file}`, to);
    await Deno.chmod(to, (await Deno.stat(`${root}${file}`)).mode! & 0o777);
  }
  const log = `${scratch}/starts.log`;
  await Deno.writeTextFile(log, "");
  const deno = `${scratch}/bin/deno`;
  const otherDeno = `${scratch}/other/deno`;
  await Deno.mkdir(`${scratch}/bin`);
  await Deno.mkdir(`${scratch}/other`);
  await standIn(deno, log);
  await standIn(otherDeno, log);
  const environment = (env: Record<string, string>, denoPath = deno) => ({
    PATH: "/usr/bin:/bin",
    KAFCLAW_DENO: denoPath,
    ...env,
  });
  const command = (args: string[], env: Record<string, string>, denoPath?: string) =>
    new Deno.Command(`${copy}/scripts/kafclaw`, {
      args,
      env: environment(env, denoPath),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
  const starts = async () =>
    (await Deno.readTextFile(log)).split("\n").filter((l) => l !== "").map((l) => l.split("\t"));
  return {
    root: copy,
    scratch,
    otherDeno,
    async run(args, env, denoPath) {
      const before = (await starts()).length;
      const out = await command(args, env, denoPath).output();
      const mine = (await starts()).slice(before);
      const main = mine.find((a) => a.includes(`${copy}/main.ts`)) ?? [];
      return {
        code: out.code,
        stderr: new TextDecoder().decode(out.stderr),
        starts: mine,
        flags: main.filter((a) => a.startsWith("--allow-")),
      };
    },
    async uncached(args, env) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--allow-env", "--allow-read", `${copy}/scripts/launch_flags.ts`]
          .concat(["--", ...args]),
        env: environment(env),
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      // The configuration file, the environment variables read, then the flags.
      return new TextDecoder().decode(out.stdout).trim().split("\n").slice(2);
    },
    spawn(args, env) {
      return new Deno.Command("setsid", {
        args: [`${copy}/scripts/kafclaw`, ...args],
        env: { ...environment(env), STANDIN_WAIT: "1" },
        clearEnv: true,
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    },
    starts,
    [Symbol.asyncDispose]: () => Deno.remove(scratch, { recursive: true }),
  };
}
