import assert from "node:assert/strict";
import {
  ConfigError,
  configValues,
  parseConfigFile,
  resolveConfig,
  type ResolvedConfig,
} from "../../../../core/config/mod.ts";

const HOME = "/home/ada/.kafclaw";
const FILE = `${HOME}/config.json`;

function resolve(env: Record<string, string> = {}, file?: unknown, mode?: number): ResolvedConfig {
  const text = file === undefined
    ? undefined
    : typeof file === "string"
    ? file
    : JSON.stringify(file, null, 2);
  return resolveConfig({
    home: HOME,
    env: { HOME: "/home/ada", ...env },
    file: text === undefined ? undefined : parseConfigFile(FILE, text, mode),
  });
}

function failure(env: Record<string, string>, file?: unknown): ConfigError {
  try {
    resolve(env, file);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  throw new Error("resolved without error");
}

Deno.test("with no file and no environment every key has its default", () => {
  const c = resolve();
  assert.equal(c.gateway.host, "127.0.0.1");
  assert.equal(c.gateway.port, 18790);
  assert.equal(c.gateway.dashboardPort, 18791);
  assert.equal(c.gateway.authToken, undefined);
  assert.equal(c.group.enabled, false);
  assert.equal(c.group.security, "signed");
  assert.equal(c.group.maxDelegationDepth, 3);
  assert.equal(c.group.heartbeatIntervalMs, 10000);
  assert.equal(c.group.clockSkewMs, 120000);
  assert.equal(c.group.partitions, 12);
  assert.equal(c.group.maxMessageBytes, 1048576);
  assert.deepEqual(c.group.kafkaBrokers, []);
  assert.equal(c.orchestrator.role, "worker");
  assert.equal(c.model.name, "openai/gpt-4o-mini");
  assert.equal(c.model.maxTokens, 8192);
  assert.equal(c.model.temperature, 0.7);
  assert.equal(c.model.maxToolIterations, 20);
  assert.equal(c.tools.exec.unsandboxed, false);
  assert.equal(c.paths.workspace, `${HOME}/workspace`);
  assert.equal(c.home, HOME);
  assert.equal(c.file, FILE);
  assert.ok([...c.sources.values()].every((s) => s.kind === "default"));
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(c.unknownKeys, []);
});

Deno.test("the resolved config is frozen all the way down", () => {
  const c = resolve();
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.gateway));
  assert.ok(Object.isFrozen(c.group.kafkaBrokers));
  assert.throws(() => {
    (c.gateway as { port: number }).port = 1;
  }, TypeError);
});

Deno.test("precedence: environment > file > defaults, key by key", () => {
  const file = {
    gateway: { port: 18800, host: "localhost" },
    group: { enabled: true, name: "file-group", kafkaBrokers: ["file:9092"] },
    model: { name: "groq/llama-3" },
  };
  const env = {
    KAFCLAW_GATEWAY_PORT: "18900",
    KAFCLAW_GROUP_NAME: "env-group",
    KAFCLAW_GROUP_KAFKA_BROKERS: "a:9092,b:9092",
  };
  const c = resolve(env, file);
  assert.equal(c.gateway.port, 18900); // env over file
  assert.equal(c.gateway.host, "localhost"); // file over default
  assert.equal(c.gateway.dashboardPort, 18791); // default
  assert.equal(c.group.name, "env-group");
  assert.deepEqual(c.group.kafkaBrokers, ["a:9092", "b:9092"]);
  assert.equal(c.group.enabled, true);
  assert.equal(c.model.name, "groq/llama-3");
  assert.deepEqual(c.sources.get("gateway.port"), { kind: "env", name: "KAFCLAW_GATEWAY_PORT" });
  assert.deepEqual(c.sources.get("gateway.host"), { kind: "file", path: FILE, line: 4 });
  assert.deepEqual(c.sources.get("gateway.dashboardPort"), { kind: "default" });
  assert.deepEqual(c.sources.get("model.name"), { kind: "file", path: FILE, line: 14 });
});

