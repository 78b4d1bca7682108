/**
 * The agent's group tools in `kafclaw gateway` processes on the real broker, each called by the
 * (fake) LLM in the turn of a task: `group_members` lists the roster the agent sees, the other
 * live agents with their skills and load; an item `share_memory` publishes from ben's process is
 * recalled, with its content, by cy's process through `recall`.
 */
import assert from "node:assert/strict";
import { agentInbox } from "../../../../core/protocol/mod.ts";
import type { FakeOpenAI } from "../../../fakes/openai_server.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  signedGroup,
  tails,
  untilLive,
  vouchAndStart,
} from "../../../_support/gateway_group.ts";
import { kafclaw } from "../../../_support/cli.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const NOTE = "The staging database listens on port 5433, not 5432";
const call = (name: string, args: Record<string, unknown>) => ({
  toolCalls: [{ id: name, name, arguments: args }],
});

/** What the tool said to the LLM in the request after its call: the last message's content. */
function toolSaid(llm: FakeOpenAI, tool: string): string {
  for (const request of llm.chatRequests()) {
    const messages = (request.body as { messages: { role: string; content?: string }[] })
      .messages;
    const last = messages.at(-1);
    const asked = messages.some((m) => JSON.stringify(m).includes(`"name":"${tool}"`));
    if (asked && last?.role === "tool") return last.content ?? "";
  }
  return "";
}

Deno.test(
  "group_members lists the roster a gateway sees, and an item share_memory publishes from one gateway is recalled with its content by another",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("gwtools", stack);
    const ben = stack.use(
      await gateway(group, "ben", pinned, [
        call("share_memory", { title: "Staging port", content: NOTE, tags: ["db"] }),
        { text: "shared" },
      ]),
    );
    const cy = stack.use(
      await gateway(group, "cy", { ...pinned, KAFCLAW_GROUP_SKILLS: "sql" }, [
        call("group_members", {}),
        { text: "listed" },
        call("recall", { query: "staging database port" }),
        { text: "recalled" },
      ]),
    );
    await vouchAndStart(boss.env, [ben, cy]);
    const { gateway: requester } = stack.use(await requesterGateway(group, boss.env, pinned));
    await untilLive(requester, 3);
    const ask = async (to: string, content: string) => {
      const taskId = crypto.randomUUID();
      await requester.tasks.requester.send({
        type: "request",
        payload: taskPayload("req", { task_id: taskId, content, target_id: to }),
        taint: "trusted",
      }, { topic: agentInbox(group, to) });
      return await answerWithin(requester, taskId, 60_000).catch((error) => {
        throw new Error(`${error.message}; ${JSON.stringify(tails([ben, cy]))}`);
      });
    };

    // Cy's roster, as its gateway sees it: everyone alive but cy itself.
    assert.equal((await ask("cy", "Who is in the group?")).content, "listed");
    const members = toolSaid(cy.llm, "group_members").split("\n").sort();
    assert.deepEqual(members, [
      "- ben: skills (none); running 0 of 4",
      "- req: skills (none); running 0 of 4",
    ]);

    assert.equal((await ask("ben", "Tell the group the staging port")).content, "shared");
    assert.match(toolSaid(ben.llm, "share_memory"), /shared/i);
    // Cy indexes what ben shared as it comes (its store, as `memory search` in its home reads
    // it); the turn's recall then finds it, content and author.
    let found = "";
    await waitFor(
      async () => {
        const out = await kafclaw(["memory", "search", "staging", "database", "port"], cy.env);
        found = out.stdout + out.stderr;
        return out.code === 0 && found.includes(NOTE);
      },
      "cy to index ben's note",
      { timeoutMs: 60_000, intervalMs: 500, state: () => found },
    );
    assert.equal((await ask("cy", "What is the staging port?")).content, "recalled");
    const recalled = toolSaid(cy.llm, "recall");
    assert.ok(recalled.includes(NOTE), recalled);
    assert.match(recalled, /ben/);
    for (const worker of [ben, cy]) {
      assert.equal(await worker.child!.stop("SIGTERM"), 0, worker.child!.stderr);
    }
  },
);
