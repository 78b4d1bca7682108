/**
 * The agent loop driven through the real provider (npm:openai) against the fake OpenAI server:
 * multi-tool turns, streaming, the iteration limit, model fallback, bad tool arguments and
 * cancellation, with the session file checked after each.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { AgentLoop, type LoopSettings } from "../../../../core/agent/loop.ts";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { createChatProvider } from "../../../../core/provider/mod.ts";
import { defineTool, toolOk } from "../../../../core/tools/define.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import {
  type FakeChatRequest,
  type FakeOpenAIOptions,
  startFakeOpenAI,
} from "../../../fakes/openai_server.ts";
import { fakeConfig, instantRetry } from "../provider/_helpers.ts";
import { openGuard, OWNER } from "../../../_support/turns.ts";

const SETTINGS: LoopSettings = {
  maxToolIterations: 5,
  maxTokens: 512,
  temperature: 0.2,
  historyMessages: 50,
  compactAboveChars: 100_000,
};

async function setup(
  script: FakeOpenAIOptions,
  options: { fallbacks?: string; settings?: Partial<LoopSettings> } = {},
) {
  const llm = await startFakeOpenAI(script);
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-loop-" });
  const notes: string[] = [];
  const tools = new ToolRegistry().register(
    defineTool({
      name: "note",
      description: "Keep a note",
      tier: 1,
      args: z.strictObject({ text: z.string() }),
      run: (args) => {
        notes.push(args.text);
        return Promise.resolve(toolOk(`noted: ${args.text}`));
      },
    }),
    defineTool({
      name: "count",
      description: "Count the notes",
      tier: 0,
      args: z.strictObject({}),
      run: () => Promise.resolve(toolOk(String(notes.length))),
    }),
  );
  const provider = createChatProvider(
    fakeConfig(llm.url, options.fallbacks ? { fallbacks: options.fallbacks } : {}),
    { retry: instantRetry().retry },
  );
  const sessions = new SessionStore(`${dir}/sessions`);
  const loop = new AgentLoop({
    provider,
    tools,
    sessions,
    workspace: `${dir}/workspace`,
    agentName: "Claw",
    soul: () => Promise.resolve({ "SOUL.md": "Be brief." }),
    settings: { ...SETTINGS, ...options.settings },
    guard: openGuard,
  });
  return {
    llm,
    loop,
    notes,
    sessions,
    async [Symbol.asyncDispose]() {
      await llm[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type Body = FakeChatRequest & {
  temperature?: number;
  tools?: { function: { name: string } }[];
  messages: { role: string; content?: unknown }[];
};
const bodies = (llm: { chatRequests(): readonly { body: unknown }[] }) =>
  llm.chatRequests().map((r) => r.body as Body);

const call = (id: string, name: string, args: unknown) => ({
  id,
  name,
  arguments: JSON.stringify(args),
});

Deno.test("a multi-tool turn runs every call, feeds results back and ends with the answer", async () => {
  await using s = await setup({
    chat: [
      { toolCalls: [call("c1", "note", { text: "milk" }), call("c2", "note", { text: "eggs" })] },
      { toolCalls: [call("c3", "count", {})] },
      { text: "You have 2 notes." },
    ],
  });
  const r = await s.loop.runTurn({
    sessionKey: "cli:t",
    text: "note milk and eggs",
    origin: OWNER,
  });
  assert.equal(r.content, "You have 2 notes.");
  assert.equal(r.stopped, "answer");
  assert.equal(r.iterations, 3);
  assert.deepEqual(s.notes, ["milk", "eggs"]);
  const requests = bodies(s.llm);
  assert.equal(requests.length, 3);
  const last = requests[2]!.messages;
  assert.equal(last[0]!.role, "system");
  assert.match(String(last[0]!.content), /Be brief\./);
  assert.deepEqual(last.filter((m) => m.role === "tool").map((m) => m.content), [
    "noted: milk",
    "noted: eggs",
    "2",
  ]);
  assert.equal(requests[0]!.temperature, 0.2);
  assert.deepEqual(
    requests[0]!.tools!.map((t) => t.function.name),
    ["note", "count"],
  );
  const lines = await s.sessions.lines("cli:t");
  assert.deepEqual(lines.map((l) => l.type === "message" ? l.message.role : "summary"), [
    "user",
    "assistant",
    "tool",
    "tool",
    "assistant",
    "tool",
    "assistant",
  ]);
});

Deno.test("streamed text reaches the caller in order and equals the final answer", async () => {
  await using s = await setup({
    chat: [{ text: "one two three", chunks: ["one ", "two ", "three"] }],
  });
  const deltas: string[] = [];
  const r = await s.loop.runTurn({
    sessionKey: "cli:s",
    text: "count",
    origin: OWNER,
    onText: (d) => deltas.push(d),
  });
  assert.deepEqual(deltas, ["one ", "two ", "three"]);
  assert.equal(r.content, "one two three");
});

Deno.test("the loop stops at maxToolIterations with a message that says so", async () => {
  const loopCall = { toolCalls: [call("c", "count", {})] };
  await using s = await setup({ chat: [loopCall, loopCall, loopCall] }, {
    settings: { maxToolIterations: 3 },
  });
  const r = await s.loop.runTurn({
    sessionKey: "cli:m",
    text: "go",
    origin: OWNER,
  });
  assert.equal(r.stopped, "max_iterations");
  assert.match(r.content, /stopped after 3 rounds of tool calls .*model\.maxToolIterations/);
  assert.equal(s.llm.chatRequests().length, 3);
});

Deno.test("a 429 and a 500 on the main model fall back to the second model", async () => {
  await using s = await setup({
    models: {
      "gpt-a": [{ status: 429 }, { status: 500 }, { status: 500 }],
      "gpt-b": [{ text: "from b" }],
    },
  }, { fallbacks: "openai/gpt-b" });
  const r = await s.loop.runTurn({
    sessionKey: "cli:f",
    text: "hi",
    origin: OWNER,
  });
  assert.equal(r.content, "from b");
  assert.deepEqual(bodies(s.llm).map((q) => q.model), ["gpt-a", "gpt-a", "gpt-a", "gpt-b"]);
});

Deno.test("a bad tool argument goes back to the model as a tool error and the turn goes on", async () => {
  await using s = await setup({
    chat: [
      {
        toolCalls: [call("c1", "note", { txt: "typo" }), {
          id: "c2",
          name: "note",
          arguments: "{not json",
        }, call("c3", "nope", {})],
      },
      { text: "Sorry, fixed." },
    ],
  });
  const r = await s.loop.runTurn({
    sessionKey: "cli:b",
    text: "note it",
    origin: OWNER,
  });
  assert.equal(r.content, "Sorry, fixed.");
  assert.deepEqual(s.notes, []);
  const tools = bodies(s.llm)[1]!.messages.filter((m) => m.role === "tool").map((m) =>
    String(m.content)
  );
  assert.equal(tools.length, 3);
  for (const t of tools) assert.match(t, /^Error: /);
  assert.match(tools[0]!, /text/);
  assert.match(tools[1]!, /JSON/i);
  assert.match(tools[2]!, /nope/);
});

Deno.test("cancelling a turn mid-stream ends it quickly and leaves the session consistent", async () => {
  await using s = await setup({
    chat: [{ text: "never finished", hang: true }, { text: "next turn works" }],
  });
  const ac = new AbortController();
  const started = Date.now();
  const turn = s.loop.runTurn({
    sessionKey: "cli:c",
    text: "slow",
    origin: OWNER,
    signal: ac.signal,
    onText: () => ac.abort(),
  });
  const r = await turn;
  assert.equal(r.stopped, "cancelled");
  assert.ok(Date.now() - started < 5000);
  const next = await s.loop.runTurn({
    sessionKey: "cli:c",
    text: "again",
    origin: OWNER,
  });
  assert.equal(next.content, "next turn works");
  const roles = (await s.sessions.lines("cli:c")).map((l) =>
    l.type === "message" ? l.message.role : "-"
  );
  assert.deepEqual(
    roles,
    ["user", "assistant", "user", "assistant"],
    "every user message has its answer",
  );
});

Deno.test("turns of one session run one at a time; other sessions run alongside", async () => {
  const answer = (request: FakeChatRequest) => {
    const last = String(request.messages?.at(-1)?.content);
    return { text: `re:${last}`, delayMs: last === "first" ? 200 : 0 };
  };
  await using s = await setup({ chat: [answer, answer, answer] });
  const order: string[] = [];
  const run = (key: string, text: string) =>
    s.loop.runTurn({ sessionKey: key, text, origin: OWNER }).then((r) => {
      order.push(`${key}:${r.content}`);
    });
  await Promise.all([run("one", "first"), run("one", "second"), run("two", "other")]);
  // "two" finished while "one" waited for its slow first answer, and "one"'s second turn started
  // only after its first had finished.
  assert.deepEqual(order, ["two:re:other", "one:re:first", "one:re:second"]);
});

Deno.test("a call's long arguments run whole, then are cut from what later requests send", async () => {
  const long = "n".repeat(100_000);
  await using s = await setup({
    chat: [
      { toolCalls: [call("c1", "note", { text: long })] },
      { toolCalls: [call("c2", "count", {})] },
      { text: "Noted." },
    ],
  });
  await s.loop.runTurn({ sessionKey: "cli:big", text: "note this", origin: OWNER });
  assert.deepEqual(s.notes, [long], "the tool got the whole argument");
  const argumentsSent = (messages: { tool_calls?: { function: { arguments: string } }[] }[]) =>
    messages.flatMap((m) => m.tool_calls ?? []).map((c) => c.function.arguments);
  for (const body of bodies(s.llm).slice(1)) {
    const [sent] = argumentsSent(body.messages as never);
    assert.ok(sent!.length < 1000, `a later request sent the call with ${sent!.length} characters`);
    assert.match(sent!, /100000 characters in all; cut from the history after the call ran/);
  }
  const history = await s.sessions.history("cli:big", 50);
  const kept = history.messages.flatMap((m) => m.role === "assistant" ? m.toolCalls ?? [] : []);
  assert.ok(kept[0]!.arguments.length < 1000, "the session keeps the cut call");
});
