import assert from "node:assert/strict";
import {
  type ChatMessage,
  createChatProvider,
  type ToolDefinition,
  type UsageRecord,
} from "../../../../core/provider/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { configFrom, fakeConfig, SECRET_KEY } from "./_helpers.ts";

const ASK: ChatMessage[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Say hello" },
];

const TOOLS: ToolDefinition[] = [
  {
    name: "read_file",
    description: "Reads a file of the workspace",
    parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
  {
    name: "web_fetch",
    description: "Fetches a URL",
    parameters: { type: "object", properties: { url: { type: "string" } } },
  },
];

Deno.test("a plain answer comes back with its model, finish reason and usage", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ text: "Hello there", usage: { promptTokens: 12, completionTokens: 3 } }],
  });
  const provider = createChatProvider(fakeConfig(llm.url));
  const result = await provider.chat({ messages: ASK });
  assert.deepEqual(result, {
    content: "Hello there",
    toolCalls: [],
    finishReason: "stop",
    usage: { promptTokens: 12, completionTokens: 3 },
    model: "openai/gpt-a",
  });
  const [request] = llm.chatRequests();
  assert.equal(request?.headers.authorization, `Bearer ${SECRET_KEY}`);
  assert.deepEqual((request?.body as { messages: unknown }).messages, [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Say hello" },
  ]);
});

Deno.test("the request carries model.maxTokens, model.temperature and the tools", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "ok" }] });
  const config = fakeConfig(llm.url, {
    env: { KAFCLAW_MODEL_MAX_TOKENS: "321", KAFCLAW_MODEL_TEMPERATURE: "0.25" },
  });
  await createChatProvider(config).chat({ messages: ASK, tools: TOOLS });
  const body = llm.chatRequests()[0]?.body as Record<string, unknown>;
  assert.equal(body.model, "gpt-a");
  assert.equal(body.max_completion_tokens, 321); // OpenAI's name for it
  assert.equal(body.temperature, 0.25);
  assert.equal(body.tool_choice, "auto");
  assert.deepEqual(body.tools, [
    {
      type: "function",
      function: {
        name: "read_file",
        description: "Reads a file of the workspace",
        parameters: {
          type: "object",
          properties: { path: { type: "string" } },
          required: ["path"],
        },
      },
    },
    {
      type: "function",
      function: {
        name: "web_fetch",
        description: "Fetches a URL",
        parameters: { type: "object", properties: { url: { type: "string" } } },
      },
    },
  ]);
  assert.equal(body.stream, undefined);
});

Deno.test("other providers get max_tokens; a request's own limits win over the config's", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "a" }, { text: "b" }] });
  const config = configFrom({
    KAFCLAW_MODEL: "groq/llama-3.1-8b",
    KAFCLAW_PROVIDERS_GROQ_API_BASE: llm.url,
    KAFCLAW_PROVIDERS_GROQ_API_KEY: "gsk_key",
    KAFCLAW_MODEL_MAX_TOKENS: "100",
    KAFCLAW_MODEL_TEMPERATURE: "0.1",
  });
  const provider = createChatProvider(config);
  await provider.chat({ messages: ASK });
  await provider.chat({ messages: ASK, maxTokens: 7, temperature: 1.5 });
  const [first, second] = llm.chatRequests().map((r) => r.body as Record<string, unknown>);
  assert.equal(first?.max_tokens, 100);
  assert.equal(first?.max_completion_tokens, undefined);
  assert.equal(first?.temperature, 0.1);
  assert.equal(second?.max_tokens, 7);
  assert.equal(second?.temperature, 1.5);
  assert.equal(llm.chatRequests()[0]?.headers.authorization, "Bearer gsk_key");
});

Deno.test("OpenAI reasoning models are sent no temperature, which they refuse", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "ok" }] });
  await createChatProvider(fakeConfig(llm.url, { model: "o4-mini" })).chat({ messages: ASK });
  const body = llm.chatRequests()[0]?.body as Record<string, unknown>;
  assert.equal(body.temperature, undefined);
  assert.equal(body.max_completion_tokens, 8192);
});

Deno.test("a turn with several tool calls returns them all, in order", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{
      toolCalls: [
        { id: "call_1", name: "read_file", arguments: { path: "notes.md" } },
        { id: "call_2", name: "web_fetch", arguments: { url: "https://example.com/" } },
      ],
    }],
  });
  const result = await createChatProvider(fakeConfig(llm.url)).chat({
    messages: ASK,
    tools: TOOLS,
  });
  assert.equal(result.finishReason, "tool_calls");
  assert.equal(result.content, "");
  assert.deepEqual(result.toolCalls, [
    { id: "call_1", name: "read_file", arguments: '{"path":"notes.md"}' },
    { id: "call_2", name: "web_fetch", arguments: '{"url":"https://example.com/"}' },
  ]);
});

Deno.test("assistant tool calls and tool results go back in the wire shape", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "The file says hi" }] });
  await createChatProvider(fakeConfig(llm.url)).chat({
    messages: [
      ...ASK,
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "call_1", name: "read_file", arguments: '{"path":"a.md"}' }],
      },
      { role: "tool", toolCallId: "call_1", content: "hi" },
    ],
    tools: TOOLS,
  });
  const messages = (llm.chatRequests()[0]?.body as { messages: unknown[] }).messages;
  assert.deepEqual(messages.slice(2), [
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "call_1",
        type: "function",
        function: { name: "read_file", arguments: '{"path":"a.md"}' },
      }],
    },
    { role: "tool", tool_call_id: "call_1", content: "hi" },
  ]);
});

Deno.test("each successful call reports its usage to onUsage", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ text: "one", usage: { promptTokens: 10, completionTokens: 2 } }],
    models: { "gpt-b": [{ text: "two", usage: { promptTokens: 20, completionTokens: 4 } }] },
  });
  const records: UsageRecord[] = [];
  const at = new Date("2026-01-02T03:04:05Z");
  const provider = createChatProvider(fakeConfig(llm.url), {
    onUsage: (r) => records.push(r),
    now: () => at,
  });
  await provider.chat({ messages: ASK });
  await provider.chat({ messages: ASK, model: "openai/gpt-b", onText: () => {} });
  assert.deepEqual(records, [
    { provider: "openai", model: "gpt-a", kind: "chat", promptTokens: 10, completionTokens: 2, at },
    { provider: "openai", model: "gpt-b", kind: "chat", promptTokens: 20, completionTokens: 4, at },
  ]);
});

Deno.test("a keyless endpoint sends no Authorization header", async () => {
  await using llm = await startFakeOpenAI({ chat: [{ text: "local" }] });
  const config = configFrom({
    KAFCLAW_MODEL: "ollama/llama3.2",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: llm.url,
  });
  const result = await createChatProvider(config).chat({ messages: ASK });
  assert.equal(result.content, "local");
  assert.equal(result.model, "ollama/llama3.2");
  assert.equal(llm.chatRequests()[0]?.headers.authorization, undefined);
});
