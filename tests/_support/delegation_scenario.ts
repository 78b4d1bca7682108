/**
 * One delegation scenario that must hold on every transport: a gateway runs two agents of
 * `agents.list` (the lead `asker` and `helper`, each with its own model on one fake LLM), sharing
 * the given transport as a group. The owner asks asker; asker's LLM lists the group's members
 * (group_members) and delegates to helper (delegate_task); helper's LLM answers. The unit tier runs
 * it over the in-process transport in fault mode, the integration tier over the real broker.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createAgentRuntime } from "../../core/agent/mod.ts";
import { Swarm } from "../../core/gateway/mod.ts";
import {
  memberTopicOptions,
  memberTopicSpecs,
  spanTree,
  type SpanTreeNode,
  traceOfTask,
} from "../../core/group/mod.ts";
import { parseRecord, topicsFor } from "../../core/protocol/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { followTopic } from "./topic_records.ts";
import { waitFor } from "./wait.ts";

const AGENTS = [
  { id: "asker", default: true, model: "openai/gpt-asker" },
  { id: "helper", name: "Helper", model: "openai/gpt-helper", policy: { maxAutoTier: 0 } },
];

/**
 * Asker's LLM: the members, then a delegate_task call to helper (its owner approves it: the
 * members' list taints the turn), then its answer.
 */
const ASKER_TURNS = [
  { toolCalls: [{ name: "group_members", arguments: {} }] },
  {
    toolCalls: [{
      name: "delegate_task",
      arguments: { task: "What is the capital of Peru?", agent: "helper", wait_seconds: 60 },
    }],
  },
  { text: "helper says Lima" },
];

/** The tree as lines `agent: title`, indented by depth. */
export function shape(nodes: readonly SpanTreeNode[], depth = 0): string[] {
  return nodes.flatMap((n) => [
    `${"  ".repeat(depth)}${n.span.agentId}: ${n.span.title}`,
    ...shape(n.children, depth + 1),
  ]);
}

/**
 * Runs the scenario in group `group` on `transport`; `env` adds what the transport needs (a
 * Kafka group's brokers, say). The transport stays open.
 */
