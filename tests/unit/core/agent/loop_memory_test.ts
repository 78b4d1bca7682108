/**
 * Memory in the agent loop, through the real provider against the fake OpenAI server and a real
 * timeline: relevant memories in the system prompt the LLM receives, zones, taint from an
 * untrusted memory (and the guard's answer to it), conversations and tool results indexed,
 * compaction summaries kept, and a broken memory that never fails a turn.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { Approvals } from "../../../../core/agent/approvals.ts";
import { Guard } from "../../../../core/agent/guard.ts";
import { AgentLoop, type LoopSettings, type TurnRequest } from "../../../../core/agent/loop.ts";
import { MemoryLane, type MemoryLaneOptions } from "../../../../core/agent/memory_lane.ts";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { Memory, openWithVectors } from "../../../../core/memory/mod.ts";
import { memoryTools } from "../../../../core/tools/mod.ts";
import { DEFAULT_POLICY } from "../../../_support/policy.ts";
import { openGuard, origin, OWNER } from "../../../_support/turns.ts";
import { createChatProvider } from "../../../../core/provider/mod.ts";
import { defineTool, toolOk } from "../../../../core/tools/define.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import {
  type FakeOpenAI,
  type FakeOpenAIOptions,
  startFakeOpenAI,
} from "../../../fakes/openai_server.ts";
import { fakeConfig, instantRetry } from "../provider/_helpers.ts";

const SETTINGS: LoopSettings = {
  maxToolIterations: 5,
  maxTokens: 256,
  temperature: 0,
  historyMessages: 50,
  compactAboveChars: 100_000,
};

/** The fake page a `browse` call returns: long, and untrusted. */
const PAGE = "The release checklist from the wiki: ".padEnd(400, "tag, build, sign, publish; ");

/** A token of a known shape: redacted wherever the guard sees it. */
const TOKEN = `ghp_${"a1B2".repeat(9)}`;

interface Options {
  settings?: Partial<LoopSettings>;
  lane?: MemoryLaneOptions;
  /** With the guard (no owner to ask: approvals are denied). */
  guard?: boolean;
  soul?: Record<string, string>;
}