Deno.test("legacy MIKROBOT_ names still work, with a deprecation warning", () => {
  const c = resolve({
    MIKROBOT_GROUP_ENABLED: "true",
    MIKROBOT_ORCHESTRATOR_ENABLED: "1",
    MIKROBOT_ORCHESTRATOR_ROLE: "orchestrator",
    MIKROBOT_KAFKA_BROKERS: "old:9092",
    MIKROBOT_GATEWAY_HOST: "0.0.0.0",
    MIKROBOT_GATEWAY_AUTH_TOKEN: "legacy-token",
    MIKROBOT_GATEWAY_DASHBOARD_PORT: "19000",
  });
  assert.equal(c.group.enabled, true);
  assert.equal(c.orchestrator.enabled, true);
  assert.equal(c.orchestrator.role, "orchestrator");
  assert.deepEqual(c.group.kafkaBrokers, ["old:9092"]);
  assert.equal(c.gateway.host, "0.0.0.0");
  assert.equal(c.gateway.authToken, "legacy-token");
  assert.equal(c.gateway.dashboardPort, 19000);
  assert.ok(
    c.warnings.includes("MIKROBOT_KAFKA_BROKERS is deprecated: use KAFCLAW_GROUP_KAFKA_BROKERS"),
  );
  assert.ok(c.warnings.includes("MIKROBOT_GATEWAY_HOST is deprecated: use KAFCLAW_GATEWAY_HOST"));
  assert.ok(!c.warnings.some((w) => w.includes("legacy-token")));
});

Deno.test("when both are set, the KAFCLAW_ name wins over the MIKROBOT_ one", () => {
  const c = resolve({
    KAFCLAW_GROUP_ENABLED: "false",
    MIKROBOT_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_KAFKA_BROKERS: "new:9092",
    MIKROBOT_GROUP_KAFKA_BROKERS: "old:9092",
    MIKROBOT_KAFKA_BROKERS: "older:9092",
    KAFCLAW_ORCHESTRATOR_ROLE: "observer",
    MIKROBOT_ORCHESTRATOR_ROLE: "orchestrator",
  });
  assert.equal(c.group.enabled, false);
  assert.deepEqual(c.group.kafkaBrokers, ["new:9092"]);
  assert.equal(c.orchestrator.role, "observer");
  assert.deepEqual(c.warnings, []);
  const legacyOnly = resolve({
    MIKROBOT_GROUP_KAFKA_BROKERS: "old:9092",
    MIKROBOT_KAFKA_BROKERS: "x:1",
  });
  assert.deepEqual(legacyOnly.group.kafkaBrokers, ["old:9092"]);
});

Deno.test("bare ENABLED, PORT, HOST and other unprefixed names change nothing", () => {
  const bare = {
    ENABLED: "true",
    PORT: "1",
    HOST: "0.0.0.0",
    MODEL: "groq/x",
    ROLE: "orchestrator",
    AUTH_TOKEN: "t",
    API_KEY: "k",
    KAFKA_BROKERS: "x:1",
    GROUP_NAME: "g",
    AGENT_ID: "a",
    DASHBOARD_PORT: "2",
  };
  const c = resolve(bare);
  assert.deepEqual(configValues(c, { reveal: true }), configValues(resolve(), { reveal: true }));
  assert.ok([...c.sources.values()].every((s) => s.kind === "default"));
});

Deno.test("KAFCLAW_MODEL is a short alias of KAFCLAW_MODEL_NAME, which wins", () => {
  assert.equal(resolve({ KAFCLAW_MODEL: "anthropic/claude-x" }).model.name, "anthropic/claude-x");
  const both = resolve({ KAFCLAW_MODEL: "anthropic/claude-x", KAFCLAW_MODEL_NAME: "groq/llama" });
  assert.equal(both.model.name, "groq/llama");
  assert.deepEqual(both.sources.get("model.name"), { kind: "env", name: "KAFCLAW_MODEL_NAME" });
  assert.equal(
    resolve({ KAFCLAW_MODEL: "xai/grok" }, { model: { name: "groq/a" } }).model.name,
    "xai/grok",
  );
});

Deno.test("OPENAI_API_KEY and OPENAI_BASE_URL set providers.openai, below the KAFCLAW_ names", () => {
  const c = resolve({ OPENAI_API_KEY: "sk-standard", OPENAI_BASE_URL: "http://127.0.0.1:9999/v1" });
  assert.equal(c.providers.openai.apiKey, "sk-standard");
  assert.equal(c.providers.openai.apiBase, "http://127.0.0.1:9999/v1");
  const both = resolve({
    OPENAI_API_KEY: "sk-standard",
    KAFCLAW_PROVIDERS_OPENAI_API_KEY: "sk-kafclaw",
    OPENAI_BASE_URL: "http://a/v1",
    MIKROBOT_PROVIDERS_OPENAI_API_BASE: "http://b/v1",
  });
  assert.equal(both.providers.openai.apiKey, "sk-kafclaw");
  assert.equal(both.providers.openai.apiBase, "http://b/v1");
  assert.equal(resolve().providers.openai.apiBase, "https://api.openai.com/v1");
});

