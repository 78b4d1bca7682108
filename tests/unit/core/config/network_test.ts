/**
 * core/config/network.ts: the addresses a headless gateway is narrowed to, read from the
 * environment and config.json without the schema, exactly as the schema resolves the same keys.
 */
import assert from "node:assert/strict";
import { gatewayNetwork, NETWORK_DEFAULTS } from "../../../../core/config/network.ts";
import { KEYS, PROVIDERS, resolveConfig } from "../../../../core/config/mod.ts";
import { FILE_KEYS, namedFilesOf } from "../../../../core/config/paths.ts";

Deno.test("every key the network is read from has the schema's default", () => {
  for (const [key, value] of Object.entries(NETWORK_DEFAULTS)) {
    assert.deepEqual(KEYS.byKey.get(key)?.default, value, key);
  }
  const providers = Object.keys(NETWORK_DEFAULTS).filter((k) => k.startsWith("providers."));
  assert.deepEqual(providers, PROVIDERS.map((p) => `providers.${p}.apiBase`));
  // Every endpoint the schema knows is read: a channel or provider added there is granted.
  const endpoints = KEYS.keys.filter((k) => k.key.endsWith(".apiBase")).map((k) => k.key);
  const channels = KEYS.keys.filter((k) => /^channels\.\w+\.enabled$/.test(k.key))
    .map((k) => k.key);
  for (const key of [...endpoints, ...channels]) {
    assert.ok(Object.hasOwn(NETWORK_DEFAULTS, key), `${key} is not read`);
  }
});

Deno.test("by default: loopback, not headless, the default model's provider only", () => {
  assert.deepEqual(gatewayNetwork({ env: {}, file: undefined }), {
    headless: false,
    listen: ["127.0.0.1:18790", "127.0.0.1:18791"],
    connect: ["api.openai.com:443"],
  });
});

Deno.test("headless by --mode, or by any non-loopback or unreadable gateway.host", () => {
  const headless = (mode: string | undefined, env: Record<string, string>, file?: unknown) =>
    gatewayNetwork({ mode, env, file }).headless;
  assert.equal(headless("headless", {}), true);
  assert.equal(headless("full", {}), false);
  assert.equal(headless(undefined, { KAFCLAW_GATEWAY_HOST: "0.0.0.0" }), true);
  assert.equal(headless(undefined, {}, { gateway: { host: "192.168.1.5" } }), true);
  assert.equal(headless(undefined, {}, { gateway: { host: "localhost" } }), false);
  assert.equal(headless(undefined, { MIKROBOT_GATEWAY_HOST: "::" }), true);
  // What the schema refuses stops the gateway; until then it counts as exposed.
  assert.equal(headless(undefined, {}, { gateway: { host: 7 } }), true);
  assert.equal(headless(undefined, { KAFCLAW_GATEWAY_HOST: "a,b" }), true);
});

Deno.test("the environment wins over the file, by the same names and order as the schema", () => {
  const env = {
    KAFCLAW_GATEWAY_HOST: "::",
    KAFCLAW_GATEWAY_PORT: "0",
    MIKROBOT_KAFKA_BROKERS: "legacy:9092",
    KAFCLAW_GROUP_KAFKA_BROKERS: "k1:9092, k2:9093",
    KAFCLAW_MODEL: "ollama/llama3",
    OPENAI_BASE_URL: "http://127.0.0.1:8080/v1",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: "http://gpu.lan:11434/v1",
  };
  const file = {
    gateway: { host: "127.0.0.1", port: 9000, dashboardPort: 9001 },
    group: { kafkaBrokers: ["file:9092"] },
    model: { name: "xai/grok", fallbacks: ["openai/gpt-4o"] },
  };
  const net = gatewayNetwork({ env, file });
  assert.deepEqual(net, {
    headless: true,
    listen: ["[::]:0", "[::]:9001"],
    connect: ["k1:9092", "k2:9093", "gpu.lan:11434", "127.0.0.1:8080"],
  });
  // The same keys as the schema resolves them.
  const resolved = resolveConfig({
    home: "/h",
    env,
    file: { path: "/h/config.json", value: file, lines: new Map() },
  });
  assert.deepEqual(resolved.group.kafkaBrokers, ["k1:9092", "k2:9093"]);
  assert.equal(resolved.model.name, "ollama/llama3");
  assert.equal(resolved.providers.openai.apiBase, "http://127.0.0.1:8080/v1");
  assert.equal(resolved.gateway.port, 0);
});

