/**
 * The orchestrator's zones on the real broker: `kafclaw gateway` processes in full mode, the
 * orchestrator boss (the group's owner) and three workers below it in two zones, lab (w1, w2) and
 * ops (w3; w2's own node record names ops, which makes it no member, and the hierarchy says so). A
 * task boss dispatches into lab reaches a lab member through lab's inbox; declined by that member
 * as it stops, its next attempt goes to the other lab member through lab's inbox again, and is answered on lab's topics; w3, outside lab, never sees it, and nothing of it is on
 * a group-wide topic or an agent's own inbox. `task submit --zone` from a home that is not a
 * member, or to a named agent that is not one, is refused in one line; from a member's home with
 * no gateway, `--wait` sends into lab and follows the answer on lab's topics. `orchestrator
 * status` reads the same group from every home.
 */
import assert from "node:assert/strict";
import { zoneConsumerGroup } from "../../../../core/group/mod.ts";
import {
  agentInbox,
  type Envelope,
  parseRecord,
  topicsFor,
  zoneTopic,
} from "../../../../core/protocol/mod.ts";
import { jsonOf, kafclaw } from "../../../_support/cli.ts";
import { gateway, taskReader } from "../../../_support/gateway_group.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ORCHESTRATOR = {
  KAFCLAW_GROUP_SECURITY: "open",
  KAFCLAW_ORCHESTRATOR_ENABLED: "true",
  KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "2000",
};