Deno.test("each provider's own key variable sets its key, below the KAFCLAW_ name", () => {
  const own = {
    anthropic: "ANTHROPIC_API_KEY",
    openrouter: "OPENROUTER_API_KEY",
    groq: "GROQ_API_KEY",
    deepseek: "DEEPSEEK_API_KEY",
    gemini: "GEMINI_API_KEY",
    xai: "XAI_API_KEY",
  } as const;
  for (const [provider, name] of Object.entries(own)) {
    const c = resolve({ [name]: `key-of-${provider}` });
    assert.equal(c.providers[provider as keyof typeof own].apiKey, `key-of-${provider}`, name);
    assert.equal(c.providers.openai.apiKey, undefined, `${name} sets no other key`);
    const kafclawName = `KAFCLAW_PROVIDERS_${provider.toUpperCase()}_API_KEY`;
    const both = resolve({ [name]: "standard", [kafclawName]: "kafclaw" });
    assert.equal(both.providers[provider as keyof typeof own].apiKey, "kafclaw");
  }
});

Deno.test("environment values are converted by the key's type", () => {
  for (
    const [raw, value] of [["true", true], ["FALSE", false], ["1", true], ["0", false], [
      "yes",
      true,
    ], [" No ", false]] as const
  ) {
    assert.equal(resolve({ KAFCLAW_SCHEDULER_ENABLED: raw }).scheduler.enabled, value, raw);
  }
  assert.equal(resolve({ KAFCLAW_MODEL_TEMPERATURE: "0.25" }).model.temperature, 0.25);
  assert.equal(resolve({ KAFCLAW_MODEL_TEMPERATURE: "1" }).model.temperature, 1);
  assert.equal(resolve({ KAFCLAW_GATEWAY_PORT: " 18800 " }).gateway.port, 18800);
  assert.equal(
    resolve({ KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "sasl_ssl" }).group.kafkaSecurityProtocol,
    "SASL_SSL",
  );
  assert.deepEqual(
    resolve({ KAFCLAW_GROUP_KAFKA_BROKERS: '["a:1", "b:2"]' }).group.kafkaBrokers,
    ["a:1", "b:2"],
  );
  assert.deepEqual(
    resolve({ KAFCLAW_CHANNELS_TELEGRAM_ALLOW_FROM: " 1, 2,,3 " }).channels.telegram.allowFrom,
    ["1", "2", "3"],
  );
  assert.deepEqual(
    resolve({ KAFCLAW_POLICY_OWNERS: "[]" }, { policy: { owners: ["x"] } }).policy.owners,
    [],
  );
});

Deno.test("an empty environment value counts as unset", () => {
  const c = resolve({ KAFCLAW_GATEWAY_PORT: "", KAFCLAW_GROUP_NAME: "  " }, {
    gateway: { port: 18801 },
  });
  assert.equal(c.gateway.port, 18801);
  assert.equal(c.group.name, "kafclaw");
});

Deno.test("file values: lists as arrays or comma strings, numbers become strings, null and empty are unset", () => {
  const c = resolve({}, {
    group: { kafkaBrokers: "a:1, b:2", agentId: "" },
    channels: { telegram: { allowFrom: [123456789, "@ada"] } },
    gateway: { port: null, host: "" },
  });
  assert.deepEqual(c.group.kafkaBrokers, ["a:1", "b:2"]);
  assert.deepEqual(c.channels.telegram.allowFrom, ["123456789", "@ada"]);
  assert.equal(c.group.agentId, undefined);
  assert.equal(c.gateway.port, 18790);
  assert.equal(c.gateway.host, "127.0.0.1");
  assert.deepEqual(c.sources.get("gateway.port"), { kind: "default" });
});

Deno.test("an empty file is an empty configuration", () => {
  assert.equal(resolve({}, "  \n").gateway.port, 18790);
});

