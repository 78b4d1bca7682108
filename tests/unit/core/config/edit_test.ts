import assert from "node:assert/strict";
import {
  ConfigError,
  ConfigKeyError,
  loadConfig,
  setConfigValue,
  unsetConfigValue,
} from "../../../../core/config/mod.ts";
import { tempHome, writeConfig } from "./_helpers.ts";

const read = async (home: string) => JSON.parse(await Deno.readTextFile(`${home}/config.json`));

Deno.test("config set writes the value as it means, keeping unknown keys", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, {
    knowledge: { enabled: true },
    gateway: { daemonRuntime: "native" },
  });
  const port = await setConfigValue(home.path, { path: "gateway.port", value: "18800" });
  assert.equal(port.value, 18800);
  assert.equal(port.file, `${home.path}/config.json`);
  assert.equal(port.spec?.key, "gateway.port");
  await setConfigValue(home.path, { path: "group.enabled", value: "yes" });
  await setConfigValue(home.path, { path: "group.kafkaBrokers", value: "a:9092, b:9092" });
  await setConfigValue(home.path, { path: "group.kafkaSecurityProtocol", value: "sasl_ssl" });
  await setConfigValue(home.path, { path: "model.name", value: "groq/llama-3" });
  await setConfigValue(home.path, { path: "paths.workspace", value: "ws" });
  assert.deepEqual(await read(home.path), {
    knowledge: { enabled: true },
    gateway: { daemonRuntime: "native", port: 18800 },
    group: { enabled: true, kafkaBrokers: ["a:9092", "b:9092"], kafkaSecurityProtocol: "SASL_SSL" },
    model: { name: "groq/llama-3" },
    paths: { workspace: "ws" },
  });
  const config = await loadConfig({ env: {}, home: home.path });
  assert.equal(config.gateway.port, 18800);
  assert.equal(config.paths.workspace, `${home.path}/ws`);
  assert.deepEqual(config.unknownKeys, ["knowledge", "gateway.daemonRuntime"]);
});

Deno.test("config set creates KAFCLAW_HOME and the file when missing", async () => {
  await using parent = await tempHome();
  const home = `${parent.path}/.kafclaw`;
  await setConfigValue(home, { path: "gateway.authToken", value: "s3cret-token" });
  assert.deepEqual(await read(home), { gateway: { authToken: "s3cret-token" } });
  assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(`${home}/config.json`)).mode! & 0o777, 0o600);
});

Deno.test("config set edits list items by index and appends at the end", async () => {
  await using home = await tempHome();
  await setConfigValue(home.path, { path: "channels.telegram.allowFrom.0", value: "111" });
  await setConfigValue(home.path, { path: "channels.telegram.allowFrom.1", value: "222" });
  await setConfigValue(home.path, { path: "channels.telegram.allowFrom.0", value: "100" });
  assert.deepEqual((await read(home.path)).channels.telegram.allowFrom, ["100", "222"]);
  await assert.rejects(
    () => setConfigValue(home.path, { path: "channels.telegram.allowFrom.5", value: "x" }),
    (e: unknown) =>
      e instanceof ConfigKeyError &&
      e.message ===
        "Cannot set channels.telegram.allowFrom.5: channels.telegram.allowFrom has 2 items (use index 2 to append)",
  );
  await writeConfig(home.path, { group: { kafkaBrokers: "a:1,b:2" } });
  await setConfigValue(home.path, { path: "group.kafkaBrokers.1", value: "c:3" });
  assert.deepEqual((await read(home.path)).group.kafkaBrokers, ["a:1", "c:3"]);
  await writeConfig(home.path, { group: { kafkaBrokers: 7 } });
  await assert.rejects(
    () => setConfigValue(home.path, { path: "group.kafkaBrokers.0", value: "c:3" }),
    /group\.kafkaBrokers is not a list in/,
  );
});

Deno.test("config set replaces a whole section from JSON", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, { channels: { telegram: { token: "old" } } });
  const result = await setConfigValue(home.path, {
    path: "channels.telegram",
    value: '{"enabled": true, "token": "123:abc", "allowFrom": [42]}',
  });
  assert.equal(result.spec, undefined);
  assert.deepEqual(await read(home.path), {
    channels: { telegram: { enabled: true, token: "123:abc", allowFrom: [42] } },
  });
  await assert.rejects(
    () => setConfigValue(home.path, { path: "gateway", value: "not json" }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "Invalid config: gateway = **** (from the new value): expected an object",
  );
});

