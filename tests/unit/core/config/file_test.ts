import assert from "node:assert/strict";
import {
  ConfigError,
  type ConfigFs,
  denoFs,
  loadConfig,
  readConfigFile,
  writeConfigFile,
} from "../../../../core/config/mod.ts";
import { makeReadOnly } from "../../../_support/readonly.ts";
import { tempHome, writeConfig } from "./_helpers.ts";

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test("loadConfig takes the environment it is given, and the file under KAFCLAW_HOME", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, {
    gateway: { port: 18800, host: "localhost" },
    group: { name: "g1" },
  });
  const config = await loadConfig({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_GROUP_NAME: "g2" },
  });
  assert.equal(config.home, home.path);
  assert.equal(config.gateway.port, 18800);
  assert.equal(config.gateway.host, "localhost");
  assert.equal(config.group.name, "g2");
  assert.deepEqual(config.sources.get("gateway.port"), {
    kind: "file",
    path: `${home.path}/config.json`,
    line: 3,
  });
  assert.deepEqual(config.warnings, []);
});

Deno.test("loadConfig without a file gives the defaults; an explicit home wins over the env", async () => {
  await using home = await tempHome();
  const config = await loadConfig({ env: { KAFCLAW_HOME: "/nonexistent" }, home: home.path });
  assert.equal(config.gateway.port, 18790);
  assert.equal(config.paths.workspace, `${home.path}/workspace`);
});

Deno.test("loadConfig reports invalid JSON with file, line and column", async () => {
  await using home = await tempHome();
  const file = await writeConfig(home.path, '{\n  "gateway": {\n    "port": 18800\n  ]\n}\n');
  await assert.rejects(
    () => loadConfig({ env: {}, home: home.path }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === `Invalid config: ${file}:4:3: expected "," or "}" (the file is not valid JSON)`,
  );
});

Deno.test("a config file that cannot be read is a ConfigError naming it", async () => {
  await using home = await tempHome();
  await Deno.mkdir(`${home.path}/config.json`);
  await assert.rejects(
    () => readConfigFile(`${home.path}/config.json`),
    (e: unknown) =>
      e instanceof ConfigError && e.message.startsWith(`Cannot read ${home.path}/config.json: `),
  );
  assert.equal(await readConfigFile(`${home.path}/missing.json`), undefined);
});

Deno.test("writeConfigFile creates KAFCLAW_HOME 0700 and the file 0600, atomically", async () => {
  await using parent = await tempHome();
  const home = `${parent.path}/nested/.kafclaw`;
  const file = `${home}/config.json`;
  await writeConfigFile(file, { gateway: { port: 1 } });
  assert.equal(await mode(home), 0o700);
  assert.equal(await mode(file), 0o600);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { gateway: { port: 1 } });
  assert.ok((await Deno.readTextFile(file)).endsWith("}\n"));
  // Replacing a file others could read leaves a 0600 file, and no temporary files behind.
  await Deno.chmod(file, 0o644);
  await writeConfigFile(file, { gateway: { port: 2 } });
  assert.equal(await mode(file), 0o600);
  const names = [];
  for await (const entry of Deno.readDir(home)) names.push(entry.name);
  assert.deepEqual(names, ["config.json"]);
});

Deno.test("an existing KAFCLAW_HOME keeps its mode", async () => {
  await using home = await tempHome();
  await Deno.chmod(home.path, 0o750);
  await writeConfigFile(`${home.path}/config.json`, {});
  assert.equal(await mode(home.path), 0o750);
});

Deno.test("writing through a symlink replaces the target, not the link", async () => {
  await using home = await tempHome();
  await Deno.mkdir(`${home.path}/dotfiles`);
  await Deno.writeTextFile(`${home.path}/dotfiles/kafclaw.json`, "{}");
  await Deno.symlink(`${home.path}/dotfiles/kafclaw.json`, `${home.path}/config.json`);
  await writeConfigFile(`${home.path}/config.json`, { a: 1 });
  assert.ok((await Deno.lstat(`${home.path}/config.json`)).isSymlink);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.path}/dotfiles/kafclaw.json`)), {
    a: 1,
  });
});

function failing(overrides: Partial<ConfigFs>): ConfigFs {
  return { ...denoFs, ...overrides };
}

Deno.test("a write that fails half-way leaves the old file intact and no temporary file", async () => {
  await using home = await tempHome();
  const file = await writeConfig(home.path, { gateway: { port: 1 } });
  const before = await Deno.readTextFile(file);
  const diskFull = failing({
    async writeNewFile(path, data, mode) {
      await denoFs.writeNewFile(path, data.subarray(0, 5), mode);
      throw new Deno.errors.WriteZero("No space left on device");
    },
  });
  await assert.rejects(
    () => writeConfigFile(file, { gateway: { port: 2 } }, { fs: diskFull }),
    /No space left/,
  );
  const renameFails = failing({ rename: () => Promise.reject(new Error("rename refused")) });
  await assert.rejects(
    () => writeConfigFile(file, { gateway: { port: 3 } }, { fs: renameFails }),
    /rename refused/,
  );
  assert.equal(await Deno.readTextFile(file), before);
  const names = [];
  for await (const entry of Deno.readDir(home.path)) names.push(entry.name);
  assert.deepEqual(names, ["config.json"]);
});

Deno.test("a failed fsync of the folder does not fail the write; other realPath errors do", async () => {
  await using home = await tempHome();
  const file = `${home.path}/config.json`;
  await writeConfigFile(file, { a: 1 }, {
    fs: failing({ syncDir: () => Promise.reject(new Error("EINVAL")) }),
  });
  assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { a: 1 });
  const loop = failing({ realPath: () => Promise.reject(new Deno.errors.FilesystemLoop("loop")) });
  await assert.rejects(
    () => writeConfigFile(file, { a: 2 }, { fs: loop }),
    Deno.errors.FilesystemLoop,
  );
});

Deno.test("ensureDir fails when the path cannot be a folder", async () => {
  await using home = await tempHome();
  await Deno.writeTextFile(`${home.path}/file`, "");
  await assert.rejects(() => writeConfigFile(`${home.path}/file/sub/config.json`, {}));
});

Deno.test({
  name: "a write into a read-only KAFCLAW_HOME fails and leaves the old file intact",
  async fn() {
    await using home = await tempHome();
    const file = await writeConfig(home.path, { gateway: { port: 1 } });
    const restore = await makeReadOnly(home.path);
    try {
      await assert.rejects(
        () => writeConfigFile(file, { gateway: { port: 2 } }),
        Deno.errors.PermissionDenied,
      );
    } finally {
      await restore();
    }
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { gateway: { port: 1 } });
  },
});
