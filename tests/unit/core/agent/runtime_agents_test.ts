/**
 * Several agents in one runtime: the default agent of agents.list runs the loop, and
 * sessions_spawn with an agentId runs the subagent with that agent's model.
 */
import assert from "node:assert/strict";
import { createAgentRuntime } from "../../../../core/agent/runtime.ts";
import { loadStructuredSchemas, resolveConfig } from "../../../../core/config/mod.ts";
import { ProviderNotConfiguredError } from "../../../../core/provider/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

// agents.list and policy.sensitivity are structured keys: resolveConfig checks them with
// schemas loaded beforehand.
await loadStructuredSchemas();

const spawn = (id: string, agentId: string) => ({
  toolCalls: [{ id, name: "sessions_spawn", arguments: { task: "Write a haiku", agentId } }],
});

Deno.test("sessions_spawn with an agentId runs the subagent with that agent's model; an unknown one is a tool error", async () => {
  await using llm = await startFakeOpenAI({
    models: {
      "gpt-main": [
        spawn("s1", "poet"),
        { text: "The poet wrote one." },
        spawn("s2", "nobody"),
        { text: "No such agent." },
      ],
      "gpt-poet": [{ text: "Autumn wind, a log" }],
    },
  });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-agents-" });
  try {
    const config = resolveConfig({
      home,
      env: {
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: "sk-test",
        KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
        KAFCLAW_AGENTS_LIST: JSON.stringify([
          { id: "main", default: true, model: "openai/gpt-main" },
          { id: "poet", name: "Poet", model: "openai/gpt-poet" },
        ]),
      },
    });
    await using runtime = await createAgentRuntime(config, {});
    const first = await runtime.door.enter({ source: { kind: "terminal" }, text: "ask the poet" });
    assert.equal(first.content, "The poet wrote one.");
    const models = llm.chatRequests().map((r) => (r.body as { model: string }).model);
    assert.deepEqual(models, ["gpt-main", "gpt-poet", "gpt-main"]);
    const afterSpawn = llm.chatRequests()[2]!.body as {
      messages: { role: string; content: string }[];
    };
    assert.equal(afterSpawn.messages.at(-1)!.content, "Autumn wind, a log");

    await runtime.door.enter({ source: { kind: "terminal" }, text: "ask nobody" });
    const last = llm.chatRequests().at(-1)!.body as {
      messages: { role: string; content: string }[];
    };
    assert.match(
      last.messages.at(-1)!.content,
      /No agent "nobody" in agents\.list \(known: main, poet\)/,
    );
    const listed = await runtime.tools.run("agents_list", "{}", {
      sessionKey: "cli:default",
      workspace: runtime.sandbox.workspace,
      signal: new AbortController().signal,
    });
    assert.equal(
      listed.content,
      "- main: openai/gpt-main, default\n- poet (Poet): openai/gpt-poet",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the runtime's warnings never show a configured secret", async () => {
  const key = "sk-proj-" + "Zq9".repeat(12);
  const home = await Deno.makeTempDir({ prefix: "kafclaw-warn-" });
  try {
    // MCP servers that cannot start, whose settings carry the key.
    await Deno.writeTextFile(
      `${home}/mcp.json`,
      JSON.stringify({
        mcpServers: {
          broken: { url: `http://127.0.0.1:9/mcp?key=${key}` },
          cmd: { command: `/nonexistent/${key}`, args: [key] },
        },
      }),
    );
    const config = resolveConfig({
      home,
      env: {
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
        OPENAI_API_KEY: key,
        KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      },
    });
    const warnings: string[] = [];
    await using _runtime = await createAgentRuntime(config, { warn: (m) => warnings.push(m) });
    assert.ok(warnings.some((w) => w.startsWith("MCP server broken:")), warnings.join("\n"));
    assert.ok(
      warnings.some((w) => /^MCP server cmd: .*\/nonexistent\//.test(w)),
      warnings.join("\n"),
    );
    assert.ok(warnings.every((w) => !w.includes(key)), warnings.join("\n"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a server in mcp.json that is wrong stops the start, naming the file and the setting", async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-mcpjson-" });
  try {
    await Deno.writeTextFile(
      `${home}/mcp.json`,
      JSON.stringify({ mcpServers: { docs: { url: "ftp://example.com/mcp" } } }),
    );
    const config = resolveConfig({
      home,
      env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" },
    });
    await assert.rejects(
      () => createAgentRuntime(config, {}),
      (e: Error) =>
        e.message.startsWith(
          `Cannot use ${home}/mcp.json: Invalid MCP server settings at "docs.url"`,
        ),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("an agent that cannot start leaves nothing behind: a route to no provider, a sandbox that fails", async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-start-" });
  try {
    const env = {
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    };
    const routed = resolveConfig({
      home,
      env: {
        ...env,
        KAFCLAW_POLICY_SENSITIVITY: JSON.stringify([
          { name: "health", keywords: ["diagnosis"], routeTo: "groq/llama-3" },
        ]),
      },
    });
    await assert.rejects(
      () => createAgentRuntime(routed, {}),
      (e: Error) =>
        e instanceof ProviderNotConfiguredError &&
        e.message.startsWith('policy.sensitivity rule "health" routes to groq/llama-3'),
    );
    await assert.rejects(
      () =>
        createAgentRuntime(resolveConfig({ home, env }), {
          openSandbox: () => Promise.reject(new Error("no sandbox here")),
        }),
      /no sandbox here/,
    );
    const left = [...Deno.readDirSync(`${home}/run`)].map((e) => e.name);
    assert.deepEqual(left, [], "the sandbox's folder is removed");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
