/**
 * A task read back from a signed group's topics (what `kafclaw task show --trace` and `task
 * replay` show when the agent's store lacks it): its spans from every member as one trace, its
 * request and its answer; and what a member would not believe left out and counted: a span or an
 * answer forged by a non-member or in a member's name, unsigned, or from a revoked member. A
 * copy of a record already read is skipped, not counted.
 */
import assert from "node:assert/strict";
import {
  GroupSpans,
  readTaskLog,
  revocationRecord,
  rootLimits,
  searchTaskLog,
  spanTree,
  type TaskLog,
  type TaskLogQuery,
  taskLogReader,
  taskRequest,
  type TaskTopics,
  type TaskTopicsView,
} from "../../../../core/group/mod.ts";
import {
  agentInbox,
  generateKeyPair,
  signRecord,
  skillRequests,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import {
  MemoryTransport,
  type OutboundRecord,
  TopicMissingError,
} from "../../../../core/transport/mod.ts";
import { agentHome, certify, makeGroup } from "../../../_support/group_member.ts";
import { holdJoins } from "../../../_support/held_joins.ts";
import { watchSubscriptions } from "../../../_support/subscriptions.ts";
import { waitFor } from "../../../_support/wait.ts";

const GROUP = "tl";
const topics = topicsFor(GROUP);

/** Spans of `agentId` whose records the test signs and produces itself. */
function spansOf(agentId: string, out: OutboundRecord[]) {
  const timeline = Timeline.open(":memory:");
  const spans = new GroupSpans({
    lingerMs: 0, // each span sent as it ends, so the test sees it at once
    agentId,
    group: GROUP,
    send: (records) => {
      out.push(...records);
      return Promise.resolve();
    },
    store: timeline.groupTraces,
  });
  return { spans, [Symbol.dispose]: () => timeline.close() };
}

function responseRecord(taskId: string, from: string, content: string): OutboundRecord {
  const value = JSON.stringify({
    type: "response",
    correlation_id: taskId,
    sender_id: from,
    timestamp: new Date().toISOString(),
    protocol: "kafclaw/1",
    payload: { task_id: taskId, attempt: 1, responder_id: from, content, status: "completed" },
  });
  return { topic: topics.responses, key: taskId, value };
}

/** A signed group in which alice asked t-1, ben answered; mallory is no member; cy is revoked. */
async function taskGroup() {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, GROUP);
  const homes = await Promise.all(["alice", "ben", "cy"].map((id) => agentHome(id)));
  const [alice, ben, cy] = homes as [typeof homes[0], typeof homes[0], typeof homes[0]];
  for (const home of homes) await certify(transport, g, home);
  const mallory = await generateKeyPair();
  const produce = async (
    records: readonly OutboundRecord[],
    signer?: { keyId: string; privateKey: CryptoKey },
  ) => {
    for (const record of records) {
      const headers = signer ? await signRecord(record, signer) : {};
      await transport.produce([{ ...record, headers }]);
    }
  };
  const as = (home: typeof alice) => ({ keyId: home.agentId, privateKey: home.key.privateKey });

  const aliceOut: OutboundRecord[] = [];
  const benOut: OutboundRecord[] = [];
  const strayOut: OutboundRecord[] = [];
  using aliceSpans = spansOf("alice", aliceOut);
  using benSpans = spansOf("ben", benOut);
  const submit = aliceSpans.spans.record({
    type: "DELEGATION",
    title: "submit",
    attributes: { task_id: "t-1", step: "submit" },
  });
  benSpans.spans.record({
    parent: submit,
    type: "TASK",
    title: "attempt 1 at ben",
    attributes: { task_id: "t-1" },
  });
  // Spans of the same task that members must not believe, each claiming its sender.
  for (
    const [sender, title, task] of [
      ["mallory", "by mallory, no member", "t-1"],
      ["ben", "in ben's name", "t-1"],
      ["dan", "unsigned", "t-1"],
      ["cy", "by cy, revoked", "t-1"],
      ["mallory", "another task", "t-2"],
    ] as const
  ) {
    using stray = spansOf(sender, strayOut);
    stray.spans.record({
      ...(task === "t-1" ? { parent: submit } : {}),
      type: "TASK",
      title,
      attributes: { task_id: task },
    });
  }
  const request = taskRequest("alice", GROUP, {
    taskId: "t-1",
    content: "What is the capital of Peru?",
    to: { group: true },
    limits: rootLimits("alice", new Date()),
  });
  const requestRecord = {
    topic: request.topic,
    key: "t-1",
    value: JSON.stringify({
      type: request.type,
      correlation_id: "t-1",
      sender_id: "alice",
      timestamp: new Date().toISOString(),
      protocol: "kafclaw/1",
      payload: request.payload,
    }),
  };

  await produce(aliceOut, as(alice));
  await produce(aliceOut, as(alice)); // the same signed bytes again: a replay
  await produce(benOut, as(ben));
  await produce([strayOut[0]!], { keyId: "mallory", privateKey: mallory.privateKey });
  await produce([strayOut[1]!], { keyId: "ben", privateKey: mallory.privateKey });
  await produce([strayOut[2]!]);
  await produce([strayOut[3]!], as(cy));
  await produce([strayOut[4]!], { keyId: "mallory", privateKey: mallory.privateKey });
  await produce([{ topic: topics.traces, key: submit.traceId, value: "{not json" }]);
  await produce([requestRecord], as(alice));
  await produce([responseRecord("t-1", "ben", "Lima")], as(ben));
  await produce([responseRecord("t-1", "ben", "Quito")], {
    keyId: "ben",
    privateKey: mallory.privateKey,
  });
  await produce([responseRecord("t-2", "ben", "other")], as(ben));
  await transport.produce([await revocationRecord(GROUP, g.ownerKey.privateKey, "cy", "lost")]);
  const signed = { group: GROUP, ownerKey: g.ownerPublic };
  return {
    transport,
    signed,
    traceId: submit.traceId,
    async [Symbol.asyncDispose]() {
      for (const home of homes) await home[Symbol.asyncDispose]();
      await g.owner[Symbol.asyncDispose]();
      await transport.close();
    },
  };
}

