import assert from "node:assert/strict";
import { makeReadOnly } from "../../_support/readonly.ts";
import { tempHome, writeConfig } from "../core/config/_helpers.ts";
import { kafclawInProcess as kafclaw } from "../../_support/cli_in_process.ts";

const GOLDEN = new URL("../../golden/config/env.txt", import.meta.url);

Deno.test("config env matches the golden file exactly (UPDATE_GOLDEN=1 rewrites it)", async () => {
  const { code, stdout } = await kafclaw({}, "config", "env");
  assert.equal(code, 0);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") await Deno.writeTextFile(GOLDEN, stdout + "\n");
  assert.equal(stdout + "\n", await Deno.readTextFile(GOLDEN));
});

Deno.test("config env lists every generated name with key, type, default and secrecy", async () => {
  const { stdout } = await kafclaw({}, "config", "env");
  for (
    const line of [
      /^KAFCLAW_GATEWAY_DASHBOARD_PORT +gateway\.dashboardPort +integer 0\.\.65535 +no +18791$/m,
      /^KAFCLAW_GATEWAY_AUTH_TOKEN +gateway\.authToken +string +yes +-$/m,
      /^KAFCLAW_GROUP_KAFKA_BROKERS +group\.kafkaBrokers +list +no +-$/m,
      /^KAFCLAW_GROUP_SECURITY +group\.security +signed\|open +no +signed$/m,
      /^KAFCLAW_MODEL +KAFCLAW_MODEL_NAME +model\.name +short alias$/m,
      /^OPENAI_API_KEY +KAFCLAW_PROVIDERS_OPENAI_API_KEY +providers\.openai\.apiKey +standard name$/m,
      /^MIKROBOT_KAFKA_BROKERS +KAFCLAW_GROUP_KAFKA_BROKERS +group\.kafkaBrokers +deprecated$/m,
    ]
  ) assert.match(stdout, line);
  const json = JSON.parse((await kafclaw({}, "config", "env", "--json")).stdout);
  assert.ok(json.some((r: { name: string }) => r.name === "MIKROBOT_GATEWAY_AUTH_TOKEN"));
  // snake_case keys, as every --json prints them; a name with no key of its own says null.
  const model = json.find((r: { name: string }) => r.name === "KAFCLAW_MODEL");
  assert.equal(model.alias_of, "KAFCLAW_MODEL_NAME");
  assert.equal(json.find((r: { name: string }) => r.name === "KAFCLAW_HOME").key, null);
});

Deno.test("config path prints the file under KAFCLAW_HOME; --all every path", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  assert.deepEqual(await kafclaw(env, "config", "path"), {
    code: 0,
    stdout: `${home.path}/config.json`,
    stderr: "",
  });
  const all = await kafclaw(env, "config", "path", "--all");
  assert.match(all.stdout, new RegExp(`^workspace +${home.path}/workspace$`, "m"));
  assert.match(all.stdout, new RegExp(`^timeline +${home.path}/timeline\\.db$`, "m"));
  assert.equal(
    (await kafclaw({ HOME: "/home/ada" }, "config", "path")).stdout,
    "/home/ada/.kafclaw/config.json",
  );
});

