/**
 * Several agents in one gateway (core/gateway Swarm): each agent of agents.list gets its own
 * config (id, name, model, home, workspace, skills, policy; only the lead runs the scheduler and
 * the orchestrator), they run on the swarm's own in-process transport, each under its own policy
 * and offering its own skills, and a start that fails stops what it started. The delegation scenario is in
 * swarm_delegation_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type AgentRuntime, createAgentRuntime } from "../../../../core/agent/mod.ts";
import {
  agentScope,
  inProcessAgentId,
  loadStructuredSchemas,
  resolveConfig,
  swarmAgents,
} from "../../../../core/config/mod.ts";
import { Swarm } from "../../../../core/gateway/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { waitFor } from "../../../_support/wait.ts";

const HOME = "/nonexistent-kafclaw-home";
// agents.list is a structured key: resolveConfig checks it with schemas loaded beforehand.
await loadStructuredSchemas();

function configOf(list: unknown[], env: Record<string, string> = {}, home = HOME) {
  return resolveConfig({
    home,
    env: {
      KAFCLAW_HOME: home,
      KAFCLAW_AGENTS_LIST: JSON.stringify(list),
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      ...env,
    },
  });
}

Deno.test("each agent of agents.list runs with its own id, name, model, home, workspace, skills and policy; the lead keeps the home", () => {
  const config = configOf([
    { id: "helper", model: "openai/gpt-helper", skills: ["sql"], policy: { maxAutoTier: 0 } },
    { id: "main", name: "Main", default: true, workspace: "/srv/main" },
    { id: "ops", name: "Ops", workspace: "ops-ws", policy: { externalMaxTier: 2 } },
  ], {
    KAFCLAW_MODEL: "openai/gpt-base",
    KAFCLAW_GROUP_SKILLS: "triage",
    KAFCLAW_SCHEDULER_ENABLED: "true",
    KAFCLAW_ORCHESTRATOR_ENABLED: "true",
  });
  const agents = swarmAgents(config);
  assert.deepEqual(agents.map((a) => [a.id, a.lead]), [
    ["main", true],
    ["helper", false],
    ["ops", false],
  ]);
  const [main, helper, ops] = agents.map((a) => a.config);
  assert.deepEqual(
    [main!, helper!, ops!].map((c) => [
      c.home,
      c.paths.workspace,
      c.group.agentId,
      c.agent.name,
      c.model.name,
      c.group.skills,
      c.policy.maxAutoTier,
      c.policy.externalMaxTier,
      c.scheduler.enabled,
    ]),
    [
      [HOME, "/srv/main", "main", "Main", "openai/gpt-base", ["triage"], 1, 0, true],
      [
        `${HOME}/agents/helper`,
        `${HOME}/agents/helper/workspace`,
        "helper",
        "helper",
        "openai/gpt-helper",
        ["sql"],
        0,
        0,
        false,
      ],
      [`${HOME}/agents/ops`, `${HOME}/ops-ws`, "ops", "Ops", "openai/gpt-base", [], 1, 2, false],
    ],
  );
  // Each one's runtime takes its entry as the default; the list stays whole for agents_list.
  assert.deepEqual(helper!.agents.list.map((a) => [a.id, a.default]), [
    ["helper", true],
    ["main", false],
    ["ops", false],
  ]);
  assert.deepEqual([main!, helper!, ops!].map((c) => c.orchestrator.enabled), [true, false, false]);
  assert.ok(Object.isFrozen(helper!.policy) && Object.isFrozen(helper!.group));
  assert.equal(inProcessAgentId(config), "main");
  assert.equal(inProcessAgentId(configOf([])), "local");
  assert.deepEqual(swarmAgents(configOf([])), []);
});

Deno.test("without a default entry the home's own agent leads, as kafclaw agent runs it; an entry with its id is refused", async () => {
  const config = configOf([{ id: "coder", model: "openai/gpt-coder" }, { id: "ops" }], {
    KAFCLAW_MODEL: "openai/gpt-base",
  });
  const agents = swarmAgents(config);
  assert.deepEqual(agents.map((a) => [a.id, a.lead, a.config.home, a.config.model.name]), [
    ["local", true, HOME, "openai/gpt-base"],
    ["coder", false, `${HOME}/agents/coder`, "openai/gpt-coder"],
    ["ops", false, `${HOME}/agents/ops`, "openai/gpt-base"],
  ]);
  // Its runtime takes no entry of the list for its own: the top-level model.
  assert.ok(agents[0]!.config.agents.list.every((a) => !a.default));
  assert.equal(agentScope(config, "local")?.group.agentId, "local");
  const named = configOf([{ id: "bot" }], { KAFCLAW_GROUP_AGENT_ID: "ann" });
  assert.deepEqual(swarmAgents(named).map((a) => a.id), ["ann", "bot"]);
  const clash = configOf([{ id: "local" }, { id: "ops" }]);
  await assert.rejects(Swarm.start(clash, { createRuntime: () => assert.fail("started") }), {
    name: "GroupSetupError",
    message: 'agents.list[0].id "local" is the id of this home\'s own agent (group.agentId, ' +
      'else local): mark the entry "default": true to make it the home\'s agent, or give it ' +
      "another id",
  });
});

/** An owner's turn at `runtime` in which the LLM writes note.txt. */
function writeNote(runtime: AgentRuntime) {
  return runtime.door.enter({ source: { kind: "terminal" }, text: "Write a note" });
}

