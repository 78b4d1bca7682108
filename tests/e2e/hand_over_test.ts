/**
 * As root, `kafclaw agent` hands the workspace to the sandbox's uid only with a yes: without a
 * terminal to ask at, a workspace holding files keeps its owners and the agent says why commands
 * cannot run and how to allow it.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclaw, LAUNCHER_NAME, tempHome } from "../_support/cli.ts";
import { inPty, plain } from "../_support/pty.ts";

const launcher = new URL("../../scripts/kafclaw", import.meta.url).pathname;

const asRoot = { ignore: Deno.uid() !== 0 };

async function agentWithNotes(more: Record<string, string> = {}) {
  const home = await tempHome();
  await Deno.mkdir(`${home.path}/workspace`);
  await Deno.writeTextFile(`${home.path}/workspace/notes.txt`, "mine\n");
  await using llm = await startFakeOpenAI({ fallback: { text: "ok" } });
  const r = await kafclaw(["agent", "-m", "hello"], {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
    KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    ...more,
  });
  const owner = (await Deno.stat(`${home.path}/workspace/notes.txt`)).uid;
  return { ...r, home, owner };
}

Deno.test(
  "as root without a terminal, a workspace with files is not handed over, and the agent says how to allow it",
  asRoot,
  async () => {
    const r = await agentWithNotes();
    await using _home = r.home;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "ok\n");
    assert.equal(r.owner, 0, "the file keeps its owner");
    const workspace = await Deno.realPath(`${r.home.path}/workspace`);
    assert.deepEqual(r.stderr.trimEnd().split("\n"), [
      `kafclaw: Commands cannot run in the sandbox: the sandbox runs as uid 65534 and the ` +
      `workspace ${workspace} is not its own; handing it over changes the owner of its files: ` +
      `allow it by answering yes in \`${LAUNCHER_NAME} agent\` at a terminal, or with ` +
      `\`${LAUNCHER_NAME} config set tools.sandbox.handOver yes\``,
    ]);
  },
);

Deno.test(
  "as root with tools.sandbox.handOver yes, the workspace is handed over without a word",
  asRoot,
  async () => {
    const r = await agentWithNotes({ KAFCLAW_TOOLS_SANDBOX_HAND_OVER: "yes" });
    await using _home = r.home;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(r.owner, 65534);
  },
);

Deno.test(
  "as root at a terminal, kafclaw agent asks once for the workspace and keeps the answer",
  asRoot,
  async () => {
    await using home = await tempHome();
    await Deno.mkdir(`${home.path}/workspace`);
    await Deno.writeTextFile(`${home.path}/workspace/notes.txt`, "mine\n");
    await using llm = await startFakeOpenAI({ fallback: { text: "ok" } });
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      KAFCLAW_HOME: home.path,
      OPENAI_BASE_URL: llm.url,
      KAFCLAW_MODEL: "openai/gpt-test",
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    };
    const first = await inPty([launcher, "agent", "-m", "hello"], [
      ["Run commands in the sandbox as uid 65534\\? .*\\[y/N\\] ", "y\r"],
      ["ok", ""],
    ], env);
    assert.equal(first.failed, null, plain(first.output));
    assert.equal((await Deno.stat(`${home.path}/workspace/notes.txt`)).uid, 65534);
    const second = await inPty([launcher, "agent", "-m", "hello"], [["ok", ""]], env);
    assert.equal(second.failed, null, plain(second.output));
    assert.doesNotMatch(plain(second.output), /Run commands in the sandbox/, "asked once");
  },
);
