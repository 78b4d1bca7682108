/**
 * How the agent runtime starts: the sandbox opens while the timeline opens and the soul files are
 * indexed, and a sandbox that cannot open leaves nothing behind.
 */
import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { createAgentRuntime } from "../../../../core/agent/runtime.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { FakeSandbox } from "../tools/_fake_sandbox.ts";
import { waitFor } from "../../../_support/wait.ts";

async function home(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-runtime-start-" });
  await Deno.mkdir(`${path}/soul`);
  await Deno.writeTextFile(`${path}/soul/SOUL.md`, "# Soul\n## Tone\nWarm and brief.\n");
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

const config = (path: string, url: string) =>
  resolveConfig({
    home: path,
    env: {
      KAFCLAW_MODEL: "openai/gpt-test",
      OPENAI_BASE_URL: url,
      OPENAI_API_KEY: "sk-test",
      KAFCLAW_MEMORY_EMBEDDING_DIMENSION: "8",
    },
  });

Deno.test("the sandbox opens while the soul files are indexed, not after", async () => {
  await using llm = await startFakeOpenAI();
  await using h = await home();
  const sandbox = new FakeSandbox();
  const embedded = () => llm.requests.some((r) => r.path === "/v1/embeddings");
  await using runtime = await createAgentRuntime(config(h.path, llm.url), {
    async openSandbox() {
      // Opening waits for the soul's embedding request: done one after the other, it never comes.
      await waitFor(embedded, "the soul files to be indexed while the sandbox opens", {
        timeoutMs: 10_000,
      });
      return sandbox;
    },
  });
  assert.equal(runtime.sandbox, sandbox);
  const found = await runtime.memory.search("tone warm");
  assert.ok(found.hits.some((hit) => hit.source === "soul:SOUL.md"));
});

Deno.test("a sandbox that cannot open fails the start and leaves no state folder behind", async () => {
  await using llm = await startFakeOpenAI();
  await using h = await home();
  await assert.rejects(
    createAgentRuntime(config(h.path, llm.url), {
      openSandbox: () => Promise.reject(new Error("no sandbox today")),
    }),
    /no sandbox today/,
  );
  assert.deepEqual([...Deno.readDirSync(`${h.path}/run`)], []);
});

Deno.test("a timeline that cannot open fails the start and closes the sandbox that opened", async () => {
  await using llm = await startFakeOpenAI();
  await using h = await home();
  await Deno.mkdir(`${h.path}/timeline.db`);
  const sandbox = new FakeSandbox();
  await assert.rejects(
    createAgentRuntime(config(h.path, llm.url), { openSandbox: () => Promise.resolve(sandbox) }),
  );
  assert.equal(sandbox.closed, true);
  assert.deepEqual([...Deno.readDirSync(`${h.path}/run`)], []);
});
