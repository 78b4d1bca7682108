import assert from "node:assert/strict";
import {
  type ConfigSection,
  flag,
  integer,
  list,
  number,
  oneOf,
  optionalInteger,
  optionalText,
  secret,
  structured,
  text,
} from "../../../../core/config/_leaf.ts";
import { loadStructuredSchemas } from "../../../../core/config/_structured_load.ts";
import {
  classifyPath,
  CONFIG_SCHEMA,
  defaultText,
  describeKeys,
  ENV_ALIASES,
  envVariables,
  KEYS,
  keysUnder,
  RESERVED_ENV,
  upperSnake,
} from "../../../../core/config/mod.ts";

Deno.test("the schema generates the env names the issue names", () => {
  const expected: Record<string, string> = {
    "group.enabled": "KAFCLAW_GROUP_ENABLED",
    "group.name": "KAFCLAW_GROUP_NAME",
    "group.kafkaBrokers": "KAFCLAW_GROUP_KAFKA_BROKERS",
    "group.agentId": "KAFCLAW_GROUP_AGENT_ID",
    "group.security": "KAFCLAW_GROUP_SECURITY",
    "group.kafkaTlsCaFile": "KAFCLAW_GROUP_KAFKA_TLS_CA_FILE",
    "orchestrator.enabled": "KAFCLAW_ORCHESTRATOR_ENABLED",
    "orchestrator.role": "KAFCLAW_ORCHESTRATOR_ROLE",
    "gateway.host": "KAFCLAW_GATEWAY_HOST",
    "gateway.port": "KAFCLAW_GATEWAY_PORT",
    "gateway.dashboardPort": "KAFCLAW_GATEWAY_DASHBOARD_PORT",
    "gateway.authToken": "KAFCLAW_GATEWAY_AUTH_TOKEN",
    "model.name": "KAFCLAW_MODEL_NAME",
    "providers.openai.apiKey": "KAFCLAW_PROVIDERS_OPENAI_API_KEY",
    "paths.workspace": "KAFCLAW_PATHS_WORKSPACE",
  };
  for (const [key, env] of Object.entries(expected)) {
    assert.equal(KEYS.byKey.get(key)?.env, env, key);
  }
  assert.equal(upperSnake("maxMessageBytes"), "MAX_MESSAGE_BYTES");
});

Deno.test("every key has one generated name that is its path in upper snake case", () => {
  for (const spec of KEYS.keys) {
    assert.equal(spec.env, "KAFCLAW_" + spec.segments.map(upperSnake).join("_"));
    assert.equal(spec.envNames[0]?.name, spec.env);
    assert.equal(spec.envNames[0]?.kind, "canonical");
    assert.ok(spec.envNames.some((n) => n.name === spec.env.replace("KAFCLAW_", "MIKROBOT_")));
  }
});

Deno.test("no two keys share an environment name over the whole schema", () => {
  const owners = new Map<string, string>();
  for (const spec of KEYS.keys) {
    for (const { name } of spec.envNames) {
      assert.equal(
        owners.get(name),
        undefined,
        `${name} is claimed by ${owners.get(name)} and ${spec.key}`,
      );
      owners.set(name, spec.key);
    }
  }
  for (const reserved of RESERVED_ENV) assert.equal(owners.get(reserved), undefined);
  assert.equal(owners.size, KEYS.byEnv.size);
  // Distinct paths give distinct names, so the table is reversible.
  assert.equal(new Set(KEYS.keys.map((k) => k.env)).size, KEYS.keys.length);
});

Deno.test("aliases come after the generated name: KAFCLAW_ > alias > MIKROBOT_ > standard", () => {
  const names = (key: string) => KEYS.byKey.get(key)!.envNames.map((n) => n.name);
  assert.deepEqual(names("model.name"), [
    "KAFCLAW_MODEL_NAME",
    "KAFCLAW_MODEL",
    "MIKROBOT_MODEL_NAME",
  ]);
  assert.deepEqual(names("group.kafkaBrokers"), [
    "KAFCLAW_GROUP_KAFKA_BROKERS",
    "MIKROBOT_GROUP_KAFKA_BROKERS",
    "MIKROBOT_KAFKA_BROKERS",
  ]);
  assert.deepEqual(names("providers.openai.apiKey"), [
    "KAFCLAW_PROVIDERS_OPENAI_API_KEY",
    "MIKROBOT_PROVIDERS_OPENAI_API_KEY",
    "OPENAI_API_KEY",
  ]);
  assert.ok(ENV_ALIASES.length >= 4);
});

