import assert from "node:assert/strict";
import { buildSystemPrompt, readSoulFiles, truncate } from "../../../../core/agent/context.ts";

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