export async function delegationScenario(
  transport: Transport,
  group: string,
  env: Record<string, string> = {},
): Promise<void> {
  await using llm = await startFakeOpenAI({
    models: { "gpt-asker": ASKER_TURNS, "gpt-helper": [{ text: "Lima" }] },
    fallback: { text: "no turn was scripted for this" },
  });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-swarm-" });
  const config = await resolvePrepared({
    home,
    env: {
      KAFCLAW_HOME: home,
      KAFCLAW_AGENTS_LIST: JSON.stringify(AGENTS),
      KAFCLAW_GROUP_NAME: group,
      KAFCLAW_GROUP_PARTITIONS: "3",
      KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "3000",
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "sk-test",
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      ...env,
    },
  });
  await transport.createTopics(memberTopicSpecs(group, memberTopicOptions(config)));
  const statuses: { sender: string; taskId: string; worker: string; said: string }[] = [];
  const reading = await followTopic(transport, topicsFor(group).tasksStatus, (record) => {
    const parsed = parseRecord(record);
    if (!parsed.ok || parsed.envelope.type !== "task_status") return;
    const { sender_id, payload } = parsed.envelope;
    statuses.push({
      sender: sender_id,
      taskId: payload.task_id,
      worker: payload.worker_id,
      said: `${sender_id}:${payload.status}@${payload.attempt}`,
    });
  });
  /** What was said of the task, as `<sender>:<status>@<attempt>`, each once. */
  const said = () => [...new Set(statuses.map((s) => s.said))];
  let swarm: Swarm | undefined;
  try {
    // What group_members returns taints asker's turn: its owner approves the delegation.
    const askOwner = () => Promise.resolve(true);
    swarm = await Swarm.start(config, {
      transport,
      createRuntime: (c) => createAgentRuntime(c, { askOwner }),
    });
    const [asker, helper] = swarm.gateways;
    assert.deepEqual([asker!.agentId, helper!.agentId], ["asker", "helper"]);
    await waitFor(() => asker!.membership.live().length === 2, "asker to see helper live", {
      state: () => asker!.membership.members(),
    });
    const result = await asker!.runtime.door.enter({
      source: { kind: "terminal" },
      text: "Ask helper for the capital of Peru",
    });
    // The answer: asker's, from helper's.
    assert.equal(result.kind, "turn", result.content);
    assert.equal(result.content, "helper says Lima");
    const asked = llm.chatRequests().map((r) => r.body as { model: string; messages: unknown });
    assert.deepEqual(asked.map((b) => b.model).sort(), [
      "gpt-asker",
      "gpt-asker",
      "gpt-asker",
      "gpt-helper",
    ]);
    // group_members showed helper to asker.
    const afterMembers = JSON.stringify(asked.filter((b) => b.model === "gpt-asker")[1]!.messages);
    assert.match(afterMembers, /- helper: skills \(none\); running 0 of \d+/);
    // Helper's turn saw the task, in its own name.
    const helperAsked = JSON.stringify(asked.find((b) => b.model === "gpt-helper")!.messages);
    assert.match(helperAsked, /What is the capital of Peru\?/);
    assert.match(helperAsked, /Helper/);

    // The claim and the grant: helper claimed attempt 1, asker assigned it, nobody was revoked.
    const taskIds = () => [...new Set(statuses.map((s) => s.taskId))];
    await waitFor(
      () => taskIds().length === 1 && said().includes("helper:completed@1"),
      "helper's completed status",
      { state: said },
    );
    const taskId = taskIds()[0]!;
    for (const line of ["helper:claimed@1", "asker:assigned@1", "helper:completed@1"]) {
      assert.ok(said().includes(line), `${line} in ${said().join(", ")}`);
    }
    assert.ok(!said().some((s) => /revoked|declined|rejected|failed/.test(s)), said().join(", "));
    assert.ok(statuses.every((s) => s.worker === "helper"));

    // The spans: one tree from both agents, stored by asker.
    const store = asker!.runtime.timeline.groupTraces;
    const tree = () => {
      const traceId = traceOfTask(taskId, store.ofTask(taskId));
      return traceId === undefined ? [] : shape(spanTree(traceId, store.trace(traceId)).roots);
    };
    const wanted = [
      `asker: submit to group.${group}.agent.helper.inbox`,
      "  asker: assigned attempt 1 to helper",
      "  helper: attempt 1 at helper",
      "    helper: claimed",
      "    helper: turn",
      "      helper: llm openai/gpt-helper",
      "    helper: response completed",
    ];
    await waitFor(() => wanted.every((line) => tree().includes(line)), "the whole tree at asker", {
      state: tree,
    });
    assert.equal(tree()[0], wanted[0], tree().join("\n"));

    // The timelines: each agent keeps its own, in its own home.
    assert.equal(helper!.runtime.timeline !== asker!.runtime.timeline, true);
    const session = `task:${taskId}`;
    const helperTask = helper!.runtime.timeline.events.list({ sessionKey: session }).items;
    assert.ok(helperTask.some((e) => e.kind === "INBOUND"), "helper's timeline has the task");
    assert.ok(helperTask.some((e) => e.kind === "LLM"), "helper's timeline has its LLM call");
    assert.deepEqual(asker!.runtime.timeline.events.list({ sessionKey: session }).items, []);
    const askerTools = asker!.runtime.timeline.events.list({ kind: "TOOL" }).items
      .map((e) => String(e.metadata.tool ?? e.contentText));
    assert.ok(askerTools.some((t) => t.includes("delegate_task")), askerTools.join(", "));
    assert.ok(askerTools.some((t) => t.includes("group_members")), askerTools.join(", "));
    assert.deepEqual(
      swarm.members().map((m) => [m.agentId, m.lead, m.home, m.model]),
      [
        ["asker", true, home, "openai/gpt-asker"],
        ["helper", false, join(home, "agents", "helper"), "openai/gpt-helper"],
      ],
    );
  } finally {
    await swarm?.stop();
    await reading.close();
    await Deno.remove(home, { recursive: true });
  }
}