Deno.test("describeKeys refuses two keys that would share a name", () => {
  const clash = {
    tools: {
      web: { searchApiKey: text({ default: "a", description: "x" }) },
      webSearch: { apiKey: text({ default: "b", description: "y" }) },
    },
  };
  assert.throws(
    () => describeKeys(clash),
    /tools\.web\.searchApiKey and tools\.webSearch\.apiKey both use the environment variable KAFCLAW_TOOLS_WEB_SEARCH_API_KEY/,
  );
  const aliasClash = { a: { b: flag({ default: true, description: "x" }) } };
  assert.throws(
    () => describeKeys(aliasClash, [{ key: "a.b", name: "KAFCLAW_A_B", kind: "alias" }]),
    /a\.b and a\.b both use the environment variable KAFCLAW_A_B/,
  );
  assert.throws(
    () => describeKeys(aliasClash, [{ key: "a.b", name: "KAFCLAW_HOME", kind: "alias" }]),
    /a\.b cannot use the reserved name KAFCLAW_HOME/,
  );
});

Deno.test("describeKeys refuses schemas it cannot name", () => {
  const leaf = () => integer({ default: 1, min: 0, max: 2, description: "x" });
  assert.throws(() => describeKeys({ a_b: leaf() }), /"a_b" is not a camelCase name/);
  assert.throws(() => describeKeys({ kafkaTLS: leaf() }), /not a camelCase name/);
  assert.throws(
    () => describeKeys({ a: ["not", "a", "key"] } as unknown as ConfigSection),
    /"a" is neither a key nor a section/,
  );
  assert.throws(
    () => describeKeys({ file: { a: leaf() } }),
    /"file" is reserved/,
  );
  assert.throws(
    () => describeKeys({ a: leaf() }, [{ key: "b", name: "B", kind: "alias" }]),
    /alias B names no key/,
  );
});

Deno.test("classifyPath tells keys, list items, sections and unknown paths apart", () => {
  assert.equal(classifyPath("gateway.port").kind, "leaf");
  assert.deepEqual(
    (({ kind, index }) => ({ kind, index }))(
      classifyPath("channels.telegram.allowFrom.2") as { kind: string; index: number },
    ),
    { kind: "item", index: 2 },
  );
  assert.equal(classifyPath("channels.telegram").kind, "section");
  assert.equal(classifyPath("").kind, "section");
  assert.equal(classifyPath("gateway.port.0").kind, "unknown");
  assert.equal(classifyPath("channels.telegram.allowFrom.x").kind, "unknown");
  assert.equal(classifyPath("channels.telegram.allowFrom.0.1").kind, "unknown");
  assert.equal(classifyPath("knowledge.enabled").kind, "unknown");
  const section = classifyPath("gateway");
  assert.ok(section.kind === "section");
  assert.deepEqual(keysUnder(section.node).map((k) => k.key).slice(0, 2), [
    "gateway.host",
    "gateway.port",
  ]);
});

Deno.test("envVariables lists KAFCLAW_HOME, every key, then the aliases", () => {
  const rows = envVariables();
  assert.equal(rows[0]?.name, "KAFCLAW_HOME");
  const canonical = rows.filter((r) => r.kind === "canonical" && r.key !== undefined);
  assert.deepEqual(canonical.map((r) => r.key), KEYS.keys.map((k) => k.key));
  const others = rows.filter((r) => r.kind !== "canonical").map((r) => r.name);
  assert.deepEqual(others.sort(), ENV_ALIASES.map((a) => a.name).sort());
  const withTwins = envVariables(KEYS, { twins: true });
  assert.equal(withTwins.length, 1 + KEYS.byEnv.size);
  assert.ok(
    withTwins.some((r) =>
      r.name === "MIKROBOT_GATEWAY_HOST" && r.aliasOf === "KAFCLAW_GATEWAY_HOST"
    ),
  );
});