const ALL = [topics.traces, topics.requests, topics.responses];

function read(t: { transport: MemoryTransport }, query: Partial<TaskLogQuery> = {}) {
  return readTaskLog(t.transport, ALL, {
    taskId: "t-1",
    groupId: `kafclaw.${GROUP}.cli-${crypto.randomUUID().slice(0, 8)}`,
    ...query,
  });
}

Deno.test("a task read back from a signed group shows only what its members sent, and counts what it dropped", async () => {
  await using t = await taskGroup();
  const log = await read(t, { signed: t.signed });
  const tree = spanTree(t.traceId, log.spans);
  assert.deepEqual(tree.agents, ["alice", "ben"]);
  assert.equal(tree.spans, 2, "alice's span read twice counts once; no forged span");
  assert.deepEqual(tree.roots.map((n) => n.children.map((c) => c.span.title)), [[
    "attempt 1 at ben",
  ]]);
  assert.deepEqual(log.requests.map((r) => r.payload.content), ["What is the capital of Peru?"]);
  assert.deepEqual(log.responses.map((r) => r.payload.content), ["Lima"]);
  assert.deepEqual(log.dropped.map((d) => [d.agentId, d.topic, d.code]), [
    ["mallory", topics.traces, "unknown_signer"],
    ["ben", topics.traces, "bad_signature"],
    ["dan", topics.traces, "unsigned"],
    ["cy", topics.traces, "certificate_revoked"],
    ["ben", topics.responses, "bad_signature"],
  ]);
  for (const d of log.dropped) assert.ok(d.reason.length > 0);
});

Deno.test("read without the owner key (an open group) the same topics show the forgeries too", async () => {
  await using t = await taskGroup();
  const log = await read(t);
  const titles = log.spans.map((s) => s.title).toSorted();
  assert.deepEqual(titles, [
    "attempt 1 at ben",
    "by cy, revoked",
    "by mallory, no member",
    "in ben's name",
    "submit",
    "submit",
    "unsigned",
  ]);
  assert.deepEqual(log.responses.map((r) => r.payload.content), ["Lima", "Quito"]);
  assert.deepEqual(log.dropped, []);
});

Deno.test("a task's trace is the one given, or that of a span naming the task; with none, no spans and only the task's drops", async () => {
  await using t = await taskGroup();
  const given = await read(t, { signed: t.signed, traceId: t.traceId });
  assert.deepEqual(
    given.spans.map((s) => s.agentId),
    ["alice", "ben"],
    "alice's copy of its span skipped as a replay",
  );
  const unknown = await read(t, { signed: t.signed, taskId: "t-9" });
  assert.deepEqual([unknown.spans, unknown.requests, unknown.responses], [[], [], []]);
  assert.deepEqual(unknown.dropped, []);
  const other = await read(t, { signed: t.signed, taskId: "t-2" });
  assert.deepEqual(other.spans, [], "t-2's only span was forged");
  assert.deepEqual(other.dropped.map((d) => [d.agentId, d.code]), [["mallory", "unknown_signer"]]);
  assert.deepEqual(other.responses.map((r) => r.payload.content), ["other"]);
});

