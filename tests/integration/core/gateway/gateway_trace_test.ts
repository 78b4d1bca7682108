/**
 * Traces and audit on the real broker, with three `kafclaw gateway` processes of a signed group
 * whose certificates are vouched: a task ann submits with `kafclaw task submit --to ben` is
 * delegated on by ben to cy (ben's fake LLM calls delegate_task), and `kafclaw task show --trace
 * --json` in ann's home prints one tree of spans from all three agents (and the same tree, read
 * from the traces topic, in a home that took no part, without a span of the task forged by a
 * non-member, which it counts as dropped; that home's `task submit --wait` then follows its own
 * task as a one-shot member); a heartbeat forged in
 * cy's name is dropped by the members and shows up on the group's audit topic.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { agentKey } from "../../../../core/group/mod.ts";
import { agentKey as agentKeyOf, signRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { type CliResult, jsonOf, kafclaw, tempHome } from "../../../_support/cli.ts";
import { envOf, gateway, rosterOf, tails, vouch } from "../../../_support/gateway_group.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

const { KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };
/** As long as a task here may go unanswered: a lost task fails the test in 90 s, not 10 min. */
const DEADLINE = "90s";

/** A failed command's stderr, and what the gateways said last. */
function failed(result: CliResult, gateways: Parameters<typeof tails>[0]): string {
  return `${result.stderr}\ngateways: ${JSON.stringify(tails(gateways), null, 1)}`;
}

interface TraceNode {
  agent_id: string;
  title: string;
  children: TraceNode[];
}

function lines(nodes: readonly TraceNode[], depth = 0): string[] {
  return nodes.flatMap((n) => [
    `${"  ".repeat(depth)}${n.agent_id}: ${n.title}`,
    ...lines(n.children, depth + 1),
  ]);
}

