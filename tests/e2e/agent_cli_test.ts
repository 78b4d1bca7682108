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