Deno.test("an optional topic that does not exist holds nothing; any other missing topic is named", async () => {
  await using t = await taskGroup();
  const inbox = agentInbox(GROUP, "never-joined");
  const query = {
    taskId: "t-1",
    groupId: `kafclaw.${GROUP}.cli-${crypto.randomUUID().slice(0, 8)}`,
  };
  const log = await readTaskLog(t.transport, [topics.requests, inbox, topics.responses], {
    ...query,
    optional: [inbox],
  });
  assert.deepEqual(log.requests.map((r) => r.payload.content), ["What is the capital of Peru?"]);
  assert.deepEqual(log.responses.map((r) => r.payload.content), ["Lima", "Quito"]);
  await assert.rejects(
    readTaskLog(t.transport, [topics.requests, inbox], query),
    (error: unknown) => error instanceof TopicMissingError && error.topic === inbox,
  );
});

Deno.test("one reader reads set after set of topics against one read of the roster", async () => {
  await using t = await taskGroup();
  const readTopics = taskLogReader(t.transport, {
    taskId: "t-1",
    groupId: `kafclaw.${GROUP}.cli-${crypto.randomUUID().slice(0, 8)}`,
    signed: t.signed,
  });
  const first = await readTopics([topics.requests]);
  assert.deepEqual(first.requests.map((r) => r.payload.content), ["What is the capital of Peru?"]);
  assert.deepEqual(first.responses, []);
  const then = await readTopics([topics.responses, topics.requests]);
  assert.deepEqual(then.responses.map((r) => r.payload.content), ["Lima"], "verified as before");
  assert.deepEqual(then.dropped.map((d) => [d.agentId, d.code]), [["ben", "bad_signature"]]);
  // The same record read again is that record, not a copy appended again (a replay).
  assert.deepEqual(then.requests.map((r) => r.payload.content), ["What is the capital of Peru?"]);
});

Deno.test("a search reads the skills and zones beside the group's topics, and their topics only when those lack the task", async () => {
  await using t = await taskGroup();
  const query = {
    groupId: `kafclaw.${GROUP}.cli-${crypto.randomUUID().slice(0, 8)}`,
    signed: t.signed,
  };
  // The reads' joins are held, as a broker's join delay would hold them.
  const joins = holdJoins(t.transport, [query.groupId]);
  const seen = watchSubscriptions(t.transport);
  let viewed = 0;
  const sql = { skills: { all: () => [{ skill: "sql" }] }, zones: { zonesOf: () => [] } };
  const search = (view: () => Promise<TaskTopicsView>) => ({
    group: GROUP,
    agentId: "alice",
    topics: [topics.requests],
    found: (log: TaskLog) => log.requests.length > 0,
    view: () => (viewed++, view()),
    beyond: (more: TaskTopics) => more.requests,
  });
  const absent = searchTaskLog(
    t.transport,
    { ...query, taskId: "t-9" },
    search(() => Promise.resolve(sql)),
  );
  await waitFor(() => viewed === 1, "the skills and zones to be read while the first read joins");
  joins.release();
  assert.deepEqual((await absent).requests, []);
  const read = seen.joined.map((topics) => topics.join(","));
  assert.ok(read.includes(skillRequests(GROUP, "sql")), `the skill's topic read next: ${read}`);
  // Found on the group's topics: no more is read, and a failed read of the state is no matter.
  seen.reset();
  const refused = () => Promise.reject(new Error("the state topics cannot be read"));
  const found = await searchTaskLog(t.transport, { ...query, taskId: "t-1" }, search(refused));
  assert.deepEqual(found.requests.map((r) => r.payload.task_id), ["t-1"]);
  assert.ok(!seen.joined.flat().includes(skillRequests(GROUP, "sql")));
  await assert.rejects(
    searchTaskLog(t.transport, { ...query, taskId: "t-9" }, search(refused)),
    /the state topics cannot be read/,
  );
  // A reader that never joined, no skill: nothing more to read. A first topic that is not there:
  // its read fails.
  seen.reset();
  const none = { skills: { all: () => [] }, zones: { zonesOf: () => [] } };
  const bare = await searchTaskLog(t.transport, { ...query, taskId: "t-9" }, {
    ...search(() => Promise.resolve(none)),
    agentId: undefined,
  });
  assert.deepEqual([bare.requests, seen.joined.flat()], [[], [topics.roster, topics.requests]]);
  await assert.rejects(
    searchTaskLog(t.transport, { ...query, taskId: "t-9" }, {
      ...search(() => Promise.resolve(none)),
      topics: [skillRequests(GROUP, "sql")],
    }),
    (error: unknown) => error instanceof TopicMissingError,
  );
});
