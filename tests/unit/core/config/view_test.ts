import assert from "node:assert/strict";
import {
  configValues,
  describeSource,
  formatKeyView,
  keyViews,
  MASK,
  maskSecret,
  maskUnknown,
  parseConfigFile,
  resolveConfig,
} from "../../../../core/config/mod.ts";
import { showValue } from "../../../../core/config/errors.ts";

const TOKEN = "tok-0123456789abcdefWXYZ";

function config() {
  return resolveConfig({
    home: "/k",
    env: { KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN, KAFCLAW_GATEWAY_PORT: "18800" },
    file: parseConfigFile(
      "/k/config.json",
      '{\n  "providers": {"groq": {"apiKey": "gsk"}},\n  "group": {"name": "g"}\n}',
    ),
  });
}

Deno.test("configValues masks secrets unless asked to reveal them, and leaves out unset keys", () => {
  const masked = configValues(config());
  const gateway = masked.gateway as Record<string, unknown>;
  assert.equal(gateway.authToken, "****WXYZ");
  assert.equal(gateway.port, 18800);
  assert.ok(!("tlsCert" in gateway));
  assert.equal((masked.providers as Record<string, Record<string, unknown>>).groq!.apiKey, MASK);
  assert.ok(!JSON.stringify(masked).includes(TOKEN));
  const revealed = configValues(config(), { reveal: true });
  assert.equal((revealed.gateway as Record<string, unknown>).authToken, TOKEN);
});

Deno.test("keyViews lists every key (or one section's) with its source", () => {
  const all = keyViews(config());
  assert.ok(all.length > 90);
  const gateway = keyViews(config(), { under: "gateway" }).map(formatKeyView);
  assert.deepEqual(gateway, [
    'gateway.host = "127.0.0.1"  (default)',
    "gateway.port = 18800  (from KAFCLAW_GATEWAY_PORT)",
    "gateway.dashboardPort = 18791  (default)",
    'gateway.authToken = "****WXYZ"  (from KAFCLAW_GATEWAY_AUTH_TOKEN)',
    "gateway.tlsCert (not set)",
    "gateway.tlsKey (not set)",
  ]);
  assert.deepEqual(keyViews(config(), { under: "group.name" }).map(formatKeyView), [
    'group.name = "g"  (from /k/config.json:3)',
  ]);
  assert.ok(!keyViews(config(), { reveal: false }).map(formatKeyView).join("\n").includes(TOKEN));
});

Deno.test("masks show at most the last four characters, and only of long secrets", () => {
  assert.equal(maskSecret("short-secret"), "****");
  assert.equal(maskSecret("0123456789abcdefghij"), "****ghij");
  assert.equal(showValue("x", true), "****");
  assert.equal(showValue(undefined, false), "(unset)");
  assert.equal(showValue([1, "a"], false), '[1,"a"]');
});

Deno.test("sources read as names, file:line, default or the new value", () => {
  assert.equal(describeSource({ kind: "default" }), "default");
  assert.equal(describeSource({ kind: "env", name: "KAFCLAW_X" }), "KAFCLAW_X");
  assert.equal(
    describeSource({ kind: "file", path: "/k/config.json", line: 3 }),
    "/k/config.json:3",
  );
  assert.equal(describeSource({ kind: "file", path: "/k/config.json" }), "/k/config.json");
  assert.equal(describeSource({ kind: "assigned" }), "the new value");
});

Deno.test("values under unknown keys are masked where the key's name looks secret", () => {
  const er1 = { url: "https://er1", apiKey: "k-1", nested: [{ password: "p" }], n: 1 };
  assert.deepEqual(maskUnknown("er1", er1), {
    url: "https://er1",
    apiKey: MASK,
    nested: [{ password: MASK }],
    n: 1,
  });
  assert.equal(maskUnknown("lfsProxyApiKey", "abc"), MASK);
  assert.equal(maskUnknown("lfsProxyApiKey", "abc", { reveal: true }), "abc");
  assert.equal(maskUnknown("x", null), null);
});
