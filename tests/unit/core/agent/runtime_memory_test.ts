/**
 * Memory wired into the agent runtime, against the fake OpenAI server (chat and embeddings) and a
 * temporary KAFCLAW_HOME: the soul files indexed by section at start (once, changes replaced),
 * a remembered fact in the next turn's prompt, and conversations and tool results stored by the
 * time the runtime has closed.
 */
import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { createAgentRuntime } from "../../../../core/agent/runtime.ts";
import { Memory, openWithVectors } from "../../../../core/memory/mod.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../../fakes/openai_server.ts";

async function tempHome() {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-runtime-memory-" });
  await Deno.mkdir(`${home}/soul`, { recursive: true });
  return {
    home,
    config: (llm: FakeOpenAI) =>
      resolveConfig({
        home,
        env: {
          KAFCLAW_MODEL: "openai/gpt-test",
          OPENAI_BASE_URL: llm.url,
          OPENAI_API_KEY: "sk-test",
          KAFCLAW_MEMORY_EMBEDDING_DIMENSION: "8",
        },
      }),
    /** The memory of the home, read after the runtime closed (keyword search). */
    afterwards() {
      const { timeline, vectors } = openWithVectors(`${home}/timeline.db`);
      return {
        timeline,
        memory: new Memory(timeline, { vectors, embedderReason: "read back by the test" }),
        [Symbol.dispose]: () => timeline.close(),
      };
    },
    [Symbol.asyncDispose]: () => Deno.remove(home, { recursive: true }),
  };
}

const embeddingInputs = (llm: FakeOpenAI) =>
  llm.requests.filter((r) => r.path === "/v1/embeddings")
    .flatMap((r) => (r.body as { input: string[] }).input);

Deno.test("soul files are searchable by section after start, once, and a changed section replaces the old one", async () => {
  await using llm = await startFakeOpenAI();
  await using h = await tempHome();
  await Deno.writeTextFile(
    `${h.home}/soul/SOUL.md`,
    "# Soul\nI help Anna.\n## Tone\nWarm and brief.\n## Limits\nNo purchases.\n",
  );
  await Deno.writeTextFile(`${h.home}/soul/USER.md`, "## Anna\nLikes green tea.\n");
  {
    await using runtime = await createAgentRuntime(h.config(llm), {});
    assert.equal(embeddingInputs(llm).length, 4, "one vector for each section");
    const found = await runtime.memory.search("tone warm brief");
    const tone = found.hits.find((hit) => hit.source === "soul:SOUL.md" && hit.tags[0] === "Tone");
    assert.equal(tone?.content, "## Tone\nWarm and brief.");
    assert.equal(tone?.taint, "trusted");
    assert.deepEqual(runtime.timeline.memory.kinds().map((k) => [k.kind, k.count]), [["soul", 4]]);
  }
  const embedded = embeddingInputs(llm).length;
  {
    // A second start: the same four sections, nothing embedded again.
    await using runtime = await createAgentRuntime(h.config(llm), {});
    assert.deepEqual(runtime.timeline.memory.kinds().map((k) => [k.kind, k.count]), [["soul", 4]]);
    assert.equal(embeddingInputs(llm).length, embedded);
  }
  await Deno.writeTextFile(
    `${h.home}/soul/SOUL.md`,
    "# Soul\nI help Anna.\n## Tone\nWarm, brief and direct.\n## Limits\nNo purchases.\n",
  );
  await Deno.remove(`${h.home}/soul/USER.md`);
  {
    await using runtime = await createAgentRuntime(h.config(llm), {});
    assert.deepEqual(embeddingInputs(llm).slice(embedded), ["## Tone\nWarm, brief and direct."]);
    const found = await runtime.memory.search("tone", { zones: "all", limit: 20 });
    const soul = found.hits.filter((hit) => hit.source.startsWith("soul:")).map((hit) =>
      hit.content
    );
    assert.ok(soul.includes("## Tone\nWarm, brief and direct."));
    assert.ok(!soul.includes("## Tone\nWarm and brief."));
    // The removed file's section went with it.
    assert.deepEqual(runtime.timeline.memory.kinds().map((k) => [k.kind, k.count]), [["soul", 3]]);
  }
});