Deno.test("an invalid environment value names the key, the value, the variable and what is allowed", () => {
  const error = failure({ KAFCLAW_GATEWAY_PORT: "abc" });
  assert.equal(
    error.message,
    'Invalid config: gateway.port = "abc" (from KAFCLAW_GATEWAY_PORT): expected an integer from 0 to 65535',
  );
  assert.deepEqual(error.issues, [{
    key: "gateway.port",
    value: '"abc"',
    source: { kind: "env", name: "KAFCLAW_GATEWAY_PORT" },
    expected: "an integer from 0 to 65535",
  }]);
  assert.equal(
    failure({ MIKROBOT_GROUP_ENABLED: "maybe" }).message,
    'Invalid config: group.enabled = "maybe" (from MIKROBOT_GROUP_ENABLED): expected true or false (or 1/0, yes/no)',
  );
  assert.equal(
    failure({ KAFCLAW_GROUP_KAFKA_BROKERS: "a:1,nope" }).message,
    'Invalid config: group.kafkaBrokers = "a:1,nope" (from KAFCLAW_GROUP_KAFKA_BROKERS): ' +
      "expected a list of host:port addresses (a JSON array, or comma-separated)",
  );
  assert.match(
    failure({ KAFCLAW_GROUP_KAFKA_BROKERS: "[1," }).message,
    /group\.kafkaBrokers = "\[1,"/,
  );
  assert.match(
    failure({ KAFCLAW_GROUP_SECURITY: "none" }).message,
    /group\.security = "none" \(from KAFCLAW_GROUP_SECURITY\): expected one of "signed", "open"$/,
  );
  assert.match(failure({ KAFCLAW_GATEWAY_PORT: "65536" }).message, /gateway\.port = "65536"/);
  assert.match(
    failure({ KAFCLAW_MODEL_TEMPERATURE: "2.5" }).message,
    /expected a number from 0 to 2$/,
  );
  assert.match(
    failure({ KAFCLAW_MODEL_TEMPERATURE: "warm" }).message,
    /model\.temperature = "warm"/,
  );
});

Deno.test("an invalid file value names the file and the line of the key", () => {
  const text = '{\n  "gateway": {\n    "host": "127.0.0.1",\n    "port": 70000\n  }\n}\n';
  assert.equal(
    failure({}, text).message,
    `Invalid config: gateway.port = 70000 (from ${FILE}:4): expected an integer from 0 to 65535`,
  );
  const item = failure({}, '{"channels": {"telegram": {\n"allowFrom": [\n"a",\n{"x": 1}]}}}');
  assert.equal(
    item.message,
    `Invalid config: channels.telegram.allowFrom.1 = {"x":1} (from ${FILE}:4): expected a non-empty string`,
  );
  assert.equal(
    failure({}, '{\n"model": 5}').message,
    `Invalid config: model = 5 (from ${FILE}:2): expected an object`,
  );
  assert.match(
    failure({}, { group: { kafkaBrokers: "a:1, b" } }).message,
    /group\.kafkaBrokers = "a:1, b" \(from .*:3\)/,
  );
});

Deno.test("secrets are masked in errors, whatever their source", () => {
  const text =
    '{\n  "gateway": {"authToken": 12345678},\n  "providers": {"openai": "sk-live-abcdef"}\n}';
  const error = failure({}, text);
  assert.equal(
    error.message,
    `Invalid config (2 values): gateway.authToken = **** (from ${FILE}:2): expected a ` +
      `non-empty string; providers.openai = **** (from ${FILE}:3): expected an object`,
  );
  assert.ok(!error.message.includes("12345678") && !error.message.includes("sk-live"));
  const env = failure({ KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: "hunter2", KAFCLAW_GATEWAY_PORT: "x" }, {
    group: { kafkaSaslPassword: ["hunter3"] },
  });
  assert.ok(!env.message.includes("hunter"));
});

Deno.test("every invalid value is reported, once per key, all on one line", () => {
  const error = failure({ KAFCLAW_GATEWAY_PORT: "x", KAFCLAW_MODEL_NAME: "gpt-4" }, {
    group: { name: "has space", agentId: "a/b" },
    orchestrator: { endpoint: "ftp://x" },
    scheduler: { timezone: "Mars/Olympus" },
    model: { fallbacks: ["nobody/x"] },
  });
  assert.deepEqual(error.issues.map((i) => i.key), [
    "gateway.port",
    "group.name",
    "group.agentId",
    "orchestrator.endpoint",
    "model.name",
    "model.fallbacks.0",
    "scheduler.timezone",
  ]);
  assert.ok(!error.message.includes("\n"), error.message);
  assert.match(error.message, /^Invalid config \(7 values\): gateway\.port = "x" /);
  assert.match(
    error.message,
    /model\.name = "gpt-4" \(from KAFCLAW_MODEL_NAME\): expected provider\/model, where provider is one of openai, /,
  );
  assert.match(
    error.message,
    /orchestrator\.endpoint = "ftp:\/\/x" .*: expected an http:\/\/ or https:\/\/ URL/,
  );
  assert.match(
    error.message,
    /scheduler\.timezone = "Mars\/Olympus" .*: expected an IANA time zone/,
  );
});