Deno.test("defaults read well in tables", () => {
  const d = (key: string) => defaultText(KEYS.byKey.get(key)!);
  assert.equal(d("gateway.port"), "18790");
  assert.equal(d("gateway.authToken"), "-");
  assert.equal(d("group.kafkaBrokers"), "-");
  assert.equal(d("paths.workspace"), "$KAFCLAW_HOME/workspace");
  const listWithDefault = {
    a: list({ default: ["x", "y"], description: "d" }),
  };
  assert.equal(defaultText(describeKeys(listWithDefault).keys[0]!), "x,y");
  assert.ok(CONFIG_SCHEMA);
});

Deno.test("every default is a value its key's check takes as it is", async () => {
  // resolveConfig takes a default without checking it: this is what makes that right. A key
  // without a default takes being unset.
  await loadStructuredSchemas();
  for (const spec of KEYS.keys) {
    assert.deepEqual(spec.parse(spec.default), { success: true, data: spec.default }, spec.key);
  }
});

Deno.test("the simple keys coerce what the environment gives and refuse the rest, item by item in a list", () => {
  const ok = (data: unknown) => ({ success: true, data });
  const wrong = (...paths: PropertyKey[][]) => ({
    success: false,
    issues: (paths.length > 0 ? paths : [[]]).map((path) => ({ path })),
  });
  const port = integer({ default: 1, min: 0, max: 65535, description: "d" });
  assert.deepEqual(port.parse(" 8080 "), ok(8080));
  assert.deepEqual(port.parse(80), ok(80));
  for (const bad of ["8080x", 1.5, 65536, -1, "", true, Number.NaN]) {
    assert.deepEqual(port.parse(bad), wrong(), String(bad));
  }
  const huge = integer({ default: 1, min: 0, max: Number.MAX_VALUE, description: "d" });
  assert.deepEqual(huge.parse(2 ** 53), wrong());
  const ratio = number({ default: 0, min: 0, max: 1, description: "d" });
  assert.deepEqual(ratio.parse("0.7"), ok(0.7));
  for (const bad of ["1e999", 1.1, "x", Infinity]) assert.deepEqual(ratio.parse(bad), wrong());
  const on = flag({ default: false, description: "d" });
  assert.deepEqual(on.parse(" YES "), ok(true));
  assert.deepEqual(on.parse(false), ok(false));
  assert.deepEqual(on.parse("maybe"), wrong());
  const mode = oneOf({ values: ["signed", "open"], default: "signed", description: "d" });
  assert.deepEqual(mode.parse(" Open "), ok("open"));
  assert.deepEqual(mode.parse("closed"), wrong());
  assert.deepEqual(mode.parse(1), wrong());
  const host = text({ default: "h", description: "d", check: (v) => !v.includes(" ") });
  assert.deepEqual(host.parse("  example.org "), ok("example.org"));
  for (const bad of ["   ", "a b", 7]) assert.deepEqual(host.parse(bad), wrong(), String(bad));
  const token = secret({ description: "d" });
  assert.deepEqual(token.parse(undefined), ok(undefined));
  assert.deepEqual(token.parse(" t "), ok("t"));
  assert.deepEqual(optionalText({ description: "d" }).parse(""), wrong());
  assert.deepEqual(optionalInteger({ min: 1, max: 2, description: "d" }).parse("2"), ok(2));
  const names = list({ default: [], description: "d", check: (v) => /^[a-z]+$/.test(v) });
  assert.deepEqual(names.parse(" a, b ,,c "), ok(["a", "b", "c"]));
  assert.deepEqual(names.parse('["a", 7]'), wrong([1]));
  assert.deepEqual(names.parse(["a", "", "B", null]), wrong([1], [2], [3]));
  assert.deepEqual(names.parse({ a: 1 }), wrong());
  assert.deepEqual(names.parse("[not json"), wrong());
});

Deno.test("a structured key builds its zod schema the first time a value is checked, once", async () => {
  await loadStructuredSchemas();
  let built = 0;
  const key = structured({
    schema: (s) => {
      built++;
      return s.aclPrincipals();
    },
    default: {},
    description: "d",
    expected: "principals",
    typeText: "JSON object",
  });
  assert.equal(built, 0);
  assert.deepEqual(key.parse('{"ann": "User:ann"}'), { success: true, data: { ann: "User:ann" } });
  assert.equal(key.parse({ ann: "ann" }).success, false);
  assert.equal(built, 1);
});
