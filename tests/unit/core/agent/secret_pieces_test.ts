/**
 * A configured secret in a workspace file never reaches the model, whatever a command makes of
 * it: every 8 characters of it, reversed, in hex, in base64 or spaced out are masked in what the
 * real runtime sends; and edit_file, whose answers would confirm guesses at it, taints the turn.
 */
import assert from "node:assert/strict";
import { createAgentRuntime } from "../../../../core/agent/mod.ts";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

const KEY = "sk-proj-4f9Q2kLmN8pR7sT1vW3xY5zA";
const hexOf = (text: string) =>
  Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");

/** The first piece of the key, in any form a command makes of it, found in `text`. */
function piece(text: string): string | undefined {
  const packed = text.replace(/\s+/g, "");
  const forms: [string, number][] = [
    [KEY, 8],
    [[...KEY].reverse().join(""), 8],
    [hexOf(KEY), 16],
    [hexOf(KEY).toUpperCase(), 16],
    [btoa(KEY), 8],
    [btoa(`=${KEY}`).slice(2), 8],
  ];
  for (const [form, width] of forms) {
    for (let i = 0; i + width <= form.length; i++) {
      if (packed.includes(form.slice(i, i + width))) return form.slice(i, i + width);
    }
  }
  return undefined;
}

const exec = (id: string, command: string) => ({
  toolCalls: [{ id, name: "exec", arguments: { command } }],
});

Deno.test("no piece of a configured secret in a workspace file reaches the model", async () => {
  await using llm = await startFakeOpenAI({
    chat: [
      exec("a", "rev .env"),
      exec("b", "od -An -tx1 .env; xxd .env"),
      exec("c", "fold -w1 .env"),
      exec("d", "base64 .env; cut -c16-27 .env; sed 's/./& /g' .env"),
      { toolCalls: [{ id: "e", name: "read_file", arguments: { path: ".env" } }] },
      { text: "done" },
    ],
  });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-pieces-" });
  try {
    const config = resolveConfig({
      home,
      env: {
        KAFCLAW_MODEL: "openai/gpt-test",
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: KEY,
        KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
        // Every command runs: the owner lets exec run and trusts the workspace's files.
        KAFCLAW_POLICY_MAX_AUTO_TIER: "2",
        KAFCLAW_POLICY_WORKSPACE_FILES_UNTRUSTED: "false",
      },
    });
    await using runtime = await createAgentRuntime(config, {});
    await Deno.writeTextFile(`${runtime.sandbox.workspace}/.env`, `OPENAI_API_KEY=${KEY}\n`);
    const result = await runtime.door.enter({ source: { kind: "terminal" }, text: "look" });
    assert.equal(result.content, "done");
    const requests = llm.chatRequests();
    assert.equal(requests.length, 6);
    for (const request of requests) {
      const body = request.body as { messages: { content: string | null }[] };
      const sent = body.messages.map((m) => m.content ?? "").join("\n");
      assert.equal(piece(sent), undefined, sent.slice(-2000));
    }
    const last = (requests.at(-1)!.body as { messages: { role: string; content: string }[] })
      .messages.filter((m) => m.role === "tool");
    assert.equal(last.length, 5);
    for (const result of last) {
      assert.doesNotMatch(result.content, /^Error: Policy/, "each command ran");
      assert.match(result.content, /\[REDACTED:configured_secret\]/);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("edit_file on a file holding a secret taints the turn: its answer confirms guesses", async () => {
  const guess = {
    toolCalls: [{
      id: "g",
      name: "edit_file",
      arguments: { path: ".env", old_text: "=sk-proj-4f9Q", new_text: "=sk-proj-4f9Q" },
    }],
  };
  const write = {
    toolCalls: [{ id: "w", name: "write_file", arguments: { path: "out.txt", content: "x" } }],
  };
  await using llm = await startFakeOpenAI({ chat: [guess, write, { text: "done" }] });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-guess-" });
  try {
    const config = resolveConfig({
      home,
      env: {
        KAFCLAW_MODEL: "openai/gpt-test",
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: KEY,
        KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      },
    });
    await using runtime = await createAgentRuntime(config, {});
    await Deno.writeTextFile(`${runtime.sandbox.workspace}/.env`, `OPENAI_API_KEY=${KEY}\n`);
    await runtime.door.enter({ source: { kind: "terminal" }, text: "guess" });
    const reasons = runtime.timeline.decisions.list().items.map((d) => `${d.tool}:${d.reason}`);
    assert.deepEqual(reasons.reverse(), [
      "edit_file:internal_within_auto_tier",
      "write_file:tainted_needs_approval",
    ]);
    await assert.rejects(Deno.stat(`${runtime.sandbox.workspace}/out.txt`));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
