/**
 * Several agents in one runtime: the default agent of agents.list runs the loop, and
 * sessions_spawn with an agentId runs the subagent with that agent's model.
 */
import assert from "node:assert/strict";
import { createAgentRuntime } from "../../../../core/agent/runtime.ts";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

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
    const first = await runtime.loop.runTurn({
      sessionKey: "cli:default",
      text: "ask the poet",
      messageType: "internal",
      channel: "cli",
    });
    assert.equal(first.content, "The poet wrote one.");
    const models = llm.chatRequests().map((r) => (r.body as { model: string }).model);
    assert.deepEqual(models, ["gpt-main", "gpt-poet", "gpt-main"]);
    const afterSpawn = llm.chatRequests()[2]!.body as {
      messages: { role: string; content: string }[];
    };
    assert.equal(afterSpawn.messages.at(-1)!.content, "Autumn wind, a log");

    await runtime.loop.runTurn({
      sessionKey: "cli:default",
      text: "ask nobody",
      messageType: "internal",
      channel: "cli",
    });
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
      approve: () => Promise.resolve(false),
    });
    assert.equal(
      listed.content,
      "- main: openai/gpt-main, default\n- poet (Poet): openai/gpt-poet",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
