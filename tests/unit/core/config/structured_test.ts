import assert from "node:assert/strict";
import {
  classifyPath,
  ConfigError,
  ConfigKeyError,
  defaultText,
  formatIssue,
  KEYS,
  loadConfig,
  setConfigValue,
} from "../../../../core/config/mod.ts";
import { describeZodIssue } from "../../../../core/config/resolve.ts";
import { tempHome, writeConfig } from "./_helpers.ts";
import { SHARED_GROUP_WORDS } from "../../../../core/protocol/mod.ts";

async function problems(value: unknown, env: Record<string, string> = {}): Promise<string[]> {
  await using home = await tempHome();
  await writeConfig(home.path, value);
  const error = await loadConfig({ env: { KAFCLAW_HOME: home.path, ...env } }).then(
    () => assert.fail("the config was accepted"),
    (e) => e,
  );
  assert.ok(error instanceof ConfigError, String(error));
  assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
  return error.issues.map((issue) => formatIssue(issue).replaceAll(home.path, "HOME"));
}

Deno.test("agents, prices, sensitivity rules and jobs are read from the file as JSON", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, {
    agents: {
      list: [
        { id: "main", default: true, model: { primary: "openai/gpt-4o", fallbacks: ["groq/x"] } },
        { id: "local", name: "Local", model: "ollama/llama3" },
      ],
    },
    policy: {
      prices: {
        "openai/gpt-4o": { promptPer1k: 0.0025, completionPer1k: 0.01 },
        "ollama/*": {
          promptPer1k: 0,
          completionPer1k: 0,
        },
      },
      sensitivity: [{ name: "private", keywords: ["diagnosis"], routeTo: "ollama/llama3" }],
    },
    scheduler: { jobs: [{ name: "digest", schedule: "0 8 * * MON-FRI", message: "Summarise" }] },
  });
  const config = await loadConfig({ env: { KAFCLAW_HOME: home.path } });
  assert.deepEqual(config.agents.list, [
    { id: "main", default: true, model: { primary: "openai/gpt-4o", fallbacks: ["groq/x"] } },
    { id: "local", name: "Local", model: { primary: "ollama/llama3" } },
  ]);
  assert.equal(config.policy.prices["ollama/*"]?.promptPer1k, 0);
  assert.deepEqual(config.policy.sensitivity[0]?.keywords, ["diagnosis"]);
  assert.equal(config.scheduler.jobs[0]?.name, "digest");
  assert.deepEqual(config.sources.get("agents.list"), {
    kind: "file",
    path: `${home.path}/config.json`,
    line: 3,
  });
});

Deno.test("structured keys default to empty and take JSON from the environment", async () => {
  await using home = await tempHome();
  const plain = await loadConfig({ env: { KAFCLAW_HOME: home.path } });
  assert.deepEqual(plain.agents.list, []);
  assert.deepEqual(plain.policy.prices, {});
  const config = await loadConfig({
    env: {
      KAFCLAW_HOME: home.path,
      KAFCLAW_POLICY_PRICES: '{"groq/*": {"promptPer1k": 0.1, "completionPer1k": 0.2}}',
    },
  });
  assert.equal(config.policy.prices["groq/*"]?.completionPer1k, 0.2);
  assert.deepEqual(config.sources.get("policy.prices"), {
    kind: "env",
    name: "KAFCLAW_POLICY_PRICES",
  });
});

