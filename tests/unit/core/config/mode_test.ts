import assert from "node:assert/strict";
import {
  isLoopback,
  MIN_NETWORK_SECRET,
  type ModeInputs,
  MODES,
  resolveConfig,
  resolveMode,
  withModeHost,
} from "../../../../core/config/mod.ts";

function config(env: Record<string, string> = {}): ModeInputs {
  return resolveConfig({ home: "/h", env });
}

const TOKEN = "headless-token-0123456789";

const BROKERS = { KAFCLAW_GROUP_KAFKA_BROKERS: "localhost:9092" };

Deno.test("standalone by default, group with group.enabled, full with the orchestrator too", () => {
  assert.deepEqual(resolveMode(config()), {
    ok: true,
    mode: "standalone",
    reason: "group.enabled is false",
  });
  assert.deepEqual(resolveMode(config({ ...BROKERS, KAFCLAW_GROUP_ENABLED: "true" })), {
    ok: true,
    mode: "group",
    reason: "group.enabled",
  });
  const full = config({
    ...BROKERS,
    KAFCLAW_GROUP_ENABLED: "1",
    KAFCLAW_ORCHESTRATOR_ENABLED: "1",
  });
  assert.equal((resolveMode(full) as { mode: string }).mode, "full");
  // The orchestrator alone does not make a group.
  assert.equal(
    (resolveMode(config({ KAFCLAW_ORCHESTRATOR_ENABLED: "1" })) as { mode: string }).mode,
    "standalone",
  );
  assert.deepEqual([...MODES], ["standalone", "group", "full", "headless"]);
});

Deno.test("a gateway bound to 0.0.0.0 (or any non-loopback address) is headless", () => {
  const result = resolveMode(
    config({ KAFCLAW_GATEWAY_HOST: "0.0.0.0", KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN }),
  );
  assert.deepEqual(result, {
    ok: true,
    mode: "headless",
    reason: "gateway.host 0.0.0.0 is not a loopback address",
  });
  const lan = config({
    KAFCLAW_GATEWAY_HOST: "192.168.1.5",
    KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN,
    KAFCLAW_GROUP_ENABLED: "1",
  });
  assert.equal((resolveMode(lan) as { mode: string }).mode, "headless");
});

Deno.test("headless mode without gateway.authToken is a validation error that says so", () => {
  const result = resolveMode(config({ KAFCLAW_GATEWAY_HOST: "0.0.0.0" }));
  assert.equal(result.ok, false);
  assert.equal(result.mode, "headless");
  assert.ok(!result.ok);
  assert.match(
    result.error,
    /^Invalid config: headless mode \(gateway\.host 0\.0\.0\.0 is not a loopback address\) requires gateway\.authToken/,
  );
  assert.match(result.error, /KAFCLAW_GATEWAY_AUTH_TOKEN/);
  const forced = resolveMode(config(), "headless");
  assert.ok(!forced.ok);
  assert.match(forced.error, /headless mode \(--mode headless\) requires gateway\.authToken/);
});

Deno.test("headless mode refuses a token short enough to guess, saying how long it must be", () => {
  for (const short of ["t", "t0ken", "x".repeat(MIN_NETWORK_SECRET - 1)]) {
    const result = resolveMode(
      config({ KAFCLAW_GATEWAY_HOST: "0.0.0.0", KAFCLAW_GATEWAY_AUTH_TOKEN: short }),
    );
    assert.ok(!result.ok, short);
    assert.equal(result.mode, "headless");
    assert.equal(
      result.error,
      "Invalid config: in headless mode (gateway.host 0.0.0.0 is not a loopback address), " +
        `gateway.authToken has ${short.length} characters and needs at least 16: anyone who ` +
        "reaches the listener may try to guess it. Make one with: " +
        "head -c 32 /dev/urandom | base64 | tr -d '/+='",
    );
    if (short.length > 1) assert.ok(!result.error.includes(short), "the token is not shown");
  }
  const forced = resolveMode(config({ KAFCLAW_GATEWAY_AUTH_TOKEN: "t0ken" }), "headless");
  assert.ok(!forced.ok);
  assert.match(
    forced.error,
    /^Invalid config: in headless mode \(--mode headless\), gateway\.authT/,
  );
  // A loopback gateway's token is the user's business; only the network makes length matter.
  assert.ok(resolveMode(config({ KAFCLAW_GATEWAY_AUTH_TOKEN: "t" })).ok);
  const long = "x".repeat(MIN_NETWORK_SECRET);
  assert.ok(resolveMode(config({ KAFCLAW_GATEWAY_AUTH_TOKEN: long }), "headless").ok);
});

