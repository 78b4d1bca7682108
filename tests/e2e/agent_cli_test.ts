import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclaw, tempHome } from "../_support/cli.ts";

Deno.test("kafclaw agent -m against an OpenAI-compatible server writes a file and prints the answer", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{
          id: "c1",
          name: "write_file",
          arguments: { path: "notes/hello.txt", content: "hello from the agent\n" },
        }],
      },
      { text: "I wrote notes/hello.txt." },
    ],
  });
  const r = await kafclaw(["agent", "-m", "write hello to notes/hello.txt"], {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "I wrote notes/hello.txt.");
  assert.equal(
    await Deno.readTextFile(`${home.path}/workspace/notes/hello.txt`),
    "hello from the agent\n",
  );
  const requests = llm.chatRequests();
  assert.equal(requests.length, 2);
  const second = requests[1]!.body as { messages: { role: string; content: string }[] };
  assert.match(second.messages.at(-1)!.content, /notes\/hello\.txt/);
  const sessions = [...Deno.readDirSync(`${home.path}/sessions`)];
  assert.equal(sessions.length, 1);
  assert.equal(
    (await Deno.stat(`${home.path}/sessions/${sessions[0]!.name}`)).mode! & 0o777,
    0o600,
  );
});

Deno.test("kafclaw agent with no provider configured says how to configure one and exits 2", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["agent", "-m", "hi"], { KAFCLAW_HOME: home.path });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^kafclaw: No LLM provider is configured/);
  assert.match(r.stderr, /OPENAI_API_KEY/);
  assert.match(r.stderr, /kafclaw onboard/);
  assert.equal(r.stdout, "");
});

Deno.test("kafclaw agent reads messages line by line and keeps one session across them", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [{ text: "Hello Ada." }, { text: "Your name is Ada." }],
  });
  const root = new URL("../../", import.meta.url).pathname;
  const child = new Deno.Command(`${root}scripts/kafclaw`, {
    args: ["agent", "-s", "cli:chat"],
    env: { KAFCLAW_HOME: home.path, OPENAI_BASE_URL: llm.url, KAFCLAW_MODEL: "openai/gpt-test" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("I am Ada\nWhat is my name?\n/exit\n"));
  await writer.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(stdout, "Hello Ada.\nYour name is Ada.\n");
  const second = llm.chatRequests()[1]!.body as { messages: { role: string; content: string }[] };
  assert.deepEqual(
    second.messages.filter((m) => m.role !== "system").map((m) => m.content),
    ["I am Ada", "Hello Ada.", "What is my name?"],
    "the second turn sees the first",
  );
});

Deno.test("Ctrl-C cancels the request in flight, leaves the session consistent and exits 130", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ chat: [{ text: "this never ends", hang: true }] });
  const root = new URL("../../", import.meta.url).pathname;
  const child = new Deno.Command(`${root}scripts/kafclaw`, {
    args: ["agent", "-m", "tell me a long story"],
    env: { KAFCLAW_HOME: home.path, OPENAI_BASE_URL: llm.url, KAFCLAW_MODEL: "openai/gpt-test" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started = Date.now();
  while (llm.chatRequests().length === 0 && Date.now() - started < 20_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(llm.chatRequests().length, 1, "the request reached the LLM");
  child.kill("SIGINT");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 130, stderr);
  assert.match(stderr, /cancelled/);
  const file = [...Deno.readDirSync(`${home.path}/sessions`)][0]!.name;
  const lines = (await Deno.readTextFile(`${home.path}/sessions/${file}`)).trim().split("\n").map((
    l,
  ) => JSON.parse(l));
  assert.deepEqual(lines.slice(1).map((l) => l.role), ["user", "assistant"]);
  assert.match(lines[2].content, /cancelled/);
});

Deno.test("what the agent remembers in one run it recalls in the next, embedded under the launcher's permissions", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{
          id: "r1",
          name: "remember",
          arguments: { content: "The door code is 4711." },
        }],
      },
      { text: "Noted." },
      { toolCalls: [{ id: "r2", name: "recall", arguments: { query: "door code" } }] },
      { text: "It is 4711." },
    ],
  });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_MEMORY_EMBEDDING_DIMENSION: "8",
  };
  const first = await kafclaw(["agent", "-m", "remember: the door code is 4711"], env);
  assert.equal(first.code, 0, first.stderr);
  const second = await kafclaw(["agent", "-s", "cli:other", "-m", "what is the door code?"], env);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.trim(), "It is 4711.");
  const last = llm.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
  const recalled = last.messages.filter((m) => m.role === "tool").at(-1)!.content;
  assert.match(recalled, /The door code is 4711\./);
  // sqlite-vec loads under the narrowed read permission, so the memory has its vector.
  const status = await kafclaw(["memory", "status"], env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^search: hybrid/m);
  assert.match(status.stdout, /vectors by openai\/text-embedding-3-small: \d+/);
  assert.match(status.stdout, /sqlite-vec: v0\.1\.9 from .*, index of 8/);
});

Deno.test("kafclaw agent shows what the model wrote, escape sequences included, without letting them act", async () => {
  await using home = await tempHome();
  const osc52 = "\x1b]52;c;cm0gLXJmIH4=\x07";
  const overwrite = "\r\x1b[2K\x1b[1A\x1b[32mApproved by owner\x1b[0m";
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{
          id: "c1",
          name: "write_file",
          arguments: { path: "a.txt", content: `x${overwrite}` },
        }],
      },
      { text: `Done.${osc52}${overwrite}` },
    ],
  });
  const r = await kafclaw(["agent", "-m", "write a.txt"], {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
  });
  assert.equal(r.code, 0, r.stderr);
  for (const printed of [r.stdout, r.stderr]) {
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(printed, /[\x1b\r\x07\x9b]/, JSON.stringify(printed));
  }
  assert.match(r.stdout, /Done\.\\x1b\]52;c;cm0gLXJmIH4=\\x07\\x0d\\x1b\[2K/);
  assert.match(r.stderr, /· write_file .*Approved by owner/);
});
