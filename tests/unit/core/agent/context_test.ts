import assert from "node:assert/strict";
import {
  buildSystemPrompt,
  formatDate,
  memoryBudget,
  memorySection,
  readSoulFiles,
  truncate,
} from "../../../../core/agent/context.ts";

const base = {
  now: new Date("2026-11-25T10:00:00Z"),
  agentName: "Claw",
  workspace: "/home/u/.kafclaw/workspace",
  soul: {},
  tools: [{ name: "read_file", description: "Read a file" }],
  messageType: "internal" as const,
  channel: "cli",
};

Deno.test("the system prompt has identity, dates, soul files in order, tools and request context", () => {
  const prompt = buildSystemPrompt({
    ...base,
    soul: { "MEMORY.md": "mem", "SOUL.md": "soul", "AGENTS.md": "agents", "IDENTITY.md": "id" },
  });
  assert.match(prompt, /^# Identity\n\nYou are Claw/);
  assert.match(prompt, /- today: Wednesday, 2026-11-25/);
  assert.match(prompt, /- tomorrow: Thursday, 2026-11-26/);
  assert.match(prompt, /- yesterday: Tuesday, 2026-11-24/);
  const order = [
    "# AGENTS.md",
    "# SOUL.md",
    "# IDENTITY.md",
    "# MEMORY.md",
    "# Tools",
    "# Request context",
  ]
    .map((h) => prompt.indexOf(h));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.ok(order.every((i) => i > 0));
  assert.match(prompt, /- read_file: Read a file/);
  assert.match(prompt, /comes from your owner/);
});

Deno.test("external requests are marked untrusted in the prompt", () => {
  const prompt = buildSystemPrompt({ ...base, messageType: "external", channel: "telegram" });
  assert.match(prompt, /someone other than your owner \(channel telegram\)/);
  assert.match(prompt, /untrusted/);
});

Deno.test("a section over its budget is cut and says that it was cut", () => {
  const prompt = buildSystemPrompt({
    ...base,
    soul: { "SOUL.md": "x".repeat(500) },
    summary: "s".repeat(50),
    budgets: { soulFile: 100, summary: 10 },
  });
  assert.match(prompt, /\[truncated: SOUL\.md shows 100 of 500 characters\]/);
  assert.match(
    prompt,
    /# Earlier in this conversation\n\nssssssssss\n\[truncated: the summary shows 10 of 50/,
  );
  assert.equal(truncate("short", 10, "x"), "short");
  const total = buildSystemPrompt({ ...base, budgets: { total: 50 } });
  assert.match(total, /\[truncated: the system prompt shows 50 of \d+ characters\]$/);
});

Deno.test("no tools, no soul files: those sections are left out", () => {
  const prompt = buildSystemPrompt({ ...base, tools: [], soul: { "USER.md": "   " } });
  assert.doesNotMatch(prompt, /# Tools/);
  assert.doesNotMatch(prompt, /# USER\.md/);
});

Deno.test("readSoulFiles reads what exists and skips what does not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/SOUL.md`, "be kind");
    assert.deepEqual(await readSoulFiles(dir), { "SOUL.md": "be kind" });
    assert.deepEqual(await readSoulFiles(`${dir}/none`), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the memory budget is 700 characters a result, from 1200 to 3600", () => {
  assert.deepEqual([1, 2, 3, 5, 6, 100].map(memoryBudget), [1200, 1400, 2100, 3500, 3600, 3600]);
});

Deno.test("relevant memory comes after the soul files, one item per memory, best first", () => {
  const section = memorySection([
    { source: "user", relevance: 1, text: "The staging database runs on port 5433" },
    { source: "soul:MEMORY.md", relevance: 0.494, text: "## Ports\nSee the wiki.\n" },
    { source: "tool:web_fetch", relevance: 1.7, text: "clamped" },
    { source: "conversation:cli", relevance: -1, text: "clamped too" },
  ], 1200);
  assert.equal(section.shown, 4);
  assert.equal(
    section.text,
    [
      "# Relevant Memory",
      "",
      "From your long-term memory, best match first; it may be out of date.",
      "",
      "- [source=user, relevance=100%] The staging database runs on port 5433",
      "- [source=soul:MEMORY.md, relevance=49%] ## Ports",
      "  See the wiki.",
      "- [source=tool:web_fetch, relevance=100%] clamped",
      "- [source=conversation:cli, relevance=0%] clamped too",
    ].join("\n"),
  );
  const prompt = buildSystemPrompt({
    ...base,
    soul: { "SOUL.md": "soul", "MEMORY.md": "mem" },
    memory: section.text,
  });
  const order = ["# MEMORY.md", "# Relevant Memory", "# Tools"].map((h) => prompt.indexOf(h));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.ok(order[0]! > 0);
  assert.doesNotMatch(buildSystemPrompt(base), /Relevant Memory/);
});

Deno.test("relevant memory over its budget is cut and says how much it shows", () => {
  const line = (n: number, length: number) => ({
    source: "user",
    relevance: 0.5,
    text: String(n).repeat(length),
  });
  const item = (n: number, length: number) =>
    `- [source=user, relevance=50%] ${String(n).repeat(length)}`;
  // Two items fit exactly (with the line break between them); the third does not, and is dropped.
  const exact = memorySection([line(1, 569), line(2, 569), line(3, 10)], 1201);
  assert.equal(exact.shown, 2);
  assert.ok(exact.text.includes(`${item(1, 569)}\n${item(2, 569)}\n[truncated: `));
  assert.match(
    exact.text,
    /\[truncated: relevant memory shows 2 of 3 memories within its 1201-character budget\]$/,
  );
  // The one that crosses the budget is cut when at least 80 characters of it fit.
  const cut = memorySection([line(1, 1000), line(2, 1000), line(3, 1000)], 1200);
  assert.equal(cut.shown, 2);
  const body = cut.text.slice(cut.text.indexOf("- ["), cut.text.indexOf("\n[truncated"));
  assert.equal(body.length, 1200);
  assert.match(
    cut.text,
    /shows 2 of 3 memories, the last one cut, within its 1200-character budget\]$/,
  );
  // One long memory alone is cut to the budget.
  const alone = memorySection([line(7, 5000)], 1200);
  assert.equal(alone.shown, 1);
  assert.match(alone.text, /shows 1 of 1 memories, the last one cut,/);
  assert.deepEqual(memorySection([], 1200), { text: "", shown: 0 });
});

Deno.test("dates in UTC read exactly as Intl writes them, without loading Intl", () => {
  const long = new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC",
    dateStyle: "full",
    timeStyle: "long",
  });
  const day = new Intl.DateTimeFormat("en-CA", {
    timeZone: "UTC",
    weekday: "long",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  // Every day of four years around a leap day, at hours that cross midnight, and the edges.
  const dates = Array.from(
    { length: 1461 },
    (_, i) => new Date(Date.UTC(2027, 0, 1) + i * 86_400_000 + (i % 24) * 3_600_123),
  );
  dates.push(new Date("1000-01-01T00:00:00Z"), new Date("9999-12-31T23:59:59Z"), new Date(0));
  for (const date of dates) {
    assert.equal(formatDate(date, "UTC", "long"), long.format(date), date.toISOString());
    assert.equal(formatDate(date, "UTC", "day"), day.format(date), date.toISOString());
  }
  const berlin = new Date("2026-11-25T23:30:00Z");
  assert.equal(formatDate(berlin, "Europe/Berlin", "day"), "Thursday, 2026-11-26");
});