Deno.test("long values are cut short in messages", () => {
  const error = failure({ KAFCLAW_GATEWAY_PORT: "9".repeat(200) });
  assert.ok(error.issues[0]!.value.length <= 80);
  assert.ok(error.issues[0]!.value.endsWith("…"));
});

Deno.test("invalid JSON names the file, line and column", () => {
  const error = failure({}, '{\n  "gateway": {\n    "port": 1,\n  }\n}');
  assert.equal(
    error.message,
    `Invalid config: ${FILE}:4:3: expected a property name in double quotes (the file is not valid JSON)`,
  );
  assert.equal(
    failure({}, "[1]").message,
    `Invalid config: ${FILE}: expected a JSON object at the top level`,
  );
});

Deno.test("unknown keys in the file are kept, not errors, and listed as warnings", () => {
  const c = resolve(
    {},
    '{\n  "knowledge": {"enabled": true},\n  "gateway": {\n    "daemonRuntime": "native"\n  }\n}',
  );
  assert.deepEqual(c.unknownKeys, ["knowledge", "gateway.daemonRuntime"]);
  assert.deepEqual(c.warnings, [
    `Unknown config key knowledge (${FILE}:2) is kept but not used`,
    `Unknown config key gateway.daemonRuntime (${FILE}:4) is kept but not used`,
  ]);
  assert.equal((c as unknown as Record<string, unknown>).knowledge, undefined);
});

Deno.test("a config file others can read is worth a warning", () => {
  assert.match(
    resolve({}, {}, 0o100644).warnings.join(),
    /can be read by other users \(mode 0644\): run chmod 600/,
  );
  assert.deepEqual(resolve({}, {}, 0o100600).warnings, []);
});

Deno.test("path keys: relative to KAFCLAW_HOME, ~/ to HOME, absolute as given", () => {
  assert.equal(resolve({}, { paths: { workspace: "ws" } }).paths.workspace, `${HOME}/ws`);
  assert.equal(resolve({ KAFCLAW_PATHS_WORKSPACE: "~/code" }).paths.workspace, "/home/ada/code");
  assert.equal(resolve({ KAFCLAW_PATHS_WORKSPACE: "/srv/ws/" }).paths.workspace, "/srv/ws");
  assert.equal(
    resolve({ KAFCLAW_GATEWAY_TLS_CERT: "tls/cert.pem" }).gateway.tlsCert,
    `${HOME}/tls/cert.pem`,
  );
});

Deno.test("values assigned by config set are reported as the new value", () => {
  const file = { path: FILE, value: { gateway: { port: "x" } }, lines: new Map<string, number>() };
  try {
    resolveConfig({ home: HOME, env: {}, file, assigned: "gateway" });
    assert.fail("resolved");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      'Invalid config: gateway.port = "x" (from the new value): expected an integer from 0 to 65535',
    );
  }
  const other = resolveConfig({
    home: HOME,
    env: {},
    file: { ...file, value: { gateway: { port: 2 } } },
    assigned: "group",
  });
  assert.deepEqual(other.sources.get("gateway.port"), { kind: "file", path: FILE });
});

Deno.test("an unknown key under a value being set is still only a warning", () => {
  const file = {
    path: FILE,
    value: { channels: { telegram: { extra: 1 } } },
    lines: new Map<string, number>(),
  };
  const c = resolveConfig({ home: HOME, env: {}, file, assigned: "channels.telegram" });
  assert.deepEqual(c.warnings, [
    `Unknown config key channels.telegram.extra (${FILE}) is kept but not used`,
  ]);
});

Deno.test("a null section is an unset section; a non-string enum is an error", () => {
  const c = resolve({}, { gateway: null, group: {} });
  assert.equal(c.gateway.port, 18790);
  assert.deepEqual(c.unknownKeys, []);
  assert.match(
    failure({}, { group: { security: 1 } }).message,
    /group\.security = 1 .*expected one of "signed", "open"/,
  );
});

Deno.test("WhatsApp's Graph API version is a vN.N path segment, checked where it is set", () => {
  assert.equal(resolve({}).channels.whatsapp.apiVersion, "v21.0");
  assert.equal(
    resolve({ KAFCLAW_CHANNELS_WHATSAPP_API_VERSION: "v23.0" }).channels.whatsapp.apiVersion,
    "v23.0",
  );
  assert.equal(
    failure({ KAFCLAW_CHANNELS_WHATSAPP_API_VERSION: "23.0/../x" }).message,
    'Invalid config: channels.whatsapp.apiVersion = "23.0/../x" ' +
      "(from KAFCLAW_CHANNELS_WHATSAPP_API_VERSION): expected a version such as v21.0",
  );
});
