/**
 * `/metrics` in Prometheus' text format from a standalone gateway: turns, tool calls, LLM latency
 * and tokens, tasks by status and approvals pending, counted from what the agent did; no consumer
 * lag without Kafka; the token is needed as for everything else.
 */
import assert from "node:assert/strict";
import { apiOf } from "../../../_support/api.ts";
import { waitFor } from "../../../_support/wait.ts";
import { exposition } from "../../../../web/api/mod.ts";

/** The samples of an exposition, by name with labels. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

Deno.test("metrics count what the agent did, and what waits for the owner", async () => {
  await using api = await apiOf({ KAFCLAW_POLICY_MAX_AUTO_TIER: "0" }, {
    chat: [
      { toolCalls: [{ id: "r1", name: "read_file", arguments: { path: "nothing.txt" } }] },
      { text: "No such file." },
      { toolCalls: [{ id: "w1", name: "write_file", arguments: { path: "a.txt", content: "a" } }] },
    ],
    answer: { text: "Done." },
  });
  const before = samples(await (await api.call("/metrics")).text());
  assert.equal(before.get("kafclaw_turns_total"), 0);
  await api.json("/api/v1/chat", { body: { message: "read it" } });
  const writing = api.json("/api/v1/chat", { body: { message: "write it" } });
  let text = "";
  await waitFor(
    async () => {
      text = await (await api.call("/metrics")).text();
      return samples(text).get("kafclaw_approvals_pending") === 1;
    },
    "one approval pending in the metrics",
    { state: () => text },
  );
  const { items } = await api.json("/api/v1/approvals");
  await api.json(`/api/v1/approvals/${items[0].approval_id}/deny`, { method: "POST" });
  await writing;
  const response = await api.call("/metrics");
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  text = await response.text();
  const m = samples(text);
  assert.equal(m.get("kafclaw_turns_total"), 2);
  assert.equal(m.get("kafclaw_tool_calls_total"), 2);
  assert.equal(m.get("kafclaw_llm_latency_seconds_count"), 4);
  assert.ok(m.get('kafclaw_llm_latency_seconds{quantile="0.5"}')! >= 0);
  assert.ok(m.get('kafclaw_llm_tokens_total{kind="completion"}')! > 0);
  assert.equal(m.get("kafclaw_approvals_pending"), 0);
  assert.equal(m.get('kafclaw_tasks{status="failed"}'), 0);
  assert.match(text, /# TYPE kafclaw_llm_latency_seconds summary/);
  assert.doesNotMatch(text, /consumer_lag/, "no Kafka, no lag");
  const refused = await api.call("/metrics", { headers: { authorization: undefined } });
  assert.equal(refused.status, 401);
});

Deno.test("label values are escaped as the text format wants", () => {
  const text = exposition([{
    name: "x",
    help: "h",
    type: "gauge",
    samples: [["", { topic: 'a"b\\c\nd' }, 1]],
  }]);
  assert.equal(text, '# HELP x h\n# TYPE x gauge\nx{topic="a\\"b\\\\c\\nd"} 1\n');
});
