/**
 * The `share_memory` tool as an agent uses it: in the turn of a group task, the (fake) LLM calls
 * the tool; sharing is a side effect (tier 1), so it runs only under the task's grant and, the
 * task being another agent's untrusted work, once the owner approves. What is shared is recalled
 * by the other gateways with its author, untrusted; what the owner refuses is never published.
 */
import assert from "node:assert/strict";
import { topicsFor } from "../../../../core/protocol/mod.ts";
import { submit, threeGateways } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";

/** Ben's LLM: a share_memory call, then its answer once the tool said what came of it. */
const BEN_SHARES = [
  {
    toolCalls: [{
      name: "share_memory",
      arguments: {
        title: "Staging port",
        content: "The staging database listens on port 5433",
        tags: ["db"],
      },
    }],
  },
  { text: "told the group" },
];

Deno.test("a task's turn shares a note through share_memory once the owner approves; the others recall it as ben's, untrusted", async () => {
  const group = "gwsharetool";
  const asked: string[] = [];
  const { a, b, c, broker } = await threeGateways(group, {
    ben: {
      chat: BEN_SHARES,
      runtime: { askOwner: (approval) => (asked.push(approval.tool), Promise.resolve(true)) },
    },
  });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const answer = await submit(a.gateway, group, "Tell the group the staging port", "ben");
  assert.deepEqual([answer.status, answer.content], ["completed", "told the group"]);
  assert.deepEqual(asked, ["share_memory"]);
  const [shared] = broker.topics.get(topicsFor(group).memoryShared)?.log.flat() ?? [];
  assert.ok(shared, "one record on memory.shared");
  const envelope = JSON.parse(new TextDecoder().decode(shared.value as Uint8Array));
  assert.equal(envelope.sender_id, "ben");
  assert.equal(envelope.taint, "untrusted", "shared from another agent's untrusted task");
  await waitFor(() => c.gateway.memory.shared.indexed === 1, "cy to index ben's note");
  const [hit] = (await c.gateway.runtime.memory.search("staging database port")).hits;
  assert.equal(hit?.source, "group:ben");
  assert.equal(hit?.taint, "untrusted");
  assert.ok(hit?.tags.includes("db"), String(hit?.tags));
});

Deno.test("a share_memory call the owner refuses publishes nothing; the turn goes on and answers", async () => {
  const group = "gwsharedeny";
  const { a, b, c, broker } = await threeGateways(group, {
    ben: { chat: BEN_SHARES, runtime: { askOwner: () => Promise.resolve(false) } },
  });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const answer = await submit(a.gateway, group, "Tell the group the staging port", "ben");
  assert.deepEqual([answer.status, answer.content], ["completed", "told the group"]);
  // What ben's LLM was told of its call: refused by the owner, so it did not run.
  const told = b.llm.chatRequests().at(-1)?.body as { messages: { content?: string }[] };
  assert.match(
    told.messages.at(-1)?.content ?? "",
    /^Error: Policy: share_memory \(tier 1\) needs the owner's approval .*\(denied by the owner\), so the call did not run$/,
  );
  assert.equal(broker.topics.get(topicsFor(group).memoryShared)?.log.flat().length ?? 0, 0);
  assert.equal(c.gateway.memory.shared.indexed, 0);
});