Deno.test("every model the config names brings its provider's host, and no other", () => {
  const file = {
    model: { name: "anthropic/claude", fallbacks: ["groq/llama"] },
    agents: {
      list: [{ id: "a", model: "deepseek/chat" }, {
        id: "b",
        model: { primary: "xai/grok", fallbacks: ["gemini/flash"] },
      }],
    },
    policy: { sensitivity: [{ name: "secret", keywords: ["x"], routeTo: "vllm/local" }] },
    memory: { embedding: { enabled: "false", model: "openrouter/embed" } },
  };
  assert.deepEqual(gatewayNetwork({ env: {}, file }).connect, [
    "api.anthropic.com:443",
    "api.groq.com:443",
    "api.deepseek.com:443",
    "api.x.ai:443",
    "generativelanguage.googleapis.com:443",
    "127.0.0.1:8000",
  ]);
  // Embedding on (the default) brings its provider; agents.list from the environment is JSON.
  const env = {
    KAFCLAW_AGENTS_LIST: JSON.stringify([{ id: "c", model: "lmstudio/m" }]),
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "openrouter/embed",
  };
  assert.deepEqual(gatewayNetwork({ env, file: { model: { name: "ollama/x" } } }).connect, [
    "127.0.0.1:11434",
    "127.0.0.1:1234",
    "openrouter.ai:443",
  ]);
});

Deno.test("enabled channels bring their API's host; disabled ones and bad values bring nothing", () => {
  const env = {
    KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "yes",
    KAFCLAW_CHANNELS_TELEGRAM_API_BASE: "http://127.0.0.1:7000/bot",
    KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
  };
  const file = {
    channels: { discord: { enabled: true }, whatsapp: { enabled: false } },
    group: { kafkaBrokers: ["ok:1", "no port", "a,b:2", 7] },
    model: { name: "openai/x" },
    providers: { openai: { apiBase: "ftp://files.example/v1" } },
  };
  assert.deepEqual(gatewayNetwork({ env, file }).connect, [
    "ok:1",
    "127.0.0.1:7000",
    "discord.com:443",
    "gateway.discord.gg:443",
    "cdn.discordapp.com:443",
  ]);
});