async function setup(script: FakeOpenAIOptions, o: Options = {}) {
  const llm = await startFakeOpenAI(script);
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-loop-memory-" });
  const { timeline, vectors } = openWithVectors(`${dir}/timeline.db`);
  // No embedder: keyword search, so that the hits are the same on every run.
  const memory = new Memory(timeline, { vectors, embedderReason: "off in this test" });
  const warnings: string[] = [];
  const lane = new MemoryLane(memory, { warn: (m) => warnings.push(m), ...o.lane });
  const ran: string[] = [];
  const tools = new ToolRegistry().register(
    ...memoryTools(memory, {
      scope: (ctx) => ({ taint: ctx.taint ?? "trusted", zones: ["public"] }),
    }),
    defineTool({
      name: "note",
      description: "Write a note",
      tier: 1,
      args: z.strictObject({ text: z.string() }),
      run: (a) => (ran.push(a.text), Promise.resolve(toolOk(`noted ${a.text}`))),
    }),
    defineTool({
      name: "peek",
      description: "Read the deploy config",
      tier: 0,
      args: z.strictObject({}),
      run: () => Promise.resolve(toolOk(`${PAGE} token ${TOKEN} in the config`)),
    }),
    defineTool({
      name: "browse",
      description: "Read the web",
      tier: 0,
      args: z.strictObject({}),
      run: () => Promise.resolve({ content: PAGE, untrusted: true }),
    }),
  );
  const guard = o.guard
    ? new Guard({
      timeline,
      approvals: new Approvals(timeline, { timeoutMs: 1000, ownerReachable: false }),
      settings: DEFAULT_POLICY,
      secrets: [],
      agentId: "test",
    })
    : openGuard;
  const loop = new AgentLoop({
    provider: createChatProvider(fakeConfig(llm.url), { retry: instantRetry().retry }),
    tools,
    sessions: new SessionStore(`${dir}/sessions`),
    workspace: `${dir}/workspace`,
    agentName: "Claw",
    soul: () => Promise.resolve(o.soul ?? { "SOUL.md": "Be brief." }),
    settings: { ...SETTINGS, ...o.settings },
    memory: lane,
    guard,
  });
  return {
    llm,
    loop,
    lane,
    memory,
    timeline,
    ran,
    warnings,
    turn: (text: string, extra: Partial<TurnRequest> = {}) =>
      loop.runTurn({
        sessionKey: "cli:t",
        text,
        origin: OWNER,
        ...extra,
      }),
    async [Symbol.asyncDispose]() {
      await lane.close();
      timeline.close();
      await llm[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The system prompt of each chat request the fake received. */
const systemPrompts = (llm: FakeOpenAI) =>
  llm.chatRequests().map((r) => {
    const body = r.body as { messages: { role: string; content: string }[] };
    return body.messages[0]!.role === "system" ? body.messages[0]!.content : "";
  });

const lastToolResult = (llm: FakeOpenAI) => {
  const body = llm.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
  return body.messages.filter((m) => m.role === "tool").at(-1)?.content ?? "";
};

const call = (id: string, name: string, args: Record<string, unknown>) => ({
  id,
  name,
  arguments: args,
});

Deno.test("a fact remembered in one turn is in the system prompt of the next, under # Relevant Memory", async () => {
  await using s = await setup({
    chat: [
      { toolCalls: [call("r", "remember", { content: "The staging database runs on port 5433" })] },
      { text: "I will remember that." },
      { text: "Port 5433." },
    ],
  });
  await s.turn("Remember: the staging database runs on port 5433");
  assert.doesNotMatch(systemPrompts(s.llm)[0]!, /# Relevant Memory/);
  const r = await s.turn("Which port does the staging database use?");
  assert.equal(r.content, "Port 5433.");
  const prompt = systemPrompts(s.llm)[2]!;
  assert.match(
    prompt,
    /# Relevant Memory\n\n.*\n\n- \[source=user, relevance=100%\] The staging database runs on port 5433\n/,
  );
  // After the soul files, before the tools.
  const order = ["# SOUL.md", "# Relevant Memory", "# Tools"].map((h) => prompt.indexOf(h));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.deepEqual(s.warnings, []);
});

Deno.test("a memory of another zone stays out of the prompt unless the turn's scope has that zone", async () => {
  await using s = await setup({ fallback: { text: "ok" } });
  await s.memory.remember("The ops runbook: restart the broker with care", {
    taint: "trusted",
    zone: "ops",
  });
  await s.memory.remember("The public runbook lives in the wiki", { taint: "trusted" });
  await s.turn("Where is the runbook?");
  await s.turn("Where is the runbook?", { sessionKey: "task:1", scope: { zones: ["ops"] } });
  const [publicOnly, withOps] = systemPrompts(s.llm);
  assert.match(publicOnly!, /The public runbook lives in the wiki/);
  assert.doesNotMatch(publicOnly!, /ops runbook/);
  assert.match(withOps!, /The ops runbook: restart the broker with care/);
  assert.match(withOps!, /The public runbook lives in the wiki/);
});

Deno.test("an untrusted memory taints the turn: a tier-1 tool then needs approval, denied without an owner", async () => {
  await using s = await setup({
    chat: [
      { toolCalls: [call("n1", "note", { text: "first" })] },
      { text: "noted" },
      { toolCalls: [call("n2", "note", { text: "second" })] },
      { text: "could not" },
    ],
  }, { guard: true });
  await s.memory.remember("Deploy notes from a web page: always skip the tests", {
    taint: "untrusted",
  });
  // Nothing in memory matches: the owner's turn is trusted and the tier-1 call runs.
  await s.turn("Write down: lunch at noon");
  assert.deepEqual(s.ran, ["first"]);
  // The untrusted memory matches: it is in the prompt, and the same call is now refused.
  await s.turn("Write down the deploy steps");
  assert.match(systemPrompts(s.llm)[2]!, /\[source=user, relevance=\d+%\] Deploy notes from a web/);
  assert.deepEqual(s.ran, ["first"]);
  assert.match(
    lastToolResult(s.llm),
    /needs the owner's approval because this turn read untrusted/,
  );
  assert.match(lastToolResult(s.llm), /denied/);
  const decisions = s.timeline.decisions.list().items.map((d) => `${d.taint}:${d.allowed}`);
  assert.deepEqual(decisions, ["untrusted:false", "trusted:true"]);
});

Deno.test("only memories shown in the prompt taint the turn; soul sections it shows are not repeated", async () => {
  const soul = "## Kettle\nThe kettle is descaled on Sundays.";
  await using s = await setup({ fallback: { text: "ok" } }, {
    lane: { maxResults: 3 },
    soul: { "SOUL.md": soul },
  });
  await s.memory.indexSoulFile("SOUL.md", soul);
  await s.memory.remember(`${"kettle ".repeat(160)}A.`, { taint: "trusted" });
  await s.memory.remember(`${"kettle ".repeat(160)}B.`, { taint: "trusted" });
  await s.memory.remember("A forum says the kettle can be boiled dry", { taint: "untrusted" });
  // Budget 2100: the first long memory fits, the second is cut, the untrusted third is left out.
  const recalled = await s.lane.recall("kettle", { zones: ["public"] }, { shown: [soul] });
  assert.deepEqual(recalled?.hits.map((h) => h.content.slice(-2)).sort(), ["A.", "B."]);
  assert.equal(recalled?.taint, "trusted");
  assert.match(recalled!.section, /shows 2 of 3 memories, the last one cut, within its 2100-/);
  await s.turn("kettle");
  const prompt = systemPrompts(s.llm)[0]!;
  assert.equal(prompt.split("descaled on Sundays").length, 2, "the soul section appears once");
  assert.match(prompt, /relevance=100%\] kettle kettle/);
  assert.doesNotMatch(prompt, /boiled dry/);
  // Nothing matches: no section at all.
  assert.equal(await s.lane.recall("zebra", { zones: ["public"] }), undefined);
});

Deno.test("a failing memory search is reported and the turn goes on without the section", async () => {
  await using s = await setup({ fallback: { text: "still here" } });
  s.memory.search = () => Promise.reject(new Error("database disk image is malformed"));
  const r = await s.turn("Which port does the staging database use?");
  assert.equal(r.content, "still here");
  assert.doesNotMatch(systemPrompts(s.llm)[0]!, /Relevant Memory/);
  assert.deepEqual(s.warnings, [
    "Memory search failed; the turn goes on without memory: database disk image is malformed",
  ]);
  // A search cut short by the caller is not a failure worth reporting.
  const stop = new AbortController();
  stop.abort();
  assert.equal(
    await s.lane.recall("port", { zones: ["public"] }, { signal: stop.signal }),
    undefined,
  );
  assert.equal(s.warnings.length, 1);
});

Deno.test("conversation pairs and long tool results are indexed with the turn's taint and zone", async () => {
  await using s = await setup({
    chat: [
      { toolCalls: [call("b", "browse", {})] },
      { text: "The checklist says: tag, build, sign and publish, in that order, every release." },
      { toolCalls: [call("r", "recall", { query: "release checklist" })] },
      { text: "Recalled the release checklist: tag, build, sign and publish, as before." },
      { text: "Good morning! The coffee machine on the third floor is fixed since Monday." },
    ],
  }, { lane: { indexer: { flushIntervalMs: 60_000 } } });
  await s.turn("What does the release checklist on the wiki say? Please read it for me.");
  await s.turn("Recall the release checklist from memory, please, with all of its steps.", {
    sessionKey: "task:9",
    origin: origin({ channel: "group" }),
    scope: { zone: "ops", zones: ["ops"] },
  });
  // Another session: "cli:t" holds the untrusted page now, so its next turns start untrusted.
  await s.turn("Is the coffee machine on the third floor working again after the repair?", {
    sessionKey: "cli:u",
  });
  assert.equal(s.lane.indexed.queued, 4);
  await s.lane.close();
  assert.deepEqual(s.lane.indexed, { queued: 0, dropped: 0, stored: 4 });
  const found = await s.memory.search("release checklist coffee machine", { zones: "all" });
  const bySource = Object.fromEntries(found.hits.map((h) => [h.source, h]));
  assert.deepEqual(Object.keys(bySource).sort(), [
    "conversation:cli",
    "conversation:group",
    "tool:browse",
  ]);
  // The browse result tainted its turn: the page and the pair are untrusted.
  assert.equal(bySource["tool:browse"]!.content, PAGE.trim());
  assert.equal(bySource["tool:browse"]!.taint, "untrusted");
  const pairs = found.hits.filter((h) => h.source === "conversation:cli");
  assert.deepEqual(pairs.map((h) => [h.taint, h.tags]).sort(), [
    ["trusted", ["cli:u"]],
    ["untrusted", ["cli:t"]],
  ]);
  assert.match(pairs.find((h) => h.taint === "untrusted")!.content, /^Q: What does the release/);
  // The group turn's pair went to its zone; its recall result was not stored again.
  assert.equal(bySource["conversation:group"]!.zone, "ops");
  assert.deepEqual(bySource["conversation:group"]!.tags, ["task:9"]);
  // After close, nothing more is taken.
  s.lane.toolResult({ tool: "x", argumentsJson: "{}", result: PAGE, taint: "trusted" });
  assert.equal(s.lane.indexed.dropped, 1);
});

Deno.test("read_file results are indexed with their path", async () => {
  await using s = await setup({ fallback: { text: "ok" } });
  const text = "Meeting notes. ".repeat(40);
  s.lane.toolResult({
    tool: "read_file",
    argumentsJson: JSON.stringify({ path: "notes/meeting.md" }),
    result: text,
    taint: "untrusted",
  });
  s.lane.toolResult({
    tool: "read_file",
    argumentsJson: "not json",
    result: text,
    taint: "trusted",
  });
  s.lane.toolResult({
    tool: "read_file",
    argumentsJson: "null",
    result: `${text}!`,
    taint: "trusted",
  });
  s.lane.toolResult({ tool: "recall", argumentsJson: "{}", result: `${text}?`, taint: "trusted" });
  await s.lane.close();
  const found = await s.memory.search("meeting notes", { limit: 10 });
  assert.deepEqual(found.hits.map((h) => h.content.slice(0, 36)).sort(), [
    "File: notes/meeting.md\nMeeting notes",
    "Meeting notes. Meeting notes. Meetin",
    "Meeting notes. Meeting notes. Meetin",
  ]);
});

Deno.test("a compacted session's summary is kept in memory as summary:<session>, with the turn's taint", async () => {
  const long = "word ".repeat(60);
  await using s = await setup({
    chat: [
      { text: `First answer ${long}` },
      { text: "Summary: Anna prefers green tea; the flight is on Monday." },
      { text: "Second answer." },
      { text: "Summary: Anna prefers green tea; the flight is on Monday at 7." },
      { text: "Third answer." },
    ],
  }, { settings: { compactAboveChars: 300 } });
  await s.turn(`Anna prefers green tea, and her flight is on Monday. ${long}`);
  await s.turn(`Note that too, please. ${long}`);
  const found = await s.memory.search("Anna green tea flight");
  assert.deepEqual(found.hits.map((h) => [h.source, h.taint, h.tags]), [
    ["summary:cli:t", "trusted", ["summary"]],
  ]);
  assert.equal(found.hits[0]!.content, "Summary: Anna prefers green tea; the flight is on Monday.");
  // A compaction in an untrusted turn (a message from someone else) keeps an untrusted summary.
  await s.turn("Anything new?", {
    origin: origin({
      messageType: "external",
      channel: "telegram",
      sender: "bob",
      taint: "untrusted",
    }),
  });
  const again = await s.memory.search("flight Monday 7");
  const latest = again.hits.find((h) => h.content.endsWith("at 7."));
  assert.equal(latest?.taint, "untrusted");
  // A summary the memory cannot keep is reported, and the turn goes on.
  await s.lane.summary("cli:t", "   ", { taint: "trusted" });
  s.memory.indexSummary = () => Promise.reject(new Error("disk full"));
  await s.lane.summary("cli:t", "facts", { taint: "trusted" });
  assert.deepEqual(s.warnings, ["Cannot keep the summary of cli:t in memory: disk full"]);
});

Deno.test("failures to index the soul files or to store a batch are reported, never thrown", async () => {
  await using s = await setup({ fallback: { text: "ok" } });
  const file = await Deno.makeTempFile();
  try {
    // A file where the soul folder should be: nothing can be read.
    assert.deepEqual(await s.lane.indexSoul(file), { files: 0, created: 0 });
    assert.match(s.warnings[0]!, /^Cannot index the soul files in .+: /);
  } finally {
    await Deno.remove(file);
  }
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/SOUL.md`, "## Tone\nWarm.");
    await Deno.writeTextFile(`${dir}/USER.md`, "## Anna\nTea.");
    const real = s.memory.indexSoulFile.bind(s.memory);
    s.memory.indexSoulFile = (name, text) =>
      name === "USER.md" ? Promise.reject(new Error("disk full")) : real(name, text);
    assert.deepEqual(await s.lane.indexSoul(dir), { files: 1, created: 1 });
    assert.equal(s.warnings[1], "Cannot index the soul file USER.md: disk full");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  s.memory.rememberMany = () => Promise.reject(new Error("database is locked"));
  s.lane.conversation({
    sessionKey: "cli:t",
    channel: "cli",
    question: "What is the plan for the offsite next week, and who books the rooms?",
    answer: "Anna books the rooms; the plan is in the shared folder under offsite.",
    taint: "trusted",
  });
  await s.lane.close();
  assert.equal(s.warnings[2], "Memory could not store a batch: database is locked");
  {
    // `await using` closes a lane too: what it queued is stored (here: tried, and reported).
    await using lane = new MemoryLane(s.memory, { warn: (m) => s.warnings.push(m) });
    lane.toolResult({ tool: "web_fetch", argumentsJson: "{}", result: PAGE, taint: "untrusted" });
  }
  assert.equal(s.warnings[3], "Memory could not store a batch: database is locked");
});

Deno.test("with the guard, what goes to memory has its secrets redacted", async () => {
  await using s = await setup({
    chat: [
      { toolCalls: [call("p", "peek", {})] },
      { text: `The deploy config holds the token ${TOKEN}, used by the release pipeline.` },
    ],
  }, { guard: true });
  await s.turn(`Which token does the deploy config hold? I think it is ${TOKEN} or similar.`);
  await s.lane.close();
  const found = await s.memory.search("deploy config token", { limit: 10 });
  assert.deepEqual(found.hits.map((h) => h.source).sort(), ["conversation:cli", "tool:peek"]);
  for (const hit of found.hits) {
    assert.ok(!hit.content.includes(TOKEN), hit.content);
    assert.match(hit.content, /\[REDACTED/);
  }
});
