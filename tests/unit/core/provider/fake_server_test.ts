import assert from "node:assert/strict";
import { Child } from "../../../_support/child.ts";
import OpenAI from "openai";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

const SERVER = new URL("../../../fakes/openai_server.ts", import.meta.url).pathname;

async function sse(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text.split("\n\n").filter((e) => e !== "").map((event) => {
    assert.match(event, /^data: /);
    const data = event.slice("data: ".length);
    return data === "[DONE]" ? data : JSON.parse(data);
  });
}

Deno.test("the fake streams the wire format: arguments over several chunks, usage, then [DONE]", async () => {
  await using llm = await startFakeOpenAI({
    chat: [{ toolCalls: [{ id: "call_1", name: "read_file", arguments: { path: "a/b/c.md" } }] }],
  });
  const response = await fetch(`${llm.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const events = await sse(response);
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1) as OpenAI.Chat.ChatCompletionChunk[];
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.equal(typeof usage.usage?.prompt_tokens, "number");
  assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
  const pieces = chunks.slice(0, -1).flatMap((e) => e.choices[0]!.delta.tool_calls ?? []);
  assert.deepEqual(pieces[0], {
    index: 0,
    id: "call_1",
    type: "function",
    function: { name: "read_file", arguments: "" },
  });
  const args = pieces.slice(1).map((p) => p.function?.arguments);
  assert.ok(args.length >= 3, "arguments arrive in several chunks");
  assert.equal(args.join(""), '{"path":"a/b/c.md"}');
  assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, "tool_calls");
});

Deno.test("the fake's base64 embeddings decode in npm:openai to its float ones", async () => {
  await using llm = await startFakeOpenAI();
  const client = new OpenAI({ apiKey: "k", baseURL: llm.url, maxRetries: 0 });
  const base64 = await client.embeddings.create({ model: "e", input: "same text" });
  const float = await client.embeddings.create({
    model: "e",
    input: "same text",
    encoding_format: "float",
  });
  assert.deepEqual(Array.from(base64.data[0]!.embedding), float.data[0]!.embedding);
});

Deno.test("the fake lists its models, queues turns posted to it, and 404s unknown paths", async () => {
  await using llm = await startFakeOpenAI({ models: { "gpt-x": [] } });
  const client = new OpenAI({ apiKey: "k", baseURL: llm.url, maxRetries: 0 });
  const models = [];
  for await (const model of client.models.list()) models.push(model.id);
  assert.deepEqual(models, ["fake-model", "gpt-x"]);
  const origin = new URL(llm.url).origin;
  await (await fetch(`${origin}/_fake/turns`, {
    method: "POST",
    body: JSON.stringify({ models: { "gpt-x": [{ text: "queued" }] } }),
  })).body?.cancel();
  const answer = await client.chat.completions.create({ model: "gpt-x", messages: [] });
  assert.equal(answer.choices[0]?.message.content, "queued");
  const missing = await fetch(`${llm.url}/nope`);
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error.message, /Unknown path GET \/v1\/nope/);
  const logged = await (await fetch(`${origin}/_fake/requests`)).json();
  assert.deepEqual(logged.map((r: { path: string; status: number }) => `${r.path} ${r.status}`), [
    "/v1/models 200",
    "/_fake/turns 200",
    "/v1/chat/completions 200",
    "/v1/nope 404",
    "/_fake/requests 0",
  ]);
});

Deno.test("with nothing scripted the fake answers 400; 'echo' repeats the last user message", async () => {
  await using bare = await startFakeOpenAI();
  const ask = { model: "m", messages: [{ role: "user" as const, content: "ping" }] };
  await assert.rejects(
    new OpenAI({ apiKey: "k", baseURL: bare.url, maxRetries: 0 }).chat.completions.create(ask),
    /400 Fake OpenAI server has no scripted turn left for model m/,
  );
  await using echo = await startFakeOpenAI({ fallback: "echo" });
  const answer = await new OpenAI({ apiKey: "k", baseURL: echo.url, maxRetries: 0 })
    .chat.completions.create(ask);
  assert.equal(answer.choices[0]?.message.content, "echo: ping");
});

Deno.test("run as a script, the fake prints its URL first, serves the script and logs requests", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-fake-" });
  try {
    await Deno.writeTextFile(
      `${dir}/script.json`,
      JSON.stringify({ chat: [{ text: "scripted" }] }),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SERVER, "--script", `${dir}/script.json`, "--log", `${dir}/log.jsonl`],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const url = out.split("\n")[0]!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const client = new OpenAI({ apiKey: "k", baseURL: url, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: "m", messages: [] });
    assert.equal(answer.choices[0]?.message.content, "scripted");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await reader.cancel();
    const log = (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(log.map((r) => [r.path, r.status, r.headers.authorization]), [
      ["/v1/chat/completions", 200, "Bearer k"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run as a script with --with-stdin, the fake ends when its stdin closes", async () => {
  await using child = new Child(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SERVER, "--with-stdin"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }),
  );
  await child.until(/\n/);
  const url = child.stdout.split("\n")[0]!;
  const models = await fetch(`${url}/models`);
  await models.body?.cancel();
  assert.equal(models.status, 200);
  // Its starter goes away without a signal: the pipe closes, and so does the fake.
  await child.process.stdin.close();
  assert.equal(await child.exit(), 0);
});
