import assert from "node:assert/strict";
import { formatDoctor, runDoctor } from "../../../../core/doctor/mod.ts";
import { tempHome } from "../../../_support/cli.ts";
import { answeringLlm } from "./_llm.ts";
import { makeReadOnly } from "../../../_support/readonly.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });
const missing = () =>
  Promise.resolve({
    available: false,
    reason: "bubblewrap is not installed",
    hint: "apt-get install bubblewrap",
  });

Deno.test("doctor passes a configured standalone agent with a working sandbox", async () => {
  await using home = await tempHome();
  await using llm = await answeringLlm();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, ...llm.env },
    probe: working,
  });
  assert.deepEqual(results.map((r) => [r.check, r.status]), [
    ["config", "ok"],
    ["home", "ok"],
    ["provider", "ok"],
    ["model", "ok"],
    ["memory", "ok"],
    ["policy", "ok"],
    ["mode", "ok"],
    ["sandbox", "ok"],
    // As root, what the sandbox will do with the workspace's owners (no workspace yet: ok).
    ...(Deno.uid() === 0 ? [["hand-over", "ok"]] : []),
    ["disk", "ok"],
    ["database", "ok"],
    ["sessions", "ok"],
    ["workspace secrets", "ok"],
  ]);
  assert.match(results[0]!.detail, /no config file yet/);
  assert.match(results[3]!.detail, /^openai\/gpt-4o-mini answered in \d+ ms$/);
  assert.match(results[4]!.detail, /^hybrid: openai\/text-embedding-3-small gives vectors of 1536/);
  assert.equal(
    results[7]!.detail,
    "bubblewrap works; memory: a command holds at most 4.1 GiB in all (16 processes and " +
      "threads x 256 MiB of address space each, plus /tmp and /dev/shm; per-process limits, no " +
      "cgroup; memfd and System V shared memory refused)",
  );
  assert.equal(
    results[5]!.detail,
    "0 sensitivity rules; no budget; owners: the terminal only",
  );
  assert.match(formatDoctor(results), /no check failed$/);
});

Deno.test("doctor names what is wrong and what to do", async () => {
  await using home = await tempHome();
  await Deno.chmod(home.path, 0o755);
  await Deno.writeTextFile(`${home.path}/config.json`, '{"gateway":{"host":"0.0.0.0"}}', {
    mode: 0o644,
  });
  await Deno.chmod(`${home.path}/config.json`, 0o644);
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: missing });
  const by = Object.fromEntries(results.map((r) => [r.check, r]));
  assert.equal(by.home!.status, "fail");
  assert.match(by.home!.hint!, /chmod 700/);
  assert.equal(by["config file"]!.status, "fail");
  assert.equal(by.provider!.status, "fail");
  assert.equal(by.mode!.status, "fail");
  assert.match(by.mode!.detail, /requires gateway\.authToken/);
  assert.equal(by.sandbox!.status, "warn");
  assert.match(by.sandbox!.detail, /exec is off/);
  const text = formatDoctor(results);
  assert.match(text, /→ apt-get install bubblewrap/);
  assert.match(text, /4 check\(s\) failed$/);
});

Deno.test("doctor says the memory limit that applies to a command, from the config", async () => {
  await using home = await tempHome();
  await using llm = await answeringLlm();
  const results = await runDoctor({
    env: {
      KAFCLAW_HOME: home.path,
      ...llm.env,
      KAFCLAW_TOOLS_EXEC_MEMORY_BYTES: String(16 * 1024 ** 3),
      KAFCLAW_TOOLS_EXEC_PROCESSES: "16",
    },
    probe: working,
  });
  const sandbox = results.find((r) => r.check === "sandbox")!;
  assert.match(sandbox.detail, /at most 16 GiB in all \(16 processes and threads x 1 GiB /);
});

Deno.test("an invalid configuration is the one failed check", async () => {
  await using home = await tempHome();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_GATEWAY_PORT: "x" },
    probe: working,
  });
  assert.equal(results.length, 1);
  assert.equal(results[0]!.status, "fail");
  assert.match(results[0]!.detail, /KAFCLAW_GATEWAY_PORT/);
});

Deno.test("doctor's real sandbox probe works and leaves nothing in KAFCLAW_HOME", async () => {
  await using home = await tempHome();
  await using llm = await answeringLlm();
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path, ...llm.env } });
  const sandbox = results.find((r) => r.check === "sandbox")!;
  assert.equal(sandbox.status, "ok", sandbox.detail);
  assert.match(sandbox.detail, /bubblewrap/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(home.path)), []);
});

Deno.test("a KAFCLAW_HOME that does not exist is a failed check, and doctor does not create it", async () => {
  await using dir = await tempHome();
  const home = `${dir.path}/not-yet`;
  const results = await runDoctor({ env: { KAFCLAW_HOME: home }, probe: working });
  assert.deepEqual(results.find((r) => r.check === "home"), {
    check: "home",
    status: "fail",
    detail: `${home} does not exist`,
    hint: "run kafclaw onboard",
  });
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), []);
});

