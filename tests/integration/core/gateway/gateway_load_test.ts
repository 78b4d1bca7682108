/**
 * Gateway processes under load, on the real broker: 100 tasks sent at once by a requester in the
 * group are each answered once and spread over the workers, and a task the fake LLM holds for
 * longer than the consumer's session timeout neither delays a quick task behind it on the same
 * partition nor makes the worker's consumer group rebalance.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { topicsFor, workersConsumerGroup } from "../../../../core/protocol/mod.ts";
import { partitionForKey } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { kafclaw } from "../../../_support/cli.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  taskReader,
} from "../../../_support/gateway_group.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const OPEN = { KAFCLAW_GROUP_SECURITY: "open" };

Deno.test(
  "100 tasks sent at once to three gateway processes are each answered once, spread over them, never by their requester",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const group = uniqueName("gwn").replaceAll("-", "");
    const env = {
      ...OPEN,
      // Four partitions for four members of the workers' group: the requester is one of them.
      KAFCLAW_GROUP_PARTITIONS: "4",
      // One sender's 100 tasks in a few seconds are past the default of 20 a minute, which each
      // worker answers with a failed "limit" (as it should, for a sender that floods it).
      KAFCLAW_POLICY_REQUESTS_PER_MINUTE: "1000",
    };
    const workers = [
      stack.use(await gateway(group, "ann", env)),
      stack.use(await gateway(group, "ben", env)),
      stack.use(await gateway(group, "cy", env)),
    ];
    const made = await kafclaw(["group", "init", "--json"], workers[0]!.env);
    assert.equal(made.code, 0, made.stderr);
    for (const worker of workers) await worker.start();
    const { gateway: requester } = stack.use(await requesterGateway(group, undefined, env));
    await waitFor(
      () => requester.membership.live().length === 4,
      "the requester to see the three workers live",
      { timeoutMs: 30_000 },
    );
    const reader = stack.use(await taskReader(group));
    const ids = Array.from({ length: 100 }, (_, i) => `load-${i}-${crypto.randomUUID()}`);
    await Promise.all(ids.map((id) =>
      requester.tasks.requester.send({
        type: "request",
        payload: taskPayload("req", { task_id: id, content: `task ${id}` }),
        taint: "untrusted",
      }, { topic: topicsFor(group).requests })
    ));
    const answers = await Promise.all(ids.map((id) => answerWithin(requester, id, 180_000)));
    const by = new Map<string, number>();
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.status, "completed", `${ids[i]}: ${JSON.stringify(answer)}`);
      assert.ok(["ann", "ben", "cy"].includes(answer.responderId!), answer.responderId);
      assert.equal(answer.content, `answered by ${answer.responderId}`);
      by.set(answer.responderId!, (by.get(answer.responderId!) ?? 0) + 1);
    }
    assert.ok(by.size >= 2, `at least two workers did work: ${JSON.stringify([...by])}`);
    // One response a task on the wire. (A worker may have thought about a task another answered:
    // thinking before the grant is allowed, and a grant lost on a busy machine moves the task on.)
    await waitFor(
      () => new Set(reader.responses().map((e) => e.correlation_id)).size === ids.length,
      "every response on the wire",
      { timeoutMs: 30_000 },
    );
    const responses = reader.responses().filter((e) => ids.includes(e.correlation_id));
    assert.equal(responses.length, ids.length, "no task answered twice");
    for (const worker of workers) {
      assert.equal(await worker.child!.stop("SIGTERM"), 0, worker.child!.stderr);
    }
  },
);

/** How long the fake LLM holds the long task: past kafkajs' 30 s session timeout by default. */
const HOLD_MS = Number(Deno.env.get("KAFCLAW_TEST_LONG_TASK_MS") ?? 60_000);

Deno.test(
  "a task held for a minute neither delays a quick one behind it on the same partition nor rebalances the workers' group",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const group = uniqueName("gwm").replaceAll("-", "");
    const release = Promise.withResolvers<void>();
    const long = async () => {
      await Promise.race([release.promise, new Promise((r) => setTimeout(r, HOLD_MS))]);
      return { text: "the long answer" };
    };
    const ann = stack.use(await gateway(group, "ann", OPEN, [long, { text: "the quick answer" }]));
    stack.defer(() => release.resolve());
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await ann.start();
    const topics = topicsFor(group);
    const reader = stack.use(await taskReader(group));
    // The workers' group as the broker describes it. DescribeGroups carries no generation; a
    // member the broker evicted (a consumer that stopped heartbeating while a task ran) rejoins
    // under a new member id, so the same ids in a stable group mean no rebalance took it out.
    const kafka = new kafkajs.Kafka({ brokers: testBrokers(), logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    stack.defer(() => admin.disconnect());
    const workers = workersConsumerGroup(group);
    const describe = async () => {
      const { groups: [g] } = await admin.describeGroups([workers]);
      return {
        state: g!.state,
        members: g!.members.map((m) => `${m.memberId}:${m.clientId}`).sort(),
      };
    };
    await waitFor(async () => (await describe()).state === "Stable", "a stable workers' group", {
      timeoutMs: 30_000,
    });
    const before = await describe();
    assert.equal(before.members.length, 1, JSON.stringify(before));
    // Two task ids on one partition of the requests topic: the quick one queues behind the long.
    const longId = `long-${crypto.randomUUID()}`;
    let quickId = "";
    for (let i = 0; quickId === ""; i++) {
      const id = `quick-${i}-${crypto.randomUUID()}`;
      if (partitionForKey(id, 3) === partitionForKey(longId, 3)) quickId = id;
    }
    await reader.transport.produce([
      requestRecord(topics.requests, { id: longId, content: "think for a minute", from: "sh" }),
    ]);
    await waitFor(() => ann.llm.chatRequests().length === 1, "ann to think about the long task", {
      timeoutMs: 60_000,
    });
    await reader.transport.produce([
      requestRecord(topics.requests, { id: quickId, content: "answer at once", from: "sh" }),
    ]);
    await waitFor(
      () => reader.responses().some((e) => e.correlation_id === quickId),
      "the quick answer",
      { timeoutMs: 30_000 },
    );
    assert.ok(
      !reader.responses().some((e) => e.correlation_id === longId),
      "the quick task was answered while the long one still ran",
    );
    await waitFor(
      () => reader.responses().some((e) => e.correlation_id === longId),
      "the long answer",
      { timeoutMs: HOLD_MS + 60_000 },
    );
    // The same single member as before the long task, and stable: no rebalance took it out.
    assert.deepEqual(await describe(), before);
    // Nor any rebalance at all: the generation never changed (ann would have rejoined, and said
    // so; gateway_group_test shows that she does when another member comes).
    assert.equal(await ann.child!.stop("SIGTERM"), 0, ann.child!.stderr);
    const rebalances = ann.child!.stdout.split("\n").filter((line) =>
      line.includes('"event":"rebalanced"') && line.includes(`"group_id":"${workers}"`)
    );
    assert.deepEqual(rebalances, []);
  },
);