Deno.test("through the runtime: a remembered fact reaches the next prompt, and turns are stored by close", async () => {
  const notes = "Release notes. The release train leaves on Friday at noon. ".repeat(6);
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{
          id: "r",
          name: "remember",
          arguments: { content: "The staging database runs on port 5433" },
        }],
      },
      { text: "Done: I will remember that the staging database runs on port 5433." },
      { toolCalls: [{ id: "f", name: "read_file", arguments: { path: "notes.txt" } }] },
      { text: "The notes say the release train leaves on Friday at noon, every week." },
      { text: "The staging database runs on port 5433, as you asked me to remember." },
    ],
  });
  await using h = await tempHome();
  const warnings: string[] = [];
  {
    await using runtime = await createAgentRuntime(h.config(llm), {
      warn: (m) => warnings.push(m),
    });
    await Deno.writeTextFile(`${runtime.sandbox.workspace}/notes.txt`, notes);
    const turn = (text: string) => runtime.door.enter({ source: { kind: "terminal" }, text });
    await turn("Please remember that the staging database runs on port 5433.");
    await turn("Read notes.txt and tell me when the release train leaves, please.");
    const r = await turn("Which port does the staging database use?");
    assert.match(r.content, /port 5433/);
    const system = (llm.chatRequests().at(-1)!.body as { messages: { content: string }[] })
      .messages[0]!.content;
    assert.match(
      system,
      /# Relevant Memory\n[^]*- \[source=user, relevance=\d+%\] The staging database runs on port 5433/,
    );
  }
  using after = h.afterwards();
  const stored = await after.memory.search("staging database release train notes", {
    limit: 20,
  });
  const sources = stored.hits.map((hit) => hit.source);
  assert.equal(sources.filter((s) => s === "conversation:cli").length, 3);
  assert.equal(sources.filter((s) => s === "user").length, 1);
  const file = stored.hits.find((hit) => hit.source === "tool:read_file");
  assert.match(file?.content ?? "", /^File: notes\.txt\n[^]*release train leaves on Friday/);
  // Workspace files are untrusted content (policy.workspaceFilesUntrusted): so is what they leave.
  assert.equal(file?.taint, "untrusted");
  const pair = stored.hits.find((hit) => hit.content.startsWith("Q: Read notes.txt"));
  assert.equal(pair?.taint, "untrusted");
  assert.deepEqual(warnings, []);
});

Deno.test("remember and recall keep to the turn's zones: a zone's memory is stored there and found only there", async () => {
  const call = (id: string, name: string, args: Record<string, unknown>) => ({
    toolCalls: [{ id, name, arguments: args }],
  });
  await using llm = await startFakeOpenAI({
    chat: [
      call("r1", "remember", { content: "The ops runbook for the payment broker is in vault 7" }),
      { text: "Stored." },
      call("q1", "recall", { query: "payment broker runbook vault" }),
      { text: "Public turn done." },
      call("q2", "recall", { query: "payment broker runbook vault" }),
      { text: "Ops turn done." },
    ],
  });
  await using h = await tempHome();
  await using runtime = await createAgentRuntime(h.config(llm), {});
  const ops = { zone: "ops", zones: ["public", "ops"] };
  // With a scope, the turn is a task of a vouched agent of the group, in the task's zones.
  const turn = (text: string, scope?: typeof ops) =>
    runtime.door.enter({
      source: scope
        ? { kind: "task", group: "g", from: "peer", vouched: true, taint: "trusted", scope }
        : { kind: "terminal" },
      sessionKey: `cli:${text}`,
      text,
    });
  await turn("remember for ops", ops);
  const stored = (await runtime.memory.search("payment broker runbook", { zones: "all" })).hits
    .filter((hit) => hit.source === "user");
  assert.deepEqual(stored.map((hit) => hit.zone), ["ops"]);
  const lastTool = () => {
    const body = llm.chatRequests().at(-1)!.body as {
      messages: { role: string; content: string }[];
    };
    return body.messages.filter((m) => m.role === "tool").at(-1)!.content;
  };
  await turn("public recall");
  assert.doesNotMatch(lastTool(), /vault 7/, "a public turn does not see the ops zone");
  await turn("ops recall", ops);
  assert.match(lastTool(), /vault 7/);
});