Deno.test("the agents run on the swarm's own in-process group, each under its own policy and in its own workspace", async () => {
  const write = {
    toolCalls: [{ name: "write_file", arguments: { path: "note.txt", content: "x" } }],
  };
  await using llm = await startFakeOpenAI({
    models: {
      "gpt-lead": [write, { text: "written" }],
      "gpt-careful": [write, { text: "not written" }],
    },
    fallback: { text: "not scripted" },
  });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-swarm-" });
  const config = configOf(
    [
      { id: "lead", default: true, model: "openai/gpt-lead" },
      { id: "careful", model: "openai/gpt-careful", policy: { maxAutoTier: 0 } },
    ],
    { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "sk-test" },
    home,
  );
  const swarm = await Swarm.start(config, { createRuntime: (c) => createAgentRuntime(c, {}) });
  try {
    const [lead, careful] = swarm.gateways;
    assert.equal(lead!.mode, "standalone");
    assert.equal(lead!.kafka, false);
    await waitFor(
      () => careful!.membership.live().map((m) => m.agentId).sort().join() === "careful,lead",
      "each to see the other on its roster",
    );
    assert.equal((await writeNote(lead!.runtime)).content, "written");
    assert.equal((await writeNote(careful!.runtime)).content, "not written");
    assert.equal(await Deno.readTextFile(join(home, "workspace", "note.txt")), "x");
    await assert.rejects(Deno.stat(join(home, "agents", "careful", "workspace", "note.txt")));
    // Careful's refusal is in careful's timeline, and only there.
    const denied = (runtime: AgentRuntime) =>
      runtime.timeline.events.list({ kind: "APPROVAL" }).items.map((e) => e.contentText);
    assert.deepEqual(denied(careful!.runtime), ["write_file: denied"]);
    assert.deepEqual(denied(lead!.runtime), []);
    // config.json read again: each agent offers what its own entry says now.
    const changed = configOf(
      [
        { id: "lead", default: true, model: "openai/gpt-lead", skills: ["ops"] },
        { id: "careful", model: "openai/gpt-careful", skills: ["sql"] },
      ],
      { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "sk-test" },
      home,
    );
    assert.deepEqual(await swarm.offerSkills(changed), {
      added: ["lead:ops", "careful:sql"],
      removed: [],
    });
    assert.deepEqual(careful!.tasks.skills.offered(), ["sql"]);
  } finally {
    assert.deepEqual(await swarm.stop(), []);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a swarm whose second agent cannot start stops the first and says why", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-swarm-" });
  const config = configOf([{ id: "one", default: true }, { id: "two" }], {
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_MODEL: "openai/gpt-test",
  }, home);
  const closed: string[] = [];
  try {
    await assert.rejects(
      Swarm.start(config, {
        createRuntime: async (c) => {
          if (c.group.agentId === "two") throw new Error("two cannot start");
          const runtime = await createAgentRuntime(c, {});
          return {
            ...runtime,
            close: async () => {
              closed.push(c.group.agentId!);
              await runtime.close();
            },
          };
        },
      }),
      { message: "two cannot start" },
    );
    assert.deepEqual(closed, ["one"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("an agent of agents.list in a home of its own runs the MCP servers of the gateway's home", async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-swarm-" });
  try {
    await Deno.writeTextFile(
      `${home}/mcp.json`,
      JSON.stringify({ mcpServers: { shared: { url: "http://127.0.0.1:9/mcp" } } }),
    );
    const config = configOf([{ id: "main" }, { id: "helper" }], {
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      KAFCLAW_MODEL: "openai/gpt-test",
    }, home);
    const helper = agentScope(config, "helper")!;
    assert.equal(helper.home, `${home}/agents/helper`);
    const warnings: string[] = [];
    await using _runtime = await createAgentRuntime(helper, { warn: (m) => warnings.push(m) });
    // The server cannot be reached: that it was tried shows helper read the home's mcp.json.
    assert.ok(warnings.some((w) => w.startsWith("MCP server shared:")), warnings.join("\n"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
