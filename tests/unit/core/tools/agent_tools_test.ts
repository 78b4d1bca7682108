import assert from "node:assert/strict";
import {
  agentsListTool,
  messageTool,
  sessionsSpawnTool,
} from "../../../../core/tools/agent_tools.ts";
import type { MessageSink, SpawnRequest, SubagentSpawner } from "../../../../core/tools/ports.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import { testContext } from "./_context.ts";

function sink(fail?: string) {
  const sent: { to: string; text: string; from: string }[] = [];
  const port: MessageSink = {
    send(to, text, ctx) {
      if (fail) return Promise.reject(new Error(fail));
      sent.push({ to: to.session, text, from: ctx.sessionKey });
      return Promise.resolve();
    },
  };
  return { sent, port };
}

function spawner(answer: string | Error, taint: "trusted" | "untrusted" = "trusted") {
  const requests: SpawnRequest[] = [];
  const port: SubagentSpawner = {
    spawn(request) {
      requests.push(request);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve({ answer, taint });
    },
  };
  return { requests, port };
}

Deno.test("message sends text to another session through the sink", async () => {
  const { sent, port } = sink();
  const registry = new ToolRegistry().register(messageTool(port));
  assert.equal(registry.tierOf("message"), 1);
  const result = await registry.run(
    "message",
    '{"session":"telegram:7","text":"done"}',
    testContext({ sessionKey: "local:a" }),
  );
  assert.deepEqual(result, { content: "Message sent to session telegram:7" });
  assert.deepEqual(sent, [{ to: "telegram:7", text: "done", from: "local:a" }]);
});

Deno.test("message refuses the current session and reports a sink failure as a result", async () => {
  const own = new ToolRegistry().register(messageTool(sink().port));
  const self = await own.run(
    "message",
    '{"session":"s","text":"x"}',
    testContext({ sessionKey: "s" }),
  );
  assert.equal(self.isError, true);
  const broken = new ToolRegistry().register(messageTool(sink("no such session").port));
  const result = await broken.run("message", '{"session":"x","text":"y"}', testContext());
  assert.deepEqual(result, { content: "message failed: no such session", isError: true });
});

Deno.test("sessions_spawn passes the task and options and returns the subagent's answer", async () => {
  const { requests, port } = spawner("42");
  const registry = new ToolRegistry().register(sessionsSpawnTool(port));
  assert.equal(registry.tierOf("sessions_spawn"), 1);
  const args = { task: "count", label: "counter", model: "openai/gpt-4o", timeoutSeconds: 30 };
  assert.deepEqual(await registry.run("sessions_spawn", JSON.stringify(args), testContext()), {
    content: "42",
  });
  assert.deepEqual(requests, [{
    task: "count",
    label: "counter",
    model: "openai/gpt-4o",
    timeoutMs: 30000,
  }]);
  await registry.run("sessions_spawn", '{"task":"t"}', testContext());
  assert.deepEqual(requests[1], { task: "t" });
});

Deno.test("an untrusted subagent's answer comes back untrusted: its taint flows to the parent", async () => {
  const registry = new ToolRegistry().register(
    sessionsSpawnTool(spawner("read it", "untrusted").port),
  );
  assert.deepEqual(await registry.run("sessions_spawn", '{"task":"t"}', testContext()), {
    content: "read it",
    untrusted: true,
  });
});

Deno.test("sessions_spawn validates its arguments before spawning", async () => {
  const { requests, port } = spawner("x");
  const registry = new ToolRegistry().register(sessionsSpawnTool(port));
  for (
    const bad of [{}, { task: "" }, { task: "t", timeoutSeconds: 0 }, {
      task: "t",
      model: "nomodel",
    }]
  ) {
    const result = await registry.run("sessions_spawn", JSON.stringify(bad), testContext());
    assert.equal(result.isError, true, JSON.stringify(bad));
  }
  assert.equal(requests.length, 0);
});

Deno.test("sessions_spawn reports a failed or empty run", async () => {
  const failed = new ToolRegistry().register(
    sessionsSpawnTool(spawner(new Error("depth limit")).port),
  );
  assert.deepEqual(await failed.run("sessions_spawn", '{"task":"t"}', testContext()), {
    content: "sessions_spawn failed: depth limit",
    isError: true,
  });
  const empty = new ToolRegistry().register(sessionsSpawnTool(spawner("").port));
  assert.equal(
    (await empty.run("sessions_spawn", '{"task":"t"}', testContext())).content,
    "(the subagent finished without an answer)",
  );
});

Deno.test("sessions_spawn passes an agentId on; agents_list names the agents and their models", async () => {
  const { requests, port } = spawner("done");
  const agents = [
    { id: "main", model: "openai/gpt-main", default: true },
    { id: "coder", name: "Coder", model: "groq/llama-70b", default: false },
  ];
  const registry = new ToolRegistry().register(sessionsSpawnTool(port), agentsListTool(agents));
  assert.equal(registry.tierOf("agents_list"), 0);
  await registry.run("sessions_spawn", '{"task":"fix it","agentId":"coder"}', testContext());
  assert.deepEqual(requests, [{ task: "fix it", agentId: "coder" }]);
  assert.deepEqual(await registry.run("agents_list", "{}", testContext()), {
    content: "- main: openai/gpt-main, default\n- coder (Coder): groq/llama-70b",
  });
  const none = await agentsListTool([]).run({}, testContext());
  assert.match(none.content, /^No agents are configured/);
});