Deno.test(
  "an orchestrator and three workers in two zones: a task dispatched into lab stays with lab's members, through lab's inbox when declined, and a non-member's submit is refused",
  opts,
  async () => {
    const group = uniqueName("zd").replaceAll("-", "");
    await using stack = new AsyncDisposableStack();
    const node = async (id: string, more: Record<string, string>, chat = []) =>
      stack.use(await gateway(group, id, { ...ORCHESTRATOR, ...more }, chat));
    const boss = await node("boss", { KAFCLAW_ORCHESTRATOR_ROLE: "orchestrator" });
    const worker = { KAFCLAW_ORCHESTRATOR_PARENT_ID: "boss" };
    // w1's model never answers: it holds the task until it stops and gives it up.
    const w1 = await node("w1", worker, [{ hang: true }] as never);
    // w2's own record names ops, which grants it nothing: it is no member of ops.
    const w2 = await node("w2", { ...worker, KAFCLAW_ORCHESTRATOR_ZONE_ID: "ops" });
    const w3 = await node("w3", worker);
    const made = await kafclaw(["group", "init", "--json"], boss.env);
    assert.equal(made.code, 0, made.stderr);
    for (const g of [boss, w1, w2, w3]) await g.start();
    const zone = async (...args: string[]) => {
      const out = await kafclaw(["zone", ...args], boss.env);
      assert.equal(out.code, 0, out.stderr);
    };
    await zone("create", "lab");
    await zone("create", "ops");
    await zone("approve", "lab", "w1");
    await zone("approve", "lab", "w2");
    await zone("approve", "ops", "w3");
    // sh is in lab too, but runs no gateway: its tasks are sent and followed by the command itself.
    await zone("approve", "lab", "sh");
    await using reader = await taskReader(group);
    const inbox = (id: string) => `kafclaw.${group}.${id}.zone-inbox.lab`;
    await waitFor(
      async () =>
        (await reader.transport.groupMembers(zoneConsumerGroup(group, "lab"))) === 3 &&
        (await reader.transport.groupMembers(inbox("w1"))) === 1 &&
        (await reader.transport.groupMembers(inbox("w2"))) === 1,
      "boss, w1 and w2 reading lab's requests and inbox",
      { timeoutMs: 60_000 },
    );
    const hierarchy = async () => {
      const out = await kafclaw(["orchestrator", "hierarchy", "--json"], boss.env);
      return (jsonOf(out).nodes as { agent_id: string; liveness: string }[])
        .filter((n) => n.liveness === "active").map((n) => n.agent_id).sort();
    };
    await waitFor(
      async () => JSON.stringify(await hierarchy()) === '["boss","w1","w2","w3"]',
      "every node active",
      { timeoutMs: 60_000 },
    );
    // A node's zones are those the zone records give it, not those its node record names.
    const tree = await kafclaw(["orchestrator", "hierarchy"], boss.env);
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, /^ {4}w1 {2}worker {2}active {2}parent boss {2}zones public,lab$/m);
    assert.match(tree.stdout, /^ {4}w3 {2}worker {2}active {2}parent boss {2}zones public,ops$/m);
    assert.match(
      tree.stdout,
      /^ {4}w2 {2}worker {2}active {2}parent boss {2}zones public,lab \(claims ops: not a member\)$/m,
    );
    const nodes = jsonOf(await kafclaw(["orchestrator", "hierarchy", "--json"], boss.env)).nodes;
    const w1Node = nodes.find((n: { agent_id: string }) => n.agent_id === "w1");
    assert.deepEqual([w1Node.zones, w1Node.claimed_zones], [["public", "lab"], ["public"]]);

    // Status is the group's, read from its topics, the same from every home.
    const status = async (env: Record<string, string>) => {
      const out = await kafclaw(["orchestrator", "status", "--json"], env);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out);
    };
    const bossStatus = await status(boss.env);
    assert.deepEqual(bossStatus.children, ["w1", "w2", "w3"]);
    assert.deepEqual(bossStatus.zones, ["public", "lab", "ops"]);
    assert.equal(bossStatus.nodes.active, 4);
    const w1Status = await status(w1.env);
    assert.deepEqual([w1Status.node.parent_id, w1Status.zones], ["boss", ["public", "lab"]]);
    assert.deepEqual((await status(w3.env)).zones, ["public", "ops"]);

    // Refused in one line: a home outside lab, and a named agent outside lab.
    const outside = await kafclaw(["task", "submit", "--zone", "lab", "x", "--json"], w3.env);
    assert.equal(outside.code, 1, outside.stderr);
    assert.equal(
      outside.stderr,
      'kafclaw: Cannot send a task into zone "lab": "w3" is not a member of zone "lab"\n',
    );
    const named = await kafclaw(["task", "submit", "--zone", "lab", "--to", "w3", "x"], boss.env);
    assert.equal(named.code, 1, named.stderr);
    assert.match(
      named.stderr,
      /^kafclaw: Cannot send a task into zone "lab": "w3" is not a member of zone "lab"\n$/,
    );
    const nowhere = await kafclaw(["task", "submit", "--zone", "lab2", "x"], boss.env);
    assert.match(
      nowhere.stderr,
      /^kafclaw: Cannot send a task into zone "lab2": there is no such zone\n$/,
    );

    // Everything on lab's topics, and on the group's and the agents' own.
    const lab: { topic: string; envelope: Envelope }[] = [];
    const elsewhere: { topic: string; envelope: Envelope }[] = [];
    const t = topicsFor(group);
    const labTopics = ["requests", "inbox", "responses", "tasks.status"] as const;
    const follow = (topics: string[], into: typeof lab) =>
      followTopic(reader.transport, topics, (record) => {
        const parsed = parseRecord(record);
        if (parsed.ok) into.push({ topic: record.topic, envelope: parsed.envelope });
      });
    const labReader = await follow(labTopics.map((k) => zoneTopic(group, "lab", k)), lab);
    stack.defer(() => labReader.close());
    const groupReader = await follow([
      t.requests,
      t.responses,
      t.tasksStatus,
      ...["boss", "w1", "w2", "w3"].map((id) => agentInbox(group, id)),
    ], elsewhere);
    stack.defer(() => groupReader.close());

    const sent = await kafclaw(
      ["orchestrator", "dispatch", "The lab's secret", "--zone", "lab", "--json"],
      boss.env,
    );
    assert.equal(sent.code, 0, sent.stderr);
    const taskId = jsonOf(sent).task_id as string;
    // w1 and w2 are alike; the smaller id gets it, and its model holds it.
    const saw = (g: typeof w1) =>
      g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes("The lab's secret"));
    await waitFor(() => saw(w1), "w1's model asked", { timeoutMs: 60_000 });
    await w1.child!.stop("SIGTERM");
    await waitFor(
      () => lab.some((r) => r.envelope.type === "response" && r.envelope.correlation_id === taskId),
      "the answer on lab's responses",
      { timeoutMs: 60_000, state: () => lab.map((r) => `${r.topic} ${r.envelope.type}`) },
    );
    const answer = lab.find((r) => r.envelope.type === "response")!.envelope;
    assert.equal(answer.sender_id, "w2");
    assert.equal(answer.payload.attempt, 2);
    assert.equal(answer.payload.content, "answered by w2");
    const onLab = (kind: string, type: string) =>
      lab.filter((r) =>
        r.topic === zoneTopic(group, "lab", kind as "inbox") && r.envelope.type === type &&
        r.envelope.correlation_id === taskId
      ).map((r) => r.envelope.payload as Record<string, unknown>);
    // Both attempts were addressed to a member in lab's inbox, and so were their grants (and the
    // acknowledgements of w1's renewals, also `assigned`: its run went on while its stop gave it
    // time).
    assert.deepEqual(
      onLab("inbox", "request").map((p) => `${p.target_id}@${p.attempt}`),
      ["w1@1", "w2@2"],
    );
    assert.deepEqual(
      [
        ...new Set(
          onLab("inbox", "task_status").filter((p) => p.status === "assigned")
            .map((p) => `${p.worker_id}@${p.attempt}`),
        ),
      ],
      ["w1@1", "w2@2"],
    );
    assert.ok(
      onLab("tasks.status", "task_status").some((p) =>
        p.status === "declined" && p.worker_id === "w1"
      ),
    );
    // w1 left: the group's status, read from w2's home, has three active nodes, all below boss.
    const after = await status(w2.env);
    assert.equal(after.nodes.active, 3);
    assert.deepEqual((await status(boss.env)).children, ["w2", "w3"]);
    assert.equal(saw(w3), false);
    assert.equal(saw(boss), false);
    assert.deepEqual(
      elsewhere.filter((r) => r.envelope.correlation_id === taskId).map((r) => r.topic),
      [],
    );
    // The group's own status stream never carried it either (the reader of the test's taskReader).
    assert.deepEqual(reader.seen.filter((e) => e.correlation_id === taskId), []);

    // From a home with no gateway, submit --zone --wait sends into lab and follows lab's topics.
    const sh = stack.use(await gateway(group, "sh", { KAFCLAW_GROUP_SECURITY: "open" }));
    const waited = await kafclaw(
      ["task", "submit", "--zone", "lab", "A question for lab", "--wait", "--json"],
      sh.env,
    );
    assert.equal(waited.code, 0, waited.stderr);
    const done = jsonOf(waited);
    assert.equal(done.status, "completed");
    assert.match(done.answer, /^answered by (boss|w2)$/);
    assert.ok(
      lab.some((r) => r.envelope.correlation_id === done.task_id && r.topic.endsWith(".requests")),
    );
    assert.deepEqual(
      elsewhere.filter((r) => r.envelope.correlation_id === done.task_id).map((r) => r.topic),
      [],
    );
  },
);
