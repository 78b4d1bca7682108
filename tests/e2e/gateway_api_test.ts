/**
 * The API of a `kafclaw gateway` process (standalone, under its own permission set, no terminal):
 * a streamed chat arrives over the socket in pieces, and a tool call the policy asks about waits
 * for the owner's approve through the API (not denied for want of an owner, and said on the
 * gateway's output), then runs; the
 * settings written through the API are in config.json.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclawCommand, tempHome } from "../_support/cli.ts";
import { sseEvents } from "../_support/api.ts";
import { gatewayEnv } from "../_support/gateway_env.ts";
import { waitFor } from "../_support/wait.ts";
import { readToken } from "../../web/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a gateway process streams a chat and waits for the owner's approval through its API",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      chat: [
        { text: "Hello over the wire", chunks: ["Hello ", "over ", "the ", "wire"] },
        {
          toolCalls: [{
            id: "w1",
            name: "write_file",
            arguments: { path: "p.txt", content: "yes\n" },
          }],
        },
      ],
      fallback: { text: "Written." },
    });
    const env = gatewayEnv(home.path, llm, { KAFCLAW_POLICY_MAX_AUTO_TIER: "0" });

    await using child = new Child(kafclawCommand(["gateway", "--json"], env));
    await child.until(/"event":"started"/);
    const { port } = jsonOf(child, { line: "first", what: "the gateway" });
    const token = await readToken(home.path);
    const call = (path: string, body?: unknown, method = body === undefined ? "GET" : "POST") =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    const stream = await call("/api/v1/chat/stream", { message: "hello" });
    const events = sseEvents(await stream.text());
    const deltas = events.filter((e) => e.event === "text").map((e) =>
      (e.data as { delta: string }).delta
    );
    assert.deepEqual(deltas, ["Hello ", "over ", "the ", "wire"]);
    assert.equal(events.at(-1)!.event, "done");

    const writing = call("/api/v1/chat", { message: "write p.txt", session: "w" });
    let pending: { approval_id: string; tool: string }[] = [];
    await waitFor(
      async () => {
        pending = (await (await call("/api/v1/approvals")).json()).items;
        return pending.length === 1;
      },
      "the write to wait for the owner",
      { state: () => ({ pending, err: child.stderr }) },
    );
    // With no terminal the gateway says the request on its output, with the commands that answer.
    const id = pending[0]!.approval_id;
    await child.until(new RegExp(`Approval needed \\[${id}\\]: write_file \\(tier 1\\)`), "stderr");
    assert.match(child.stderr, new RegExp(`approvals approve\\|deny ${id}`));
    const approved = await call(
      `/api/v1/approvals/${pending[0]!.approval_id}/approve`,
      undefined,
      "POST",
    );
    assert.equal((await approved.json()).status, "approved");
    const answer = await (await writing).json();
    assert.equal(answer.content, "Written.");
    assert.equal(await Deno.readTextFile(`${home.path}/workspace/p.txt`), "yes\n");

    const set = await call(
      "/api/v1/settings",
      { key: "agent.historyMessages", value: "30" },
      "PUT",
    );
    assert.equal(set.status, 200, await set.clone().text());
    await set.body?.cancel();
    const file = JSON.parse(await Deno.readTextFile(`${home.path}/config.json`));
    assert.equal(file.agent.historyMessages, 30);
    // The chats read their request's signal (a client that goes stops the turn): no warning of
    // Deno's own about it reaches the gateway's output.
    assert.doesNotMatch(child.stderr, /Deno\.serve|request\.signal/);
  },
);