Deno.test("a KAFCLAW_HOME that cannot be written is a failed check with the fix", async () => {
  await using home = await tempHome();
  const restore = await makeReadOnly(home.path);
  let results;
  try {
    results = await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: working });
  } finally {
    await restore();
  }
  const check = results.find((r) => r.check === "home")!;
  assert.equal(check.status, "fail");
  assert.match(check.detail, /^\/.* cannot be written \([a-z ]+\): agent, gateway and cron/);
  assert.match(check.hint!, /^make .* writable by this user/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(home.path)), []);
});

Deno.test("doctor checks the default agent's models, sensitivity routes and priced budgets", async () => {
  await using home = await tempHome();
  await using llm = await answeringLlm();
  const env = {
    KAFCLAW_HOME: home.path,
    ...llm.env,
    KAFCLAW_AGENTS_LIST: '[{"id": "main", "default": true, "model": "openai/gpt-main"}]',
    KAFCLAW_POLICY_DAILY_BUDGET_USD: "2",
    KAFCLAW_MODEL_FALLBACKS: "ollama/llama3",
    KAFCLAW_POLICY_PRICES: '{"ollama/*": {"promptPer1k": 0, "completionPer1k": 0}}',
  };
  const warned = await runDoctor({ env, probe: working });
  const by = Object.fromEntries(warned.map((r) => [r.check, r]));
  assert.equal(by.provider!.detail, "agent main: models: openai/gpt-main, then ollama/llama3");
  assert.equal(by.policy!.status, "warn");
  assert.equal(
    by.policy!.detail,
    "a budget is set but openai/gpt-main has no price in policy.prices, so its calls cost 0 " +
      "and the budget never stops them",
  );
  const priced = await runDoctor({
    env: {
      ...env,
      KAFCLAW_POLICY_PRICES: '{"openai/*": {"promptPer1k": 1, "completionPer1k": 1}, ' +
        '"ollama/*": {"promptPer1k": 0, "completionPer1k": 0}}',
      KAFCLAW_POLICY_OWNERS: "telegram:42",
      KAFCLAW_POLICY_SENSITIVITY:
        '[{"name": "health", "keywords": ["x"], "routeTo": "ollama/llama3"}]',
    },
    probe: working,
  });
  assert.deepEqual(priced.find((r) => r.check === "policy"), {
    check: "policy",
    status: "ok",
    detail: "1 sensitivity rule; budgets priced; owners: telegram:42",
  });
  const twoUnpriced = await runDoctor({
    env: { ...env, KAFCLAW_POLICY_PRICES: "{}" },
    probe: working,
  });
  assert.match(
    twoUnpriced.find((r) => r.check === "policy")!.detail,
    /openai\/gpt-main, ollama\/llama3 have no price .* their calls cost 0/,
  );
  const unreachable = await runDoctor({
    env: {
      ...env,
      KAFCLAW_POLICY_SENSITIVITY:
        '[{"name": "health", "keywords": ["x"], "routeTo": "groq/llama"}]',
      KAFCLAW_AGENTS_LIST: "[]",
      OPENAI_API_KEY: "",
      OPENAI_BASE_URL: "",
    },
    probe: working,
  });
  const policy = unreachable.find((r) => r.check === "policy")!;
  assert.equal(policy.status, "fail");
  assert.match(
    policy.detail,
    /^rule "health" routes to groq\/llama: .*\(the agent refuses to start\)$/,
  );
  assert.match(policy.hint!, /routeTo/);
  assert.equal(unreachable.find((r) => r.check === "provider")!.status, "fail");
});

Deno.test("doctor fails a config.json that others can write, as agent and cron refuse it", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  await Deno.writeTextFile(path, "{}");
  await Deno.chmod(path, 0o666);
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: working });
  assert.deepEqual(results.find((r) => r.check === "config file"), {
    check: "config file",
    status: "fail",
    detail: `Cannot use ${path}: others can write it (mode 666)`,
    hint: `chmod 600 ${path}`,
  });
});

Deno.test("doctor warns about a configured secret in a workspace file, naming the file and the key", async () => {
  await using home = await tempHome();
  const key = "sk-proj-4f9Q2kLmN8pR7sT1vW3xY5zA";
  await Deno.mkdir(`${home.path}/workspace/app`, { recursive: true });
  await Deno.writeTextFile(`${home.path}/workspace/app/.env`, `OPENAI_API_KEY=${key}\n`);
  await Deno.writeTextFile(`${home.path}/workspace/notes.md`, "nothing here");
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, OPENAI_API_KEY: key },
    probe: working,
  });
  const check = results.find((r) => r.check === "workspace secrets")!;
  assert.equal(check.status, "warn");
  assert.match(check.detail, /app\/\.env \(providers\.openai\.apiKey\)/);
  assert.ok(!check.detail.includes(key), "the warning never shows the secret");
  assert.ok(!check.detail.includes("notes.md"));
});
