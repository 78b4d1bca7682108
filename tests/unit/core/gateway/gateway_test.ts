/**
 * The gateway's composition on the in-process transport: standalone (a group of one in this
 * process), and several gateways sharing one in-process broker as a group, each with its own
 * home, its own fake LLM and its configuration from env alone. The same group over the real broker,
 * as processes, is in tests/integration/core/gateway.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, resolveConfig } from "../../../../core/config/mod.ts";
import {
  agentConsumerGroup,
  agentInbox,
  parseRecord,
  skillConsumerGroup,
  sponsorsConsumerGroup,
  topicsFor,
  workersConsumerGroup,
} from "../../../../core/protocol/mod.ts";
import { createOwnerKey, memberTopicSpecs } from "../../../../core/group/mod.ts";
import { MemoryBroker, MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  gatewayOf,
  inProcessEnv,
  submit,
  threeGateways,
} from "../../../_support/gateway_memory.ts";
import { watchSubscriptions } from "../../../_support/subscriptions.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { groupWithLab, holdJoins } from "../../../_support/held_joins.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { waitFor } from "../../../_support/wait.ts";

/** The consumer groups through which the agent whose own group is `own` reads zone lab. */
function labGroups(group: string, own: string): string[] {
  return [
    `kafclaw.${group}.zone.lab`,
    `${own}.zone-inbox.lab`,
    `${own}.zone.lab`,
    `${own}.zone-memory.lab`,
  ];
}

Deno.test("a standalone gateway runs a group of one in this process and stops at once", async () => {
  await using one = await gatewayOf({});
  const { gateway } = one;
  assert.equal(gateway.mode, "standalone");
  assert.equal(gateway.kafka, false);
  assert.equal(gateway.agentId, "local");
  assert.deepEqual(gateway.membership.members().map((m) => m.agentId), ["local"]);
  // The lease of its tasks by default: kafkajs' retry budget (30 s) and 3 heartbeat intervals.
  assert.equal(gateway.tasks.requester.leaseMs, 60_000);
  const tools = gateway.runtime.tools.definitions().map((d) => d.name);
  assert.ok(tools.includes("delegate_task") && tools.includes("group_members"), String(tools));
  const started = Date.now();
  assert.deepEqual(await gateway.stop(), []);
  assert.ok(Date.now() - started < 2_000, `stopping took ${Date.now() - started} ms`);
});

Deno.test("a task sent into a group of gateways is answered once, by another gateway's turn", async () => {
  const group = "gwtask";
  const { a, b, c } = await threeGateways(group);
  await using _a = a;
  await using _b = b;
  await using _c = c;
  assert.equal(a.gateway.tasks.requester.leaseMs, 600_000, "group.leaseMs from the env");
  const answer = await submit(a.gateway, group, "What is 2+2?");
  assert.equal(answer.status, "completed");
  assert.notEqual(answer.responderId, "ann");
  assert.equal(answer.content, `answered by ${answer.responderId}`);
  // The task was a turn of the worker's session task:<id>, with the request in its prompt.
  const worker = answer.responderId === "ben" ? b : c;
  const asked = worker.llm.chatRequests().map((r) => JSON.stringify(r.body));
  assert.equal(asked.filter((body) => body.includes("What is 2+2?")).length, 1);
});