Deno.test("config set, get and unset round-trip and keep unknown keys", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  await writeConfig(home.path, { knowledge: { enabled: true } });
  const set = await kafclaw(env, "config", "set", "gateway.port", "18800");
  assert.deepEqual(set, {
    code: 0,
    stdout: `gateway.port = 18800  (written to ${home.path}/config.json)`,
    stderr: "",
  });
  assert.equal((await kafclaw(env, "config", "get", "gateway.port")).stdout, "18800");
  assert.equal(
    (await kafclaw(env, "config", "get", "gateway.port", "--source")).stdout,
    `18800  (from ${home.path}/config.json:6)`,
  );
  await kafclaw(env, "config", "set", "channels.telegram.allowFrom.0", "42");
  await kafclaw(env, "config", "set", "channels.telegram.allowFrom.1", "43");
  assert.equal(
    (await kafclaw(env, "config", "get", "channels.telegram.allowFrom")).stdout,
    '["42","43"]',
  );
  assert.equal((await kafclaw(env, "config", "get", "channels.telegram.allowFrom.1")).stdout, "43");
  assert.equal((await kafclaw(env, "config", "get", "knowledge.enabled")).stdout, "true");
  assert.equal(
    (await kafclaw(env, "config", "get", "knowledge", "--source")).stdout,
    `{\n  "enabled": true\n}  (from ${home.path}/config.json, not a known key)`,
  );
  assert.deepEqual(await kafclaw(env, "config", "unset", "gateway.port"), {
    code: 0,
    stdout: `removed gateway.port from ${home.path}/config.json`,
    stderr: "",
  });
  assert.equal(
    (await kafclaw(env, "config", "get", "gateway.port", "--source")).stdout,
    "18790  (default)",
  );
  const again = await kafclaw(env, "config", "unset", "gateway.port");
  assert.equal(again.code, 0);
  assert.equal(
    again.stderr,
    `kafclaw: gateway.port is not in ${home.path}/config.json; nothing to remove`,
  );
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.path}/config.json`)), {
    knowledge: { enabled: true },
    channels: { telegram: { allowFrom: ["42", "43"] } },
  });
});

Deno.test("config get prints sections as JSON and masks secrets unless --reveal", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_GATEWAY_AUTH_TOKEN: "0123456789abcdefghij" };
  assert.equal((await kafclaw(env, "config", "get", "gateway.authToken")).stdout, "****ghij");
  assert.equal(
    (await kafclaw(env, "config", "get", "gateway.authToken", "--reveal")).stdout,
    "0123456789abcdefghij",
  );
  const section = JSON.parse((await kafclaw(env, "config", "get", "gateway")).stdout);
  assert.equal(section.authToken, "****ghij");
  assert.equal(section.port, 18790);
  const sources = (await kafclaw(env, "config", "get", "gateway", "--source")).stdout;
  assert.match(
    sources,
    /^gateway\.authToken = "\*\*\*\*ghij" {2}\(from KAFCLAW_GATEWAY_AUTH_TOKEN\)$/m,
  );
  assert.equal((await kafclaw(env, "config", "get", "channels.whatsapp.phoneNumberId")).code, 1);
  assert.equal(
    JSON.parse((await kafclaw(env, "config", "get", "channels.discord")).stdout).enabled,
    false,
  );
});

Deno.test("config show lists every key with its source, secrets masked, warnings on stderr", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, { gateway: { authToken: "file-token-0123456789" }, knowledge: {} });
  const env = { KAFCLAW_HOME: home.path, MIKROBOT_GROUP_ENABLED: "true" };
  const show = await kafclaw(env, "config", "show");
  assert.equal(show.code, 0);
  assert.ok(show.stdout.startsWith(`# ${home.path}/config.json\n`));
  assert.match(show.stdout, /^gateway\.authToken = "\*\*\*\*6789" {2}\(from .*config\.json:3\)$/m);
  assert.match(show.stdout, /^group\.enabled = true {2}\(from MIKROBOT_GROUP_ENABLED\)$/m);
  assert.match(show.stdout, /^gateway\.tlsCert \(not set\)$/m);
  assert.ok(!show.stdout.includes("file-token-0123456789"));
  assert.match(show.stderr, /^kafclaw: warning: Unknown config key knowledge /m);
  assert.match(
    show.stderr,
    /^kafclaw: warning: MIKROBOT_GROUP_ENABLED is deprecated: use KAFCLAW_GROUP_ENABLED$/m,
  );
  const json = JSON.parse((await kafclaw(env, "config", "show", "--json")).stdout);
  assert.equal(json.values.gateway.authToken, "****6789");
  assert.equal(json.sources["group.enabled"], "from MIKROBOT_GROUP_ENABLED");
  assert.equal(json.sources["gateway.port"], "default");
  assert.deepEqual(json.unknown_keys, ["knowledge"]);
  const revealed = JSON.parse((await kafclaw(env, "config", "show", "--json", "--reveal")).stdout);
  assert.equal(revealed.values.gateway.authToken, "file-token-0123456789");
});

Deno.test("config set warns when the environment overrides what it wrote", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_MODEL: "groq/x", KAFCLAW_GATEWAY_PORT: "1" };
  const leaf = await kafclaw(env, "config", "set", "model.name", "xai/grok");
  assert.equal(
    leaf.stderr,
    "kafclaw: note: KAFCLAW_MODEL is set and takes precedence over model.name",
  );
  const section = await kafclaw(env, "config", "set", "gateway", '{"port": 2}');
  assert.equal(section.stdout, `gateway = {"port":2}  (written to ${home.path}/config.json)`);
  assert.equal(
    section.stderr,
    "kafclaw: note: KAFCLAW_GATEWAY_PORT is set and takes precedence over gateway.port",
  );
  const secret = await kafclaw(env, "config", "set", "gateway.authToken", "abc");
  assert.equal(secret.stdout, `gateway.authToken = ****  (written to ${home.path}/config.json)`);
});

