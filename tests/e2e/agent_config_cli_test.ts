/**
 * Config that shapes a run, through the launcher: the agent of agents.list and its model, prices
 * with a daily budget that stops spending, and content routed by its sensitivity.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclaw, tempHome } from "../_support/cli.ts";
import { Timeline } from "../../core/timeline/mod.ts";

const modelOf = (body: unknown) => (body as { model: string }).model;

Deno.test("kafclaw agent --agent runs with that agent's model and home; the default agent without it", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [{ text: "from coder" }, { text: "from main" }],
  });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-global",
    KAFCLAW_AGENTS_LIST: JSON.stringify([
      { id: "main", default: true, model: "openai/gpt-main" },
      { id: "coder", name: "Coder", model: { primary: "openai/gpt-coder" } },
    ]),
  };
  const coder = await kafclaw(["agent", "--agent", "coder", "-m", "hi"], env);
  assert.equal(coder.code, 0, coder.stderr);
  assert.equal(coder.stdout.trim(), "from coder");
  const main = await kafclaw(["agent", "-m", "hi"], env);
  assert.equal(main.code, 0, main.stderr);
  const [first, second] = llm.chatRequests();
  assert.equal(modelOf(first!.body), "gpt-coder");
  assert.match(
    JSON.stringify((first!.body as { messages: unknown[] }).messages[0]),
    /Coder/,
    "the agent's name is in its prompt",
  );
  assert.equal(modelOf(second!.body), "gpt-main");
  // Each keeps its session in its own home, as the gateway runs it: coder's in agents/coder.
  const sessions = async (dir: string) => {
    const names = [];
    for await (const entry of Deno.readDir(`${dir}/sessions`)) names.push(entry.name);
    return names;
  };
  const [coderFile] = await sessions(`${home.path}/agents/coder`);
  const [mainFile] = await sessions(home.path);
  assert.match(
    await Deno.readTextFile(`${home.path}/agents/coder/sessions/${coderFile}`),
    /from coder/,
  );
  const mainText = await Deno.readTextFile(`${home.path}/sessions/${mainFile}`);
  assert.ok(mainText.includes("from main") && !mainText.includes("from coder"), mainText);
  assert.equal((await Deno.stat(`${home.path}/agents/coder`)).mode! & 0o077, 0);

  const unknown = await kafclaw(["agent", "--agent", "nobody", "-m", "hi"], env);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr.trim(),
    'kafclaw: No agent "nobody" in agents.list (known: main, coder)',
  );
  assert.equal(llm.chatRequests().length, 2);
});

Deno.test("a daily budget priced from policy.prices stops the next run once it is spent", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [
      { text: "first answer", usage: { promptTokens: 1000, completionTokens: 1000 } },
      { text: "never sent" },
    ],
  });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-priced",
    // 1000 + 1000 tokens cost 0.5 + 1.0 = 1.5 USD, more than the day's 1 USD.
    KAFCLAW_POLICY_PRICES: '{"openai/*": {"promptPer1k": 0.5, "completionPer1k": 1}}',
    KAFCLAW_POLICY_DAILY_BUDGET_USD: "1",
  };
  const first = await kafclaw(["agent", "-m", "hello"], env);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trim(), "first answer");
  const second = await kafclaw(["agent", "-m", "hello again"], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /budget/i);
  assert.match(second.stdout, /1\.50|1\.5/);
  assert.equal(llm.chatRequests().length, 1, "no LLM call once the budget is spent");
});

Deno.test("policy.sensitivity sends private messages to the local model it names; a route that cannot be reached stops the start", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    models: { "gpt-cloud": [{ text: "from the cloud" }], "llama3": [{ text: "from ollama" }] },
  });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-cloud",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: llm.url,
    KAFCLAW_POLICY_SENSITIVITY: JSON.stringify([
      { name: "health", keywords: ["diagnosis"], routeTo: "ollama/llama3" },
    ]),
  };
  const local = await kafclaw(["agent", "-s", "cli:health", "-m", "My diagnosis is in"], env);
  assert.equal(local.code, 0, local.stderr);
  assert.equal(local.stdout.trim(), "from ollama");
  const cloud = await kafclaw(["agent", "-s", "cli:other", "-m", "What is 2+2?"], env);
  assert.equal(cloud.stdout.trim(), "from the cloud");
  assert.deepEqual(llm.chatRequests().map((r) => modelOf(r.body)), ["llama3", "gpt-cloud"]);

  const unreachable = await kafclaw(["agent", "-m", "hi"], {
    ...env,
    KAFCLAW_POLICY_SENSITIVITY: '[{"name": "health", "keywords": ["x"], "routeTo": "groq/llama"}]',
  });
  assert.equal(unreachable.code, 2);
  assert.match(
    unreachable.stderr,
    /^kafclaw: policy\.sensitivity rule "health" routes to groq\/llama, which cannot be reached: /,
  );
});

Deno.test("at the terminal, approve <id> and deny <id> answer pending requests without the LLM", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ chat: [] });
  const env = { KAFCLAW_HOME: home.path, OPENAI_BASE_URL: llm.url };
  // A request another kafclaw process (a cron job, say) is waiting for, saying so.
  const timeline = Timeline.open(`${home.path}/timeline.db`);
  let id: string;
  try {
    id = timeline.approvals.create({
      traceId: "t".repeat(32),
      tool: "deploy",
      tier: 2,
      arguments: { target: "prod" },
      requester: "scheduler:owner",
      channel: "scheduler",
      expiresAt: new Date(Date.now() + 300_000),
    }).approvalId;
  } finally {
    timeline.close();
  }
  const approved = await kafclaw(["agent", "-m", `approve ${id}`], env);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(approved.stdout.trim(), `Approved ${id} (deploy)`);
  const again = await kafclaw(["agent", "-m", `deny ${id}`], env);
  assert.equal(again.stdout.trim(), `Approval request ${id} was already answered`);
  assert.equal(llm.chatRequests().length, 0, "answers never reach the LLM");
  const list = await kafclaw(["approvals", "list"], env);
  assert.equal(list.stdout.trim(), "No pending approvals");
});