Deno.test("each invalid field is named by its own path, with its line and rule", async () => {
  const lines = await problems(`{
  "agents": {"list": [
    {"id": "main", "default": true},
    {"id": "bad id", "model": {"primary": "nope"}, "modle": 1},
    {"id": "main", "default": true, "model": 7}
  ]},
  "policy": {
    "prices": {"openai/gpt-4o": {"promptPer1k": -1, "completionPer1k": "x"}, "bogus": {}},
    "sensitivity": [{"name": "p", "patterns": ["(unclosed"]}]
  },
  "scheduler": {"jobs": [{"name": "d", "schedule": "61 * * * *", "message": "hi"}, {"name": "d", "schedule": "@daily", "message": "x", "timezone": "Mars/Base"}]}
}`);
  const at = (n: number) => `(from HOME/config.json:${n})`;
  const expect = [
    `agents.list[1].id = "bad id" ${
      at(4)
    }: expected an agent id of 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit`,
    `agents.list[1].model.primary = "nope" ${
      at(4)
    }: expected a model as provider/model, where provider is one of openai, openrouter, anthropic, ollama, vllm, lmstudio, groq, deepseek, xai, gemini`,
    `agents.list[1].modle = 1 ${at(4)}: expected a known field (check its spelling)`,
    `agents.list[2].model = 7 ${
      at(5)
    }: expected a model: "provider/model" or {"primary": …, "fallbacks": […]}`,
    `scheduler.jobs[0].schedule = "61 * * * *" ${
      at(11)
    }: expected a cron expression (minute 61 is out of range 0-59)`,
    `scheduler.jobs[1].timezone = "Mars/Base" ${at(11)}: expected an IANA time zone`,
    `policy.prices["openai/gpt-4o"].promptPer1k = -1 ${at(8)}: expected a price of 0 or more`,
    `policy.prices["openai/gpt-4o"].completionPer1k = "x" ${
      at(8)
    }: expected a number of US dollars`,
    `policy.prices.bogus = {} ${at(8)}: expected prices keyed by provider/model or provider/*`,
    `policy.sensitivity[0].patterns[0] = "(unclosed" ${
      at(9)
    }: expected a regular expression (JavaScript syntax, u flag)`,
  ];
  for (const line of expect) assert.ok(lines.includes(`Invalid config: ${line}`), line);
  // The list-wide rules run once the items are valid.
  const dupes = await problems({
    agents: { list: [{ id: "a", default: true }, { id: "a", default: true }] },
    scheduler: {
      jobs: [{ name: "d", schedule: "@daily", message: "x" }, {
        name: "d",
        schedule: "@daily",
        message: "y",
      }],
    },
  });
  assert.ok(dupes.some((l) => l.includes("agents.list[1].id") && l.includes("an id no other")));
  assert.ok(dupes.some((l) => l.includes("agents.list[1].default") && l.includes("one default")));
  assert.ok(dupes.some((l) => l.includes("scheduler.jobs[1].name") && l.includes("no other job")));
});

Deno.test("an agent's workspace, skills and policy are read, its workspace made absolute", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, {
    agents: {
      list: [
        { id: "main", default: true },
        {
          id: "coder",
          workspace: "code",
          skills: ["review", "go"],
          policy: { maxAutoTier: 2, externalMaxTier: 1 },
        },
        { id: "notes", workspace: "/srv/notes" },
      ],
    },
  });
  const config = await loadConfig({ env: { KAFCLAW_HOME: home.path } });
  const [, coder, notes] = config.agents.list;
  assert.equal(coder!.workspace, `${home.path}/code`);
  assert.deepEqual(coder!.skills, ["review", "go"]);
  assert.deepEqual(coder!.policy, { maxAutoTier: 2, externalMaxTier: 1 });
  assert.equal(notes!.workspace, "/srv/notes");
});

Deno.test("an agent's id, workspace, skills and policy are checked field by field", async () => {
  const lines = await problems(`{
  "agents": {"list": [
    {"id": "Main"},
    {"id": "owner"},
    {"id": "coder", "workspace": "", "skills": ["ok", "Bad Skill"]},
    {"id": "ops", "skills": "review", "policy": {"maxAutoTier": 3, "externalMaxTier": 1.5}},
    {"id": "qa", "policy": {"maxTier": 1}}
  ]}
}`);
  const id = "1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit";
  const expect: [field: string, value: string, line: number, rule: string][] = [
    ["[0].id", '"Main"', 3, `an agent id of ${id}`],
    ["[1].id", '"owner"', 4, RESERVED],
    ["[2].workspace", '""', 5, "a directory path"],
    ["[2].skills[1]", '"Bad Skill"', 5, `a skill name of ${id}`],
    ["[3].skills", '"review"', 6, "a list of skill names"],
    ["[3].policy.maxAutoTier", "3", 6, "a tool tier: 0, 1 or 2"],
    ["[3].policy.externalMaxTier", "1.5", 6, "a tool tier: 0, 1 or 2"],
    ["[4].policy.maxTier", "1", 7, "a known field (check its spelling)"],
  ];
  for (const [field, value, line, rule] of expect) {
    const text = `Invalid config: agents.list${field} = ${value} ` +
      `(from HOME/config.json:${line}): expected ${rule}`;
    assert.ok(lines.includes(text), `${text}\nin:\n${lines.join("\n")}`);
  }
});

const RESERVED = "an agent id other than owner, workers, sponsors, skill, zone, reader";

Deno.test("no agent of the list takes an id that begins the name of a consumer group agents share", async () => {
  for (const word of SHARED_GROUP_WORDS) {
    const lines = await problems(`{"agents": {"list": [{"id": "${word}"}]}}`);
    const text = `Invalid config: agents.list[0].id = "${word}" (from HOME/config.json:1): ` +
      `expected ${RESERVED}`;
    assert.ok(lines.includes(text), `${text}\nin:\n${lines.join("\n")}`);
  }
});