Deno.test("usage and config errors exit 2 with one line, from config set, the environment and the file alike; runtime errors exit 1; never a stack trace", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  const cases: [string[], number, string][] = [
    [
      ["config", "set", "gateway.port", "abc"],
      2,
      'kafclaw: Invalid config: gateway.port = "abc" (from the new value): expected an integer from 0 to 65535',
    ],
    [
      ["config", "set", "gateway.prot", "1"],
      2,
      'kafclaw: Unknown config key "gateway.prot" (run kafclaw config env to list the keys)',
    ],
    [
      ["config", "get", "nope"],
      2,
      'kafclaw: Unknown config key "nope" (run kafclaw config env to list the keys)',
    ],
    [["config", "get", "gateway.tlsCert"], 1, "kafclaw: gateway.tlsCert is not set"],
  ];
  for (const [args, code, stderr] of cases) {
    assert.deepEqual(await kafclaw(env, ...args), { code, stdout: "", stderr }, args.join(" "));
  }
  const badEnv = await kafclaw({ ...env, KAFCLAW_GATEWAY_PORT: "abc" }, "config", "show");
  assert.deepEqual(badEnv, {
    code: 2,
    stdout: "",
    stderr:
      'kafclaw: Invalid config: gateway.port = "abc" (from KAFCLAW_GATEWAY_PORT): expected an integer from 0 to 65535',
  });
  const file = await writeConfig(home.path, '{\n  "gateway": {\n    "port": 1,,\n  }\n}\n');
  const badJson = await kafclaw(env, "config", "get", "gateway.port");
  assert.deepEqual(badJson, {
    code: 2,
    stdout: "",
    stderr:
      `kafclaw: Invalid config: ${file}:3:15: expected a property name in double quotes (the file is not valid JSON)`,
  });
  await writeConfig(home.path, { gateway: { port: -1 } });
  const otherKey = await kafclaw(env, "config", "set", "group.enabled", "true");
  assert.equal(otherKey.code, 2);
  assert.match(
    otherKey.stderr,
    /^kafclaw: Invalid config: gateway\.port = -1 \(from .*config\.json:3\)/,
  );
  await writeConfig(home.path, { gateway: { port: -1, host: "localhost" } });
  assert.equal((await kafclaw(env, "config", "unset", "gateway.host")).code, 2);
  assert.equal((await kafclaw({ KAFCLAW_HOME: "relative" }, "config", "path")).code, 2);
  await writeConfig(home.path, { gateway: { port: "abc" } });
  const badFile = await kafclaw(env, "config", "get", "gateway.port");
  assert.equal(badFile.code, 2, "the same value exits as from config set and the environment");
  assert.match(badFile.stderr, /^kafclaw: Invalid config: gateway\.port = "abc" \(from \S+:3\)/);
  assert.equal(
    (await kafclaw({}, "config", "show")).stderr,
    "kafclaw: Cannot find the home directory: set KAFCLAW_HOME or HOME",
  );
  assert.equal((await kafclaw(env, "config", "set", "gateway.port")).code, 2);
  assert.equal((await kafclaw(env, "config")).code, 2);
});

Deno.test("a write that fails exits 1 naming the file", async () => {
  await using home = await tempHome();
  // KAFCLAW_HOME below a dangling symlink: reading finds no file, creating the folder fails
  // (even for root).
  await Deno.symlink(`${home.path}/nowhere`, `${home.path}/link`);
  const env = { KAFCLAW_HOME: `${home.path}/link/.kafclaw` };
  const result = await kafclaw(env, "config", "set", "gateway.port", "1");
  assert.equal(result.code, 1);
  assert.ok(
    result.stderr.startsWith(`kafclaw: Cannot write ${env.KAFCLAW_HOME}/config.json: `),
    result.stderr,
  );
  assert.equal(result.stderr.split("\n").length, 1);
  const unreadable = await kafclaw({ KAFCLAW_HOME: `${home.path}/link` }, "config", "unset", "a");
  assert.equal(unreadable.code, 0);
});

Deno.test({
  name: "a write into a read-only KAFCLAW_HOME exits 1 and leaves the file as it was",
  async fn() {
    await using home = await tempHome();
    await writeConfig(home.path, { gateway: { port: 1 } });
    const restore = await makeReadOnly(home.path);
    let result;
    try {
      result = await kafclaw({ KAFCLAW_HOME: home.path }, "config", "set", "gateway.port", "2");
    } finally {
      await restore();
    }
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^kafclaw: Cannot write .*config\.json: /);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.path}/config.json`)), {
      gateway: { port: 1 },
    });
  },
});

Deno.test("config get masks unknown keys whose names look secret", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, { er1: { url: "https://er1.example", apiKey: "er1-key" } });
  const env = { KAFCLAW_HOME: home.path };
  assert.deepEqual(JSON.parse((await kafclaw(env, "config", "get", "er1")).stdout), {
    url: "https://er1.example",
    apiKey: "****",
  });
  assert.equal((await kafclaw(env, "config", "get", "er1.apiKey")).stdout, "****");
  assert.equal((await kafclaw(env, "config", "get", "er1.apiKey", "--reveal")).stdout, "er1-key");
});
