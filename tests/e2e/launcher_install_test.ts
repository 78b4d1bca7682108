/**
 * Getting `kafclaw` on PATH from a checkout: a link to the launcher runs it from its checkout
 * wherever the link is, `scripts/kafclaw install` makes that link and says whether its folder is
 * on PATH, the launcher tells main.ts the name the user can type (for the commands it suggests),
 * and the first run says that it is downloading Deno.
 *
 * Each test runs a copy of the launcher with a stand-in for Deno (tests/_support/launcher.ts).
 */
import assert from "node:assert/strict";
import { type Launcher, launcher, standIn } from "../_support/launcher.ts";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** KAFCLAW_COMMAND as main.ts (the stand-in) was started with; undefined when it was not. */
  command: string | undefined;
}

/** Runs `program` (a path, or a name looked up on `env.PATH`) with exactly `env`. */
async function exec(
  kafclaw: Launcher,
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<Ran> {
  const log = `${kafclaw.scratch}/starts.log.command`;
  const before = await Deno.readTextFile(log).catch(() => "");
  const out = await new Deno.Command(program, {
    args,
    env: { HOME: kafclaw.scratch, KAFCLAW_HOME: `${kafclaw.scratch}/home`, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = (await Deno.readTextFile(log).catch(() => "")).slice(before.length).split("\n");
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: out.code,
    stdout: text(out.stdout),
    stderr: text(out.stderr),
    command: lines.length > 1 ? lines[lines.length - 2] : undefined,
  };
}

Deno.test("a link to the launcher runs it from its checkout, and a chain of relative links too", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  const env = { PATH: "/usr/bin:/bin", KAFCLAW_DENO: `${s}/bin/deno` };
  await Deno.mkdir(`${s}/links/deeper`, { recursive: true });
  await Deno.symlink(`${kafclaw.root}/scripts/kafclaw`, `${s}/links/kafclaw`);
  await Deno.symlink("../kafclaw", `${s}/links/deeper/kc`);
  for (const link of [`${s}/links/kafclaw`, `${s}/links/deeper/kc`]) {
    const starts = (await kafclaw.starts()).length;
    const run = await exec(kafclaw, link, ["version"], env);
    assert.equal(run.code, 0, run.stderr);
    const mine = (await kafclaw.starts()).slice(starts);
    const main = mine.flat().filter((arg) => arg.endsWith("/main.ts"));
    assert.deepEqual(main, [`${kafclaw.root}/main.ts`], `${link} started the checkout's main.ts`);
    assert.equal(run.command, link, "not on PATH: hints name the path the user ran");
  }
});

Deno.test("install links kafclaw into a folder, and says the line to add when it is not on PATH", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  const launcherPath = `${kafclaw.root}/scripts/kafclaw`;
  const env = { PATH: "/usr/bin:/bin", KAFCLAW_DENO: `${s}/bin/deno` };
  const off = await exec(kafclaw, launcherPath, ["install", "--prefix", `${s}/tools`], env);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(await Deno.readLink(`${s}/tools/kafclaw`), launcherPath);
  assert.match(off.stdout, /is not on PATH; add this line/);
  assert.ok(off.stdout.includes(`export PATH="${s}/tools:$PATH"`), off.stdout);
  assert.equal(off.command, undefined, "install starts no main.ts");

  const onPath = { ...env, PATH: `${s}/tools:/usr/bin:/bin` };
  const again = await exec(kafclaw, launcherPath, ["install", `--prefix=${s}/tools`], onPath);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /kafclaw is on PATH \(try: kafclaw onboard\)/);
  // Run by its name on PATH, hints say `kafclaw`; run by its path, they name the path, unless
  // `kafclaw` on PATH is this very launcher.
  assert.equal((await exec(kafclaw, "kafclaw", ["version"], onPath)).command, "kafclaw");
  assert.equal((await exec(kafclaw, launcherPath, ["version"], env)).command, launcherPath);
  assert.equal((await exec(kafclaw, launcherPath, ["version"], onPath)).command, "kafclaw");

  // Another kafclaw earlier on PATH is named; a file that is not a link is never replaced.
  await Deno.mkdir(`${s}/first`);
  await Deno.writeTextFile(`${s}/first/kafclaw`, "#!/bin/sh\n", { mode: 0o755 });
  const shadowed = { ...env, PATH: `${s}/first:${s}/tools:/usr/bin:/bin` };
  const shadow = await exec(kafclaw, launcherPath, ["install", "--prefix", `${s}/tools`], shadowed);
  assert.match(shadow.stdout, new RegExp(`${s}/first/kafclaw comes before ${s}/tools/kafclaw`));
  const file = await exec(kafclaw, launcherPath, ["install", "--prefix", `${s}/first`], env);
  assert.equal(file.code, 1);
  assert.match(file.stderr, /exists and is not a link; move it away first/);
  assert.equal(await Deno.readTextFile(`${s}/first/kafclaw`), "#!/bin/sh\n");
  // Nor a link to a folder (the new link would land inside it).
  await Deno.mkdir(`${s}/a-folder`);
  await Deno.mkdir(`${s}/third`);
  await Deno.symlink(`${s}/a-folder`, `${s}/third/kafclaw`);
  const folder = await exec(kafclaw, launcherPath, ["install", "--prefix", `${s}/third`], env);
  assert.equal(folder.code, 1, folder.stdout);
  assert.deepEqual([...Deno.readDirSync(`${s}/a-folder`)], []);
});

Deno.test("install defaults to ~/.local/bin and refuses what it does not know", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  const launcherPath = `${kafclaw.root}/scripts/kafclaw`;
  const env = { PATH: "/usr/bin:/bin", KAFCLAW_DENO: `${s}/bin/deno` };
  const run = await exec(kafclaw, launcherPath, ["install"], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await Deno.readLink(`${s}/.local/bin/kafclaw`), launcherPath);
  for (const args of [["install", "--frobnicate"], ["install", "--prefix"]]) {
    const bad = await exec(kafclaw, launcherPath, args, env);
    assert.equal(bad.code, 2, args.join(" "));
    assert.equal(bad.stderr.split("\n")[0]!.startsWith("kafclaw install: "), true, bad.stderr);
  }
});

Deno.test("the first run says on stderr that it is downloading Deno, once", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  // An npm that "installs" the stand-in where the launcher looks for its own Deno.
  await Deno.mkdir(`${s}/npm-bin`);
  await Deno.writeTextFile(
    `${s}/npm-bin/npm`,
    `#!/usr/bin/env bash
mkdir -p "${kafclaw.root}/.deno/node_modules/.bin"
cp "${s}/bin/deno" "${kafclaw.root}/.deno/node_modules/.bin/deno"
`,
    { mode: 0o755 },
  );
  await standIn(`${s}/bin/deno`, `${s}/starts.log`);
  const env = { PATH: `${s}/npm-bin:/usr/bin:/bin` };
  const first = await exec(kafclaw, `${kafclaw.root}/scripts/kafclaw`, ["version"], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^kafclaw: first run: downloading Deno [\d.]+ \(about 80 MB\)/);
  assert.equal(first.stderr.trim().split("\n").length, 1, first.stderr);
  assert.equal(first.stdout, "");
  const second = await exec(kafclaw, `${kafclaw.root}/scripts/kafclaw`, ["version"], env);
  assert.equal(second.stderr, "");
});