Deno.test(
  "a task delegated across three gateway processes gives one tree of spans; a forged record is on observe.audit",
  opts,
  async () => {
    const group = uniqueName("gwt").replaceAll("-", "");
    await using ann = await gateway(group, "ann");
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    const pinned = { KAFCLAW_GROUP_OWNER_PUBLIC_KEY: jsonOf(made).owner_public_key };
    Object.assign(ann.env, pinned);
    const delegate = {
      toolCalls: [{
        name: "delegate_task",
        arguments: { task: "What is the capital of Peru?", agent: "cy", wait_seconds: 60 },
      }],
    };
    await using ben = await gateway(group, "ben", pinned, [delegate, { text: "cy says Lima" }]);
    await using cy = await gateway(group, "cy", pinned, [{ text: "Lima" }]);
    for (const agent of [ann, ben, cy]) await vouch(ann.env, agent.home, agent.id);
    await Promise.all([ann.start(), ben.start(), cy.start()]);
    await waitFor(
      async () => (await rosterOf(ann.env)).filter((m) => m.endsWith(":active")).length === 3,
      "ann's gateway to see three live members",
      { timeoutMs: 60_000, state: () => tails([ann, ben, cy]) },
    );
    const submitted = await kafclaw(
      [
        "task",
        "submit",
        "Ask cy for the capital of Peru",
        "--to",
        "ben",
        "--wait",
        "--deadline",
        DEADLINE,
        "--json",
      ],
      ann.env,
    );
    assert.equal(submitted.code, 0, failed(submitted, [ann, ben, cy]));
    const task = jsonOf(submitted);
    assert.equal(task.status, "completed");
    assert.equal(task.answer, "cy says Lima");

    let trace: { agents: string[]; roots: TraceNode[] } | undefined;
    await waitFor(
      async () => {
        const out = await kafclaw(["task", "show", task.task_id, "--trace", "--json"], ann.env);
        assert.equal(out.code, 0, out.stderr);
        trace = jsonOf(out);
        return trace!.agents.length === 3 && trace!.roots.length === 1 &&
          lines(trace!.roots).some((l) => l.trim() === "cy: turn");
      },
      "one tree of spans from ann, ben and cy",
      {
        timeoutMs: 60_000,
        state: () => ({ tree: lines(trace?.roots ?? []), gateways: tails([ann, ben, cy]) }),
      },
    );
    const tree = lines(trace!.roots);
    for (
      const line of [
        `ann: submit to group.${group}.agent.ben.inbox`,
        "  ben: attempt 1 at ben",
        "      ben: tool delegate_task",
        `    ben: submit to group.${group}.agent.cy.inbox`,
        "      cy: attempt 1 at cy",
        "        cy: turn",
      ]
    ) assert.ok(tree.includes(line), `no "${line}" in\n${tree.join("\n")}`);

    const listed = await kafclaw(["task", "list", "--json"], ann.env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      jsonOf(listed).tasks.map((t: { task_id: string; status: string }) => t.status),
      ["completed"],
    );
    const replayed = await kafclaw(["task", "replay", task.task_id, "--json"], ann.env);
    assert.equal(replayed.code, 0, replayed.stderr);
    const replay = jsonOf(replayed);
    assert.deepEqual(replay.old, { agent_id: "ben", status: "completed", answer: "cy says Lima" });
    assert.deepEqual(replay.new, {
      agent_id: "ann",
      status: "completed",
      answer: "answered by ann",
    });

    // A span of the task forged by mallory, no member, on the traces topic.
    const brokers = testBrokers();
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const forger = await agentKey(join(ann.home, "forger"));
    const { trace_id, roots } = trace as unknown as {
      trace_id: string;
      roots: { span_id: string }[];
    };
    const span = {
      topic: topicsFor(group).traces,
      key: trace_id,
      value: JSON.stringify({
        type: "trace",
        correlation_id: task.task_id,
        sender_id: "mallory",
        timestamp: new Date().toISOString(),
        payload: {
          trace_id,
          span_id: "f".repeat(16),
          parent_span_id: roots[0]!.span_id,
          span_type: "TASK",
          title: "forged by mallory",
          started_at: new Date().toISOString(),
          ended_at: new Date().toISOString(),
          duration_ms: 0,
          attributes: { task_id: task.task_id },
        },
      }),
    };
    const spanHeaders = await signRecord(span, { keyId: "mallory", privateKey: forger.privateKey });
    await transport.produce([{ ...span, headers: spanHeaders }]);

    // A home that took no part has none of the spans: they are read from the traces topic, where
    // the forged one is dropped and counted.
    await using other = await tempHome();
    const elsewhere = envOf(group, "dee", other.path, ann.llm, pinned);
    const read = await kafclaw(["task", "show", task.task_id, "--trace", "--json"], elsewhere);
    assert.equal(read.code, 0, read.stderr);
    const fromTopic = jsonOf(read);
    assert.equal(fromTopic.source, "topics");
    assert.deepEqual(lines(fromTopic.roots), tree);
    assert.deepEqual(
      fromTopic.dropped.map((d: { agent_id: string; code: string }) => [d.agent_id, d.code]),
      [["mallory", "unknown_signer"]],
    );

    // With no gateway in its home, task submit --wait follows the task as a one-shot member.
    await vouch(ann.env, other.path, "dee");
    const once = await kafclaw(
      ["task", "submit", "What is 2+2?", "--to", "cy", "--wait", "--deadline", DEADLINE, "--json"],
      elsewhere,
    );
    assert.equal(once.code, 0, failed(once, [ann, ben, cy]));
    const onceTask = jsonOf(once);
    assert.deepEqual([onceTask.status, onceTask.answer, onceTask.workers], [
      "completed",
      "answered by cy",
      ["cy"],
    ]);
    // It left the group when it ended: ann's roster has the three gateways only.
    await waitFor(
      async () => !(await rosterOf(ann.env)).some((m) => m.startsWith("dee:")),
      "dee gone from ann's roster",
      { timeoutMs: 30_000, state: () => tails([ann, ben, cy]) },
    );

    // A heartbeat in cy's name, signed with a key that is not cy's.
    const audit = await followAudit(transport, group);
    try {
      const forged = {
        topic: topicsFor(group).heartbeats,
        key: agentKeyOf("cy"),
        value: heartbeatJson("cy", { capacity: 99 }),
      };
      const headers = await signRecord(forged, { keyId: "cy", privateKey: forger.privateKey });
      await transport.produce([{ ...forged, headers }]);
      const forgedSeen = () =>
        audit.seen.filter((a) =>
          a.event_type === "signature_invalid" && a.agent_id === "cy" && a.code === "bad_signature"
        );
      await waitFor(() => forgedSeen().length >= 2, "ann and ben to audit the forged record", {
        timeoutMs: 30_000,
        state: () => ({ audit: audit.seen, gateways: tails([ann, ben, cy]) }),
      });
      assert.ok(forgedSeen().every((a) => a.topic === topicsFor(group).heartbeats));
    } finally {
      await audit.close();
      await transport.close();
    }
    for (const agent of [ann, ben, cy]) {
      assert.equal(await agent.child!.stop("SIGTERM"), 0, agent.child!.stderr);
    }
  },
);