Deno.test("a gateway stopped mid-task gives it half the stop's time, then declines it, and another gateway answers it", async () => {
  const group = "gwstop";
  const slow = { text: "too late", delayMs: 60_000 };
  const { a, b, c } = await threeGateways(group, { ben: { answer: slow }, cy: { answer: slow } });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const answering = submit(a.gateway, group, "Take your time");
  const holder = () =>
    [b, c].find((g) =>
      g.gateway.tasks.intake.running().length > 0 && g.llm.chatRequests().length > 0
    );
  await waitFor(() => holder() !== undefined, "a worker to be thinking about the task");
  const first = holder()!;
  const other = first === b ? c : b;
  other.llm.push([{ text: `answered by ${other.gateway.agentId}` }]);
  const started = Date.now();
  assert.deepEqual(await first.gateway.stop(2_000), []);
  const took = Date.now() - started;
  // The task ran on for its grace (half of the 2 s), and the stop kept within its bound.
  assert.ok(took >= 1_000 && took < 2_500, `stopping took ${took} ms`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await Promise.race([
    answering,
    new Promise<never>((_, reject) =>
      timer = setTimeout(() => reject(new Error("no answer within 20 s of the stop")), 20_000)
    ),
  ]).finally(() => clearTimeout(timer));
  assert.equal(answer.status, "completed");
  assert.equal(answer.responderId, other.gateway.agentId);
  // The stopped one left the group: the requester's roster shows it gone at once.
  await waitFor(
    () => !a.gateway.membership.members().some((m) => m.agentId === first.gateway.agentId),
    "the stopped gateway gone from ann's roster",
  );
});

Deno.test("an item one gateway shares is indexed by the others, with its author; a context item leaves them when it expires", async () => {
  const group = "gwmemory";
  const { a, b, c } = await threeGateways(group);
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const tools = b.gateway.runtime.tools.definitions().map((d) => d.name);
  assert.ok(tools.includes("share_memory"), String(tools));
  const ctx = { sessionKey: "local:test", workspace: "/fake", signal: AbortSignal.timeout(5_000) };
  await a.gateway.memory.shared.share(
    { title: "Oncall", content: "The oncall rotation changes on Tuesdays", tags: [] },
    ctx,
  );
  await a.gateway.memory.shared.share(
    { title: "Freeze", content: "A deploy freeze holds for a moment", tags: [], ttlSeconds: 1 },
    ctx,
  );
  for (const other of [b, c]) {
    const memory = other.gateway.runtime.memory;
    await waitFor(
      async () => (await memory.search("oncall rotation")).hits.length === 1,
      `${other.gateway.agentId} to recall the shared item`,
    );
    const [hit] = (await memory.search("oncall rotation")).hits;
    assert.equal(hit!.source, "group:ann");
    assert.match(hit!.content, /changes on Tuesdays/);
    assert.equal(hit!.taint, "untrusted", "an open group vouches for nobody");
  }
  // The context item came (its chunk is stored) and is gone from recall once it expired.
  await waitFor(
    () => c.gateway.memory.shared.indexed === 2,
    "cy to index the context item",
  );
  await waitFor(
    async () => (await c.gateway.runtime.memory.search("deploy freeze")).hits.length === 0,
    "the context item to expire",
  );
});

Deno.test("a gateway refuses a member's items past the quota its config sets, and records why", async () => {
  const group = "gwquota";
  const one = { env: { KAFCLAW_GROUP_MEMORY_QUOTA_ITEMS: "1" } };
  const { a, b, c, broker } = await threeGateways(group, { ben: one, cy: one });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const ctx = { sessionKey: "local:test", workspace: "/fake", signal: AbortSignal.timeout(5_000) };
  for (const word of ["alpha", "omega"]) {
    await a.gateway.memory.shared.share(
      { title: word, content: `the ${word} note`, tags: [] },
      ctx,
    );
  }
  const refusals = () =>
    b.gateway.runtime.timeline.events.list({ kind: "GROUP" }).items
      .filter((e) => e.metadata.event_type === "memory_refused");
  await waitFor(() => refusals().length === 1, "ben to refuse ann's second item");
  assert.match(refusals()[0]!.contentText, /over quota: ann already shared 1 items/);
  // And the group is told, on its audit topic, who refused whose item and why.
  const told = () =>
    (broker.topics.get(topicsFor(group).audit)?.log.flat() ?? []).flatMap((record) => {
      const parsed = parseRecord(record);
      return parsed.ok && parsed.envelope.type === "audit" ? [parsed.envelope] : [];
    }).filter((e) => e.payload.decision === "memory_refused");
  await waitFor(() => told().length >= 1, "the refusal on the audit topic");
  assert.equal(told()[0]!.sender_id, "ben");
  assert.equal(told()[0]!.payload.agent_id, "ann");
  assert.match(told()[0]!.payload.detail, /over quota/);
  // The item taken is indexed as work after its record is handled, so perhaps after the refusal.
  await waitFor(() => b.gateway.memory.shared.indexed === 1, "ben to index the item it took");
  // The two items have different keys, so partitions, and may come in either order: one of them
  // is recalled, the one refused is not.
  const found = [];
  for (const word of ["alpha", "omega"]) {
    for (const hit of (await b.gateway.runtime.memory.search(word)).hits) found.push(...hit.tags);
  }
  const items = found.filter((tag) => tag.startsWith("item:"));
  assert.equal(items.length, 1, String(found));
  assert.notEqual(items[0], `item:${refusals()[0]!.metadata.item_id}`);
  await waitFor(
    () => a.gateway.memory.shared.indexed === 2,
    "ann, whose quota is the default, to take both",
  );
});

Deno.test("gateways share and take items of the part and item sizes their config sets", async () => {
  const group = "gwsizes";
  const { a, b, c, broker } = await threeGateways(group, {
    ann: {
      env: { KAFCLAW_GROUP_MEMORY_PART_BYTES: "1024", KAFCLAW_GROUP_MEMORY_ITEM_BYTES: "4096" },
    },
    ben: { env: { KAFCLAW_GROUP_MEMORY_ITEM_BYTES: "2048" } },
  });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const ctx = { sessionKey: "local:test", workspace: "/fake", signal: AbortSignal.timeout(5_000) };
  await assert.rejects(
    a.gateway.memory.shared.share({ title: "big", content: "x".repeat(5000), tags: [] }, ctx),
    { message: "Cannot share 5000 bytes: an item holds at most 4096" },
  );
  const id = await a.gateway.memory.shared.share(
    { title: "runbook", content: "restart the indexer ".repeat(150), tags: [] },
    ctx,
  );
  const keys = (broker.topics.get(topicsFor(group).memoryShared)?.log.flat() ?? [])
    .map((r) => String(r.key));
  assert.deepEqual(keys.sort(), [`${id}#0`, `${id}#1`, `${id}#2`], "3000 bytes in parts of 1024");
  // cy takes items of 1 MiB (the default); ben, of 2 KiB, refuses it as too large.
  await waitFor(() => c.gateway.memory.shared.indexed === 1, "cy to index the runbook");
  const refusals = () =>
    b.gateway.runtime.timeline.events.list({ kind: "GROUP" }).items
      .filter((e) => e.metadata.item_id === id);
  await waitFor(() => refusals().length === 1, "ben to refuse the runbook");
  assert.match(refusals()[0]!.contentText, /oversized: more than 2048 bytes/);
  assert.equal(b.gateway.memory.shared.indexed, 0);
});

Deno.test("a part or item size out of range is one line naming the key, the value and where it came from", () => {
  const home = "/nonexistent-kafclaw-home";
  for (
    const [name, value, expected] of [
      ["KAFCLAW_GROUP_MEMORY_PART_BYTES", "262144", "an integer from 1024 to 131072"],
      ["KAFCLAW_GROUP_MEMORY_ITEM_BYTES", "1MB", "an integer from 1024 to 16777216"],
    ] as const
  ) {
    let error: unknown;
    try {
      resolveConfig({ home, env: { [name]: value } });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message.split("\n").length, 1, error.message);
    assert.match(error.message, new RegExp(`"${value}" \\(from ${name}\\): expected ${expected}$`));
  }
});

Deno.test("a gateway stops a task still running past its deadline and group.clockSkewMs, and answers it failed", async () => {
  const group = "gwdeadline";
  const { a, b, c, broker } = await threeGateways(
    group,
    { ben: { answer: { hang: true } } },
    { KAFCLAW_GROUP_CLOCK_SKEW_MS: "500" },
  );
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const taskId = crypto.randomUUID();
  const deadline = new Date(Date.now() + 1_000);
  await a.gateway.tasks.requester.send(
    {
      type: "request",
      payload: taskPayload("ann", {
        task_id: taskId,
        content: "Think for ever",
        target_id: "ben",
        deadline_at: deadline.toISOString(),
      }),
      taint: "untrusted",
    },
    { topic: agentInbox(group, "ben") },
  );
  const response = () =>
    (broker.topics.get(topicsFor(group).responses)?.log.flat() ?? []).flatMap((record) => {
      const parsed = parseRecord(record);
      return parsed.ok && parsed.envelope.type === "response" &&
          parsed.envelope.correlation_id === taskId
        ? [parsed.envelope]
        : [];
    })[0];
  await waitFor(() => response() !== undefined, "ben's answer to the task it could not finish", {
    timeoutMs: 20_000,
  });
  const { sender_id, payload } = response()!;
  assert.equal(sender_id, "ben");
  assert.equal(payload.status, "failed");
  // The skew is the config's (500 ms), not the protocol's default of 2 min.
  assert.match(payload.reason ?? "", /deadline .* passed \(with 500 ms allowed for clock skew\)/);
  assert.deepEqual(b.gateway.tasks.intake.running(), [], "its run has ended");
});

Deno.test("a gateway whose shared memory cannot start stops the task side that started beside it, and says why", async () => {
  const group = "gwhalf";
  const broker = new MemoryBroker();
  const setUp = new MemoryTransport({ broker });
  await setUp.createTopics(memberTopicSpecs(group, { workPartitions: 3 }));
  const transport = new MemoryTransport({ broker });
  const seen = watchSubscriptions(transport);
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = (options) =>
    options.topics.includes(topicsFor(group).memoryShared)
      ? Promise.reject(new Error("the memory topics are not readable"))
      : subscribe(options);
  await assert.rejects(
    gatewayOf(inProcessEnv(group, "ann"), { more: { transport } }),
    /the memory topics are not readable/,
  );
  assert.deepEqual(
    [...seen.open].map((s) => s.groupId),
    [],
    "the task stream and work groups started beside it are closed again",
  );
  await transport.close();
  await setUp.close();
});

Deno.test("a gateway's parts join beside its membership, what needs the roster after it, and a task is claimed only once the task stream reads", async () => {
  const group = "gwtogether";
  const { broker, setUp } = await groupWithLab(group);
  const transport = new MemoryTransport({ broker });
  // The joins of the membership (the agent's own group), the task stream, the first skill's
  // group and the shared memory's are held (as a broker's join delay would hold them) until the
  // test lets them end.
  const own = agentConsumerGroup(group, "ann");
  // Kafka refuses to read a topic not made yet: what each group asked for was there when asked,
  // though a topic takes a moment to make (a round trip to the broker).
  const missing: string[] = [];
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = (options) => {
    missing.push(...options.topics.filter((topic) => !broker.topics.has(topic)));
    return subscribe(options);
  };
  const createTopics = transport.createTopics.bind(transport);
  transport.createTopics = async (specs) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return await createTopics(specs);
  };
  const heldParts = [`${own}.tasks`, skillConsumerGroup(group, "ops"), `${own}.memory`];
  const joins = holdJoins(transport, [own, ...heldParts]);
  const { made } = joins;
  // Ann's home holds the owner key: it sponsors newcomers.
  const home = await Deno.makeTempDir({ prefix: "kafclaw-gw-" });
  await createOwnerKey(join(home, "identity"));
  const starting = gatewayOf(
    { ...inProcessEnv(group, "ann"), KAFCLAW_GROUP_SKILLS: "sql,ops" },
    { home, answer: { text: "the answer" }, more: { transport } },
  );
  const beside = [
    `${own}.inbox`,
    workersConsumerGroup(group),
    skillConsumerGroup(group, "sql"),
    sponsorsConsumerGroup(group),
  ];
  await waitFor(
    () => beside.every((id) => made.get(id) !== undefined) && heldParts.every(joins.waits),
    "the task side's, the memory's and the sponsor's groups to be asked for while the membership joins",
    { state: joins.state },
  );
  assert.ok(joins.waits(own));
  assert.equal(joins.made.has(`kafclaw.${group}.zone.lab`), false, "lab is not known yet");
  const requests = topicsFor(group).requests;
  await setUp.produce([requestRecord(requests, { id: "t-early", content: "x" })]);
  await waitFor(
    () => made.get(workersConsumerGroup(group))!.stats.delivered === 1,
    "the task handed over",
  );
  const statuses = () => broker.topics.get(topicsFor(group).tasksStatus)?.log.flat() ?? [];
  assert.equal(statuses().length, 0, "no claim before the membership has started");
  // The zones (the membership reads who is in which) join once the membership has, while the
  // others still do.
  joins.release(own);
  const after = labGroups(group, own);
  await waitFor(
    () => after.every((id) => made.get(id) !== undefined),
    "the zones' groups to be made once the membership has started",
    { state: joins.state },
  );
  assert.ok(heldParts.every(joins.waits));
  assert.equal(statuses().length, 0, "no claim before the task stream reads");
  joins.release();
  await using ann = await starting;
  const answers = () =>
    (broker.topics.get(topicsFor(group).responses)?.log.flat() ?? []).flatMap((record) => {
      const parsed = parseRecord(record);
      return parsed.ok && parsed.envelope.type === "response" ? [parsed.envelope.payload] : [];
    });
  await waitFor(() => answers().length === 1, "the early task's answer");
  assert.deepEqual([answers()[0]!.task_id, answers()[0]!.content], ["t-early", "the answer"]);
  assert.equal(ann.gateway.tasks.skills.offered().join(), "ops,sql");
  assert.deepEqual(ann.gateway.tasks.zones?.joined(), ["lab"]);
  assert.equal(ann.gateway.sponsoring, true);
  assert.deepEqual(missing, [], "the inbox is made by the membership's checks, before it is read");
  await transport.close();
  await setUp.close();
});

Deno.test("a gateway started again asks for the groups of the zones it read when it last ran beside its membership's join", async () => {
  const group = "gwagain";
  const { broker, setUp } = await groupWithLab(group);
  const home = await Deno.makeTempDir({ prefix: "kafclaw-gw-" });
  const env = inProcessEnv(group, "ann");
  const once = new MemoryTransport({ broker });
  const first = await gatewayOf(env, { home, more: { transport: once } });
  assert.deepEqual(first.gateway.tasks.zones?.joined(), ["lab"]);
  await first.gateway.stop();
  await first.llm.close();
  await once.close();
  const transport = new MemoryTransport({ broker });
  const own = agentConsumerGroup(group, "ann");
  const joins = holdJoins(transport, [own]);
  const starting = gatewayOf(env, { home, more: { transport } });
  const lab = labGroups(group, own);
  await waitFor(
    () => lab.every((id) => joins.made.get(id) !== undefined) && joins.waits(own),
    "lab's groups to be made while the membership joins",
    { state: joins.state },
  );
  joins.release();
  await using again = await starting;
  assert.deepEqual(again.gateway.tasks.zones?.joined(), ["lab"]);
  await transport.close();
  await setUp.close();
});