Deno.test("an explicit mode is taken as asked", () => {
  assert.deepEqual(resolveMode(config(BROKERS), "full"), {
    ok: true,
    mode: "full",
    reason: "--mode full",
  });
  assert.deepEqual(resolveMode(config({ KAFCLAW_GROUP_ENABLED: "1" }), "standalone"), {
    ok: true,
    mode: "standalone",
    reason: "--mode standalone",
  });
  const headless = resolveMode(config({ KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN }), "headless");
  assert.deepEqual(headless, { ok: true, mode: "headless", reason: "--mode headless" });
});

Deno.test("an explicit mode cannot hide a non-loopback bind", () => {
  const result = resolveMode(config({ KAFCLAW_GATEWAY_HOST: "0.0.0.0" }), "standalone");
  assert.ok(!result.ok);
  assert.equal(result.mode, "standalone");
  assert.match(result.error, /--mode standalone cannot listen on gateway\.host 0\.0\.0\.0/);
});

Deno.test("group and full modes need Kafka brokers", () => {
  const group = resolveMode(config({ KAFCLAW_GROUP_ENABLED: "1" }));
  assert.ok(!group.ok);
  assert.match(
    group.error,
    /^Invalid config: group mode \(group\.enabled\) requires group\.kafkaBrokers/,
  );
  const full = resolveMode(config(), "full");
  assert.ok(!full.ok);
  assert.match(full.error, /full mode \(--mode full\) requires group\.kafkaBrokers/);
});

Deno.test("isLoopback knows localhost, 127.0.0.0/8 and ::1", () => {
  for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["0.0.0.0", "::", "192.168.1.5", "example.com", "127.0.0.1.nip.io"]) {
    assert.ok(!isLoopback(host), host);
  }
});

Deno.test("the mode's errors suggest commands in the name given, kafclaw when none is", () => {
  const exposed = { ...config({ KAFCLAW_GATEWAY_HOST: "0.0.0.0" }) };
  const { command: _, ...nameless } = exposed;
  const plain = resolveMode(nameless);
  assert.equal(plain.ok, false);
  assert.match((plain as { error: string }).error, /run kafclaw config set gateway\.authToken/);
  const named = resolveMode({ ...exposed, command: "scripts/kafclaw" });
  assert.match(
    (named as { error: string }).error,
    /run scripts\/kafclaw config set gateway\.authToken/,
  );
});

Deno.test("headless mode refuses a workspace outside KAFCLAW_HOME, naming both", () => {
  const token = { KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN };
  const outside = resolveMode(config({ ...token, KAFCLAW_PATHS_WORKSPACE: "/srv/ws" }), "headless");
  assert.deepEqual(outside, {
    ok: false,
    mode: "headless",
    error:
      "Invalid config: headless mode (--mode headless) keeps its files in KAFCLAW_HOME (/h), " +
      "but paths.workspace is /srv/ws: move the workspace inside it, or unset paths.workspace",
  });
  // A sibling that merely starts with the home's name is outside too.
  const sibling = config({
    ...token,
    KAFCLAW_GATEWAY_HOST: "0.0.0.0",
    KAFCLAW_PATHS_WORKSPACE: "/hx",
  });
  assert.equal(resolveMode(sibling).ok, false);
  assert.equal(
    resolveMode(config({ ...token, KAFCLAW_PATHS_WORKSPACE: "ws" }), "headless").ok,
    true,
  );
  // Other modes keep a workspace anywhere (the launcher grants it).
  assert.equal(resolveMode(config({ KAFCLAW_PATHS_WORKSPACE: "/srv/ws" })).ok, true);
});

Deno.test("--mode headless listens on every interface unless gateway.host is set; the other modes keep loopback", () => {
  const resolved = (env: Record<string, string> = {}) =>
    resolveConfig({ home: "/h", env: { KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN, ...env } });
  const headless = withModeHost(resolved(), "headless");
  assert.equal(headless.gateway.host, "0.0.0.0");
  assert.equal(headless.gateway.authToken, TOKEN, "the rest of the config is kept");
  assert.deepEqual(resolveMode(headless, "headless"), {
    ok: true,
    mode: "headless",
    reason: "--mode headless",
  });
  const set = resolved({ KAFCLAW_GATEWAY_HOST: "127.0.0.1" });
  assert.equal(withModeHost(set, "headless"), set, "a host set is kept (a proxy in front)");
  const file = resolveConfig({
    home: "/h",
    env: {},
    file: { path: "/h/config.json", value: { gateway: { host: "127.0.0.1" } }, lines: new Map() },
  });
  assert.equal(withModeHost(file, "headless").gateway.host, "127.0.0.1");
  for (const mode of [undefined, "standalone", "group", "full"] as const) {
    assert.equal(withModeHost(resolved(), mode).gateway.host, "127.0.0.1");
  }
});