Deno.test("config set refuses an invalid value with the clear error and leaves the file alone", async () => {
  await using home = await tempHome();
  const before = JSON.stringify({ gateway: { port: 18800 } }, null, 2) + "\n";
  await writeConfig(home.path, before);
  await assert.rejects(
    () => setConfigValue(home.path, { path: "gateway.port", value: "abc" }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        'Invalid config: gateway.port = "abc" (from the new value): expected an integer from 0 to 65535' &&
      e.issues[0]?.source.kind === "assigned",
  );
  await assert.rejects(
    () => setConfigValue(home.path, { path: "gateway", value: '{"authToken": 12345}' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        "Invalid config: gateway.authToken = **** (from the new value): expected a non-empty string",
  );
  assert.equal(await Deno.readTextFile(`${home.path}/config.json`), before);
});

Deno.test("config set reports other invalid values in the file by their line", async () => {
  await using home = await tempHome();
  const file = await writeConfig(home.path, '{\n  "gateway": {\n    "port": "nope"\n  }\n}\n');
  await assert.rejects(
    () => setConfigValue(home.path, { path: "group.enabled", value: "true" }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        `Invalid config: gateway.port = "nope" (from ${file}:3): expected an integer from 0 to 65535`,
  );
  // Fixing the bad key itself works.
  await setConfigValue(home.path, { path: "gateway.port", value: "18800" });
});

Deno.test("config set refuses unknown keys and paths the file's shape blocks", async () => {
  await using home = await tempHome();
  await assert.rejects(
    () => setConfigValue(home.path, { path: "gateway.prot", value: "1" }),
    (e: unknown) =>
      e instanceof ConfigKeyError &&
      e.message === 'Unknown config key "gateway.prot" (run kafclaw config env to list the keys)',
  );
  await writeConfig(home.path, { gateway: "oops" });
  await assert.rejects(
    () => setConfigValue(home.path, { path: "gateway.port", value: "1" }),
    /Cannot set gateway\.port: gateway is not an object in /,
  );
  await writeConfig(home.path, { gateway: null });
  await setConfigValue(home.path, { path: "gateway.port", value: "2" });
  assert.deepEqual(await read(home.path), { gateway: { port: 2 } });
});

Deno.test("config unset removes keys, items, sections and unknown keys, pruning empty sections", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, {
    knowledge: { enabled: true },
    gateway: { port: 1, host: "localhost" },
    channels: { telegram: { allowFrom: ["a", "b", "c"] } },
  });
  assert.deepEqual(await unsetConfigValue(home.path, "gateway.port"), {
    file: `${home.path}/config.json`,
    removed: true,
  });
  await unsetConfigValue(home.path, "channels.telegram.allowFrom.1");
  await unsetConfigValue(home.path, "knowledge.enabled");
  assert.deepEqual(await read(home.path), {
    gateway: { host: "localhost" },
    channels: { telegram: { allowFrom: ["a", "c"] } },
  });
  await unsetConfigValue(home.path, "channels.telegram.allowFrom");
  await unsetConfigValue(home.path, "gateway");
  assert.deepEqual(await read(home.path), {});
});

Deno.test("config unset of something absent changes nothing", async () => {
  await using home = await tempHome();
  assert.equal((await unsetConfigValue(home.path, "gateway.port")).removed, false);
  await assert.rejects(() => Deno.stat(`${home.path}/config.json`), Deno.errors.NotFound);
  await writeConfig(home.path, { channels: { telegram: { allowFrom: ["a"] } } });
  for (
    const path of ["channels.telegram.allowFrom.1", "channels.telegram.allowFrom.length", "x.y", ""]
  ) {
    assert.equal((await unsetConfigValue(home.path, path)).removed, false, path);
  }
});

Deno.test("config unset refuses to leave an invalid file", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, { gateway: { port: -1, host: "localhost" } });
  await assert.rejects(() => unsetConfigValue(home.path, "gateway.host"), ConfigError);
  assert.deepEqual(await read(home.path), { gateway: { port: -1, host: "localhost" } });
});

Deno.test("an invalid list item inside a section being set is reported as the new value", async () => {
  await using home = await tempHome();
  await assert.rejects(
    () => setConfigValue(home.path, { path: "group", value: '{"kafkaBrokers": ["nope"]}' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        'Invalid config: group.kafkaBrokers.0 = "nope" (from the new value): expected a host:port address',
  );
  await assert.rejects(
    () => setConfigValue(home.path, { path: "group.kafkaBrokers.0", value: "nope" }),
    /group\.kafkaBrokers\.0 = "nope" \(from the new value\)/,
  );
});
