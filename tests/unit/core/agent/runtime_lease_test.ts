/**
 * The runtime's session gate as a user meets it: a turn whose hold on its session was taken over
 * by another kafclaw process says so on the runtime's warnings, and still gives its answer.
 */
import assert from "node:assert/strict";
import { createAgentRuntime } from "../../../../core/agent/mod.ts";
import { paths, resolveConfig } from "../../../../core/config/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("a turn that lost its session to another process says so, and still answers", async () => {
  let asked = false;
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  await using llm = await startFakeOpenAI({
    chat: [async () => {
      asked = true;
      await released;
      return { text: "Done." };
    }],
  });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-lease-" });
  try {
    const config = resolveConfig({
      home,
      env: {
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: "sk-test",
        KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      },
    });
    const warnings: string[] = [];
    await using runtime = await createAgentRuntime(config, { warn: (m) => warnings.push(m) });
    const turn = runtime.door.enter({ source: { kind: "terminal" }, text: "take your time" });
    await waitFor(() => asked, "the turn's chat request");
    // Another process takes the session, as it does when this one's lease ran out (a stall).
    using other = Timeline.open(paths(config).timeline);
    const holder = other.sessionLeases.holder("cli:default");
    assert.ok(holder, "the turn holds its session");
    const until = new Date(Date.now() + 60_000);
    assert.ok(
      other.sessionLeases.take("cli:default", { owner: "another", until, replacing: holder.owner }),
    );
    // The turn renews its 30 s lease every 10 s: the next renewal finds it gone.
    const lost = "session cli:default: this turn outlasted its lease; another may start";
    await waitFor(() => warnings.includes(lost), "the warning", { state: () => warnings });
    release();
    assert.equal((await turn).content, "Done.");
  } finally {
    release();
    await Deno.remove(home, { recursive: true });
  }
});