Deno.test("Discord brings its gateway's websocket host and its CDN only while enabled", () => {
  const env = { KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" };
  const on = { model: { name: "openai/x" }, channels: { discord: { enabled: true } } };
  assert.deepEqual(gatewayNetwork({ mode: "headless", env, file: on }).connect, [
    "api.openai.com:443",
    "discord.com:443",
    "gateway.discord.gg:443",
    "cdn.discordapp.com:443",
  ]);
  const off = { model: { name: "openai/x" }, channels: { discord: { enabled: false } } };
  const connect = gatewayNetwork({ mode: "headless", env, file: off }).connect;
  assert.ok(!connect.some((host) => host.includes("discord")), connect.join());
});

Deno.test("a channel's webhook listener is among a headless gateway's addresses; WhatsApp brings its media host", () => {
  const env = { KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" };
  const file = {
    model: { name: "openai/x" },
    channels: {
      whatsapp: { enabled: true, webhookPort: 9444 },
      telegram: { enabled: true, mode: "webhook", webhookHost: "10.0.0.2" },
    },
  };
  const net = gatewayNetwork({ mode: "headless", env, file });
  assert.deepEqual(net.listen, [
    "0.0.0.0:18790",
    "0.0.0.0:18791",
    "10.0.0.2:8443",
    "127.0.0.1:9444",
  ]);
  assert.deepEqual(net.connect, [
    "api.openai.com:443",
    "api.telegram.org:443",
    "graph.facebook.com:443",
    "lookaside.fbsbx.com:443",
  ]);
  // Telegram polling listens on nothing; a disabled WhatsApp reaches nothing.
  const polling = gatewayNetwork({
    mode: "headless",
    env,
    file: { model: { name: "openai/x" }, channels: { telegram: { enabled: true } } },
  });
  assert.deepEqual(polling.listen, ["0.0.0.0:18790", "0.0.0.0:18791"]);
  // A listener address the schema would refuse grants nothing.
  for (const whatsapp of [{ webhookHost: "a,b" }, { webhookPort: "many" }]) {
    const bad = gatewayNetwork({
      mode: "headless",
      env,
      file: { model: { name: "openai/x" }, channels: { whatsapp: { enabled: true, ...whatsapp } } },
    });
    assert.deepEqual(bad.listen, ["0.0.0.0:18790", "0.0.0.0:18791"], JSON.stringify(whatsapp));
  }
  assert.ok(!polling.connect.some((a) => a.includes("facebook") || a.includes("fbsbx")));
});

Deno.test("the files config names are every path key but the workspace, resolved as the schema does", () => {
  assert.deepEqual(
    [...FILE_KEYS],
    KEYS.keys.filter((k) => k.path && k.key !== "paths.workspace").map((k) => k.key),
  );
  const env = { HOME: "/u", KAFCLAW_GROUP_KAFKA_TLS_CA_FILE: " ~/ca.pem " };
  const file = {
    gateway: { tlsCert: "certs/gw.pem", tlsKey: "" },
    group: { kafkaTlsCaFile: "/ignored.pem", inviteFile: 7, kafkaTlsKeyFile: "/etc/k.pem" },
  };
  assert.deepEqual(namedFilesOf("/h", env, file), ["/h/certs/gw.pem", "/u/ca.pem", "/etc/k.pem"]);
  const resolved = resolveConfig({
    home: "/h",
    env,
    file: {
      path: "/h/config.json",
      value: { ...file, group: { ...file.group, inviteFile: "" } },
      lines: new Map(),
    },
  });
  assert.equal(resolved.gateway.tlsCert, "/h/certs/gw.pem");
  assert.equal(resolved.group.kafkaTlsCaFile, "/u/ca.pem");
});

Deno.test("what the schema would refuse grants no host; a URL's scheme gives its default port", () => {
  const file = {
    model: { name: "openai/x", fallbacks: ["groq/y"] },
    agents: { list: ["not an agent", { id: "a" }, { id: "b", model: 7 }] },
    policy: { sensitivity: { not: "a list" } },
    memory: { embedding: { enabled: false } },
    providers: {
      openai: { apiBase: 42 },
      groq: { apiBase: "http://a,b:1/v1" },
    },
    channels: { telegram: { enabled: true, apiBase: "http://bad url" } },
  };
  assert.deepEqual(gatewayNetwork({ env: {}, file }).connect, []);
  const plain = {
    model: { name: "vllm/x" },
    providers: { vllm: { apiBase: "http://llm.lan/v1" } },
  };
  assert.deepEqual(
    gatewayNetwork({ env: { KAFCLAW_MEMORY_EMBEDDING_ENABLED: "no" }, file: plain }).connect,
    ["llm.lan:80"],
  );
});

Deno.test("--mode headless with no gateway.host listens on every interface; a host set in the file or the environment is kept", () => {
  const env = { KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" };
  const listen = (options: { mode?: string; env?: Record<string, string>; file?: unknown }) =>
    gatewayNetwork({ env: { ...env, ...options.env }, file: options.file ?? {}, ...options })
      .listen.join();
  assert.equal(listen({ mode: "headless" }), "0.0.0.0:18790,0.0.0.0:18791");
  const file = { gateway: { host: "127.0.0.1" } };
  assert.equal(listen({ mode: "headless", file }), "127.0.0.1:18790,127.0.0.1:18791");
  const set = { KAFCLAW_GATEWAY_HOST: "127.0.0.2" };
  assert.equal(listen({ mode: "headless", env: set }), "127.0.0.2:18790,127.0.0.2:18791");
  // Other modes keep the loopback default.
  for (const mode of ["full", undefined]) {
    assert.equal(listen(mode ? { mode } : {}), "127.0.0.1:18790,127.0.0.1:18791");
  }
});