Deno.test("no workspace holds KAFCLAW_HOME or lies in a home's soul, identity, sessions or agents' homes", async () => {
  const rule = "a folder that neither holds KAFCLAW_HOME nor lies in its soul, identity, " +
    "sessions or agents' homes (tools write in it)";
  const lines = await problems(`{
  "agents": {"list": [
    {"id": "main"},
    {"id": "a", "workspace": "."},
    {"id": "b", "workspace": "agents"},
    {"id": "c", "workspace": "agents/b/soul"},
    {"id": "d", "workspace": "identity/keys"},
    {"id": "e", "workspace": "agents/b/workspace/shared"},
    {"id": "f", "workspace": "code"},
    {"id": "g", "workspace": "/srv/g"}
  ]}
}`);
  const at = (i: number, value: string) =>
    `Invalid config: agents.list[${i}].workspace = "HOME${value}" (from HOME/config.json:${
      i + 3
    }): expected ${rule}`;
  assert.deepEqual(lines, [
    at(1, ""),
    at(2, "/agents"),
    at(3, "/agents/b/soul"),
    at(4, "/identity/keys"),
  ]);
  // paths.workspace too: a workspace of the owner's home folder would hold ~/.kafclaw.
  await using home = await tempHome();
  const parent = home.path.slice(0, home.path.lastIndexOf("/"));
  const error = await loadConfig({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_PATHS_WORKSPACE: parent },
  }).then(() => assert.fail("accepted"), (e) => e);
  assert.equal(
    error.message,
    `Invalid config: paths.workspace = ${JSON.stringify(parent)} (from KAFCLAW_PATHS_WORKSPACE): ` +
      `expected ${rule}`,
  );
  const fine = await loadConfig({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_PATHS_WORKSPACE: `${parent}/elsewhere` },
  });
  assert.equal(fine.paths.workspace, `${parent}/elsewhere`);
});

Deno.test("a structured value of the wrong shape says what the whole key allows", async () => {
  assert.deepEqual(await problems({}, { KAFCLAW_AGENTS_LIST: "main" }), [
    'Invalid config: agents.list = "main" (from KAFCLAW_AGENTS_LIST): expected a JSON list of agents',
  ]);
  assert.deepEqual(await problems({ policy: { sensitivity: { name: "x" } } }), [
    'Invalid config: policy.sensitivity = {"name":"x"} (from HOME/config.json:3): expected a list of sensitivity rules',
  ]);
  const wrongType = await problems({
    scheduler: { jobs: [{ name: "d", schedule: 5, message: "x" }] },
  });
  assert.match(wrongType[0]!, /scheduler\.jobs\[0\]\.schedule = 5 .*: expected a string$/);
});

Deno.test("config set takes a structured key whole and refuses a part of it", async () => {
  await using home = await tempHome();
  const result = await setConfigValue(home.path, {
    path: "agents.list",
    value: '[{"id": "main", "model": "openai/gpt-4o"}]',
  });
  assert.deepEqual(result.value, [{ id: "main", model: { primary: "openai/gpt-4o" } }]);
  assert.deepEqual(classifyPath("agents.list.0.model").kind, "within");
  await assert.rejects(
    () => setConfigValue(home.path, { path: "agents.list.0.model", value: "groq/x" }),
    (e: Error) =>
      e instanceof ConfigKeyError &&
      e.message.includes("agents.list is one JSON value; set it whole") &&
      e.message.includes("'[…]'"),
  );
  await assert.rejects(
    () => setConfigValue(home.path, { path: "policy.prices.x", value: "1" }),
    (e: Error) => e.message.includes("kafclaw config set policy.prices '{…}'"),
  );
});

Deno.test("structured defaults read as - in the key table", () => {
  assert.equal(defaultText(KEYS.byKey.get("agents.list")!), "-");
  assert.equal(defaultText(KEYS.byKey.get("policy.prices")!), "-");
  assert.equal(
    defaultText({ ...KEYS.byKey.get("policy.prices")!, default: { "a/*": 1 } }),
    '{"a/*":1}',
  );
});

Deno.test("zod's own words for a wrong type are turned into ours; a rule's message is kept", () => {
  const issue = (fields: Record<string, unknown>) =>
    ({ path: [], input: 1, ...fields }) as unknown as Parameters<typeof describeZodIssue>[0];
  const wrong = (expected: string) =>
    issue({ code: "invalid_type", expected, message: `Invalid input: expected ${expected}` });
  assert.equal(describeZodIssue(wrong("array")), "a list");
  assert.equal(describeZodIssue(wrong("bigint")), "bigint");
  assert.equal(
    describeZodIssue(issue({ code: "invalid_type", expected: "array", message: "a list of jobs" })),
    "a list of jobs",
  );
  assert.equal(
    describeZodIssue(issue({ code: "invalid_key", issues: [], message: "Invalid key in record" })),
    "Invalid key in record",
  );
});
