import assert from "node:assert/strict";
import { z } from "zod";
import {
  ConfigLeaf,
  type ConfigSection,
  flag,
  integer,
  list,
  text,
} from "../../../../core/config/_leaf.ts";
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
    () => describeKeys({ a: z.string() } as unknown as ConfigSection),
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

Deno.test("every default is a value its key's schema takes as it is", () => {
  // resolveConfig takes a default without parsing it: this is what makes that right.
  for (const spec of KEYS.keys) {
    if (spec.default === undefined) continue;
    assert.deepEqual(spec.schema().parse(spec.default), spec.default, spec.key);
  }
});

Deno.test("a key builds its zod schema the first time it is asked for, once", () => {
  let built = 0;
  const key = new ConfigLeaf(() => {
    built++;
    return z.string();
  }, KEYS.byKey.get("gateway.host")!);
  assert.equal(built, 0);
  assert.equal(key.schema(), key.schema());
  assert.equal(built, 1);
});
