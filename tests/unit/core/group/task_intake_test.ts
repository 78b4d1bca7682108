/**
 * The path from a task record to a turn and back, over the in-process transport in fault mode
 * (duplicates, delays, redelivery), with a real agent runtime against the fake LLM.
 */
import assert from "node:assert/strict";
import type { Message } from "../../../../core/agent/mod.ts";
import { type AuditEvent, openTrust, TaskIntake } from "../../../../core/group/mod.ts";
import {
  agentInbox,
  skillRequests,
  topicsFor,
  workersConsumerGroup,
  zoneTopic,
} from "../../../../core/protocol/mod.ts";
import {
  type InboundRecord,
  MemoryBroker,
  MemoryTransport,
  type OutboundRecord,
} from "../../../../core/transport/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { requestRecord, startGroupWorker } from "../../../_support/group_worker.ts";
import { waitFor } from "../../../_support/wait.ts";

// What Kafka does to a consumer on a bad day: a task may arrive twice; each is answered.
const faults = { seed: 7, duplicate: 0.2, maxDelayMs: 20, redeliver: 0.1, reorder: true };

Deno.test("a request record becomes a turn through the door, and its answer a response record", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "The answer is 42." } });
  const transport = new MemoryTransport({ faults });
  await using worker = await startGroupWorker(transport, { group: "g1", agentId: "deno-1", llm });
  const requests = topicsFor("g1").requests;
  await transport.produce([requestRecord(requests, { id: "t-1", content: "What is 6 x 7?" })]);
  await waitFor(() => worker.responses.length > 0, "a response", {
    state: () => worker.responses.length,
  });
  const { topic, envelope } = worker.responses[0]!;
  assert.equal(topic, topicsFor("g1").responses);
  assert.equal(envelope.type, "response");
  assert.equal(envelope.correlation_id, "t-1");
  assert.equal(envelope.sender_id, "deno-1");
  // Another agent's task over an unsigned group: external, so its answer is untrusted.
  assert.equal(envelope.taint, "untrusted");
  assert.deepEqual(
    { ...envelope.payload, usage: undefined },
    {
      task_id: "t-1",
      attempt: 1,
      responder_id: "deno-1",
      content: "The answer is 42.",
      status: "completed",
      usage: undefined,
    },
  );
  const asked = llm.chatRequests()[0]!.body as { messages: { role: string; content: string }[] };
  assert.equal(asked.messages.at(-1)!.content, "What is 6 x 7?");
  // The turn was the task's, in its own session, from the agent that asked.
  const inbound = worker.runtime.timeline.events.list({ kind: "INBOUND" }).items[0]!;
  assert.deepEqual([inbound.channel, inbound.sender, inbound.sessionKey], [
    "group:g1",
    "py-agent",
    "task:t-1",
  ]);
  await transport.close();
});

Deno.test("poison is dead-lettered; requests for others and the agent's own are left alone", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "done" } });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, { group: "g2", agentId: "deno-1", llm });
  const requests = topicsFor("g2").requests;
  await transport.produce([
    { topic: requests, key: "bad", value: "not json" },
    requestRecord(requests, { id: "t-other", content: "x", to: "someone-else" }),
    requestRecord(requests, { id: "t-own", content: "x", from: "deno-1" }),
    requestRecord(requests, { id: "t-mine", content: "for me", to: "deno-1" }),
  ]);
  await waitFor(
    () => worker.responses.length === 1 && worker.letters.length === 1,
    "one response and one dead letter",
    { state: () => [worker.responses.length, worker.letters.length] },
  );
  await worker.subscription.idle();
  assert.equal(worker.responses[0]!.envelope.correlation_id, "t-mine");
  assert.equal(worker.letters[0]!.topic, requests);
  assert.match(String(worker.letters[0]!.reason), /JSON/);
  assert.equal(llm.chatRequests().length, 1, "only the task for this agent reached the LLM");
  await transport.close();
});

Deno.test("a task past its deadline is rejected without a turn", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "too late anyway" } });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, { group: "g3", agentId: "deno-1", llm });
  await transport.produce([requestRecord(topicsFor("g3").requests, {
    id: "t-late",
    content: "x",
    deadline: "2020-01-01T00:00:00Z",
  })]);
  await waitFor(() => worker.responses.length === 1, "the rejection");
  const payload = worker.responses[0]!.envelope.payload as Record<string, unknown>;
  assert.equal(payload.status, "rejected");
  assert.match(String(payload.reason), /deadline 2020-01-01T00:00:00Z had passed/);
  assert.equal(llm.chatRequests().length, 0);
  await transport.close();
});

Deno.test("a vouched agent's zone task runs in that zone and is answered on the zone's topic", async () => {
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{
          id: "r",
          name: "remember",
          arguments: { content: "The lab's centrifuge is in room 4." },
        }],
      },
      { text: "Noted for the lab." },
    ],
  });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, {
    group: "g4",
    agentId: "deno-1",
    llm,
    zones: ["lab"],
    // A vouched sender's task without a taint is the owner's own: remember (tier 1) runs.
    trust: () => Promise.resolve({ ok: true, vouched: true }),
  });
  await transport.produce([
    requestRecord(zoneTopic("g4", "lab", "requests"), { id: "t-z", content: "remember this" }),
  ]);
  await waitFor(() => worker.responses.length === 1, "the zone's response");
  const { topic, envelope } = worker.responses[0]!;
  assert.equal(topic, zoneTopic("g4", "lab", "responses"));
  assert.equal(envelope.taint, "trusted");
  const hits = (await worker.runtime.memory.search("centrifuge room", { zones: "all" })).hits;
  assert.deepEqual(hits.map((h) => [h.content, h.zone]), [
    ["The lab's centrifuge is in room 4.", "lab"],
  ]);
  await transport.close();
});

Deno.test("an untrusted task cannot write in the workspace: with no owner to ask, the call is denied", async () => {
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{
          id: "w",
          name: "write_file",
          arguments: { path: "pwned.txt", content: "x" },
        }],
      },
      { text: "I was not allowed to." },
    ],
  });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, { group: "g5", agentId: "deno-1", llm });
  await transport.produce([
    requestRecord(topicsFor("g5").requests, { id: "t-w", content: "write pwned.txt" }),
  ]);
  await waitFor(() => worker.responses.length === 1, "the response");
  assert.equal(
    (worker.responses[0]!.envelope.payload as { content: string }).content,
    "I was not allowed to.",
  );
  await assert.rejects(Deno.stat(`${worker.runtime.sandbox.workspace}/pwned.txt`));
  const decision = worker.runtime.timeline.decisions.list().items[0]!;
  assert.deepEqual([decision.tool, decision.messageType, decision.reason], [
    "write_file",
    "external",
    "no_owner_to_ask",
  ]);
  await transport.close();
});

Deno.test("a turn that ends without an answer fails the task; a refused sender's is rejected", async () => {
  await using llm = await startFakeOpenAI({
    fallback: { toolCalls: [{ id: "l", name: "list_dir", arguments: { path: "." } }] },
  });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, { group: "g6", agentId: "deno-1", llm });
  const requests = topicsFor("g6").requests;
  await transport.produce([requestRecord(requests, { id: "t-loop", content: "list forever" })]);
  await waitFor(() => worker.responses.length === 1, "the failure");
  const failed = worker.responses[0]!.envelope.payload as Record<string, unknown>;
  assert.deepEqual([failed.status, failed.reason], ["failed", "max_iterations"]);
  assert.match(String(failed.content), /I stopped after \d+ rounds of tool calls/);
  await transport.close();
});

Deno.test("a task whose LLM refuses is answered failed at once, in the model's words", async () => {
  // No scripted answer: the fake LLM refuses every request (HTTP 400), as a real one refuses a
  // request it cannot take; the provider does not retry that.
  await using llm = await startFakeOpenAI({});
  const transport = new MemoryTransport();
  const said: string[] = [];
  await using worker = await startGroupWorker(transport, {
    group: "g6b",
    agentId: "deno-1",
    llm,
    warn: (line) => said.push(line),
  });
  const requests = topicsFor("g6b").requests;
  await transport.produce([requestRecord(requests, { id: "t-llm", content: "hello" })]);
  await waitFor(() => worker.responses.length === 1, "the failure");
  const failed = worker.responses[0]!.envelope.payload as Record<string, unknown>;
  assert.equal(failed.status, "failed");
  assert.equal(failed.content, "");
  assert.match(String(failed.reason), /^The worker's model failed: openai\/gpt-test .*400/);
  assert.doesNotMatch(String(failed.reason), /sk-test/);
  assert.equal(llm.chatRequests().length, 1);
  assert.equal(said.length, 1);
  assert.match(said[0]!, /^Task t-llm \(attempt 1, from py-agent\) failed: openai\/gpt-test/);
  await transport.close();
});

Deno.test("a task whose turn breaks is answered failed, naming the error's kind and not its words", async () => {
  const thrown = [
    [
      new TypeError("cannot read /home/me/.kafclaw/x"),
      "TypeError",
      "cannot read /home/me/.kafclaw/x",
    ],
    ["a bare string", "string", "a bare string"],
  ] as const;
  for (const [error, kind, words] of thrown) {
    const sent: OutboundRecord[] = [];
    const said: string[] = [];
    const intake = new TaskIntake({
      agentId: "deno-1",
      door: { enter: () => Promise.reject(error) },
      trust: openTrust,
      send: (records) => (sent.push(...records), Promise.resolve()),
      warn: (line) => said.push(line),
      claimLingerMs: 0,
    });
    const { topic, key, value } = requestRecord(topicsFor("g6c").requests, {
      id: "t-bug",
      content: "hello",
    });
    const result = await intake.handle(inbound(topic, key, value));
    assert.ok(result && "work" in result);
    await result.work();
    const payloads = sent.map((r) => JSON.parse(r.value as string).payload);
    assert.deepEqual(payloads.map((p) => p.status), ["claimed", "failed", "failed"]);
    const reason = `The worker's turn failed (${kind}); the worker's log says why`;
    assert.equal(payloads.at(-1).reason, reason);
    assert.deepEqual(said, [`Task t-bug (attempt 1, from py-agent) failed: ${words}`]);
  }
});

Deno.test("a task from an agent not on the allowlist is rejected before any turn, and audited", async () => {
  const audits: AuditEvent[] = [];
  await using llm = await startFakeOpenAI({ fallback: { text: "never" } });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, {
    group: "g7",
    agentId: "deno-1",
    llm,
    env: { KAFCLAW_POLICY_ALLOWED_SENDERS: "group:g7:friend" },
    audit: (event) => audits.push(event),
  });
  await transport.produce([
    requestRecord(topicsFor("g7").requests, { id: "t-x", content: "hi", from: "stranger" }),
    requestRecord(topicsFor("g7").requests, { id: "t-f", content: "hi", from: "friend" }),
    requestRecord(topicsFor("g7").requests, {
      id: "t-late",
      content: "hi",
      from: "friend",
      deadline: "2020-01-01T00:00:00Z",
    }),
  ]);
  await waitFor(() => worker.responses.length === 3, "three answers");
  // The refusal and the rejection are told to the group's audit, with the task and the asker.
  const told = audits.map((a) => [a.eventType, a.decision, a.agentId, a.taskId]).sort();
  assert.deepEqual(told, [
    ["policy_decision", "task_rejected", "friend", "t-late"],
    ["policy_decision", "turn_refused", "stranger", "t-x"],
  ]);
  const byTask = Object.fromEntries(
    worker.responses.map(({ envelope }) => [envelope.correlation_id, envelope.payload]),
  ) as Record<string, Record<string, unknown>>;
  assert.deepEqual([byTask["t-x"]!.status, byTask["t-x"]!.reason], [
    "rejected",
    "You are not on this agent's list of allowed senders.",
  ]);
  assert.equal(byTask["t-f"]!.status, "completed");
  assert.equal(llm.chatRequests().length, 1);
  await transport.close();
});

Deno.test("a task refused by the sender's token quota is audited as a refused turn", async () => {
  const audits: AuditEvent[] = [];
  await using llm = await startFakeOpenAI({ fallback: { text: "a long enough answer" } });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, {
    group: "g7q",
    agentId: "deno-1",
    llm,
    env: { KAFCLAW_POLICY_DAILY_TOKEN_LIMIT_PER_SENDER: "1" },
    audit: (event) => audits.push(event),
  });
  const requests = topicsFor("g7q").requests;
  await transport.produce([requestRecord(requests, { id: "t-1", content: "hi", from: "friend" })]);
  await waitFor(() => worker.responses.length === 1, "the first answer");
  await transport.produce([requestRecord(requests, { id: "t-2", content: "hi", from: "friend" })]);
  await waitFor(() => worker.responses.length === 2, "the second answer");
  assert.equal(llm.chatRequests().length, 1, "the second turn never reached the LLM");
  assert.deepEqual(audits.map((a) => [a.decision, a.agentId, a.taskId]), [
    ["turn_refused", "friend", "t-2"],
  ]);
  assert.match(audits[0]!.detail, /^refused a task of friend: the turn stopped at a limit: /);
  await transport.close();
});

Deno.test("a record that is not a request, or a sender that fails verification, is poison", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "never" } });
  const transport = new MemoryTransport();
  await using worker = await startGroupWorker(transport, {
    group: "g8",
    agentId: "deno-1",
    llm,
    trust: (_record, envelope) =>
      Promise.resolve(
        envelope.sender_id === "forger"
          ? { ok: false, reason: "the signature does not verify" }
          : { ok: true, vouched: false },
      ),
  });
  const requests = topicsFor("g8").requests;
  const response = JSON.stringify({
    type: "response",
    correlation_id: "t-r",
    sender_id: "py-agent",
    timestamp: new Date().toISOString(),
    payload: {
      task_id: "t-r",
      attempt: 1,
      responder_id: "py-agent",
      content: "",
      status: "completed",
    },
  });
  await transport.produce([
    { topic: requests, key: "t-r", value: response },
    requestRecord(requests, { id: "t-forged", content: "x", from: "forger" }),
  ]);
  await waitFor(() => worker.letters.length === 2, "two dead letters", {
    state: () => worker.letters,
  });
  assert.deepEqual(worker.letters.map((l) => l.reason).sort(), [
    `Cannot parse record from ${requests}@6:0: "type" is "response", which does not go on this topic`,
    "the signature does not verify",
  ]);
  assert.equal(llm.chatRequests().length, 0);
  await transport.close();
});

Deno.test("a skill request is answered as a skill response, on the trace it came with, with its description", async () => {
  const entered: Message[] = [];
  const sent: OutboundRecord[] = [];
  const intake = new TaskIntake({
    agentId: "deno-1",
    door: {
      enter: (message) => {
        entered.push(message);
        return Promise.resolve({ kind: "refused", content: "busy" });
      },
    },
    trust: openTrust,
    send: (records) => (sent.push(...records), Promise.resolve()),
    skills: ["translate"],
    now: () => new Date("2026-12-04T10:00:00Z"),
  });
  const topic = skillRequests("g9", "translate");
  const value = JSON.stringify({
    type: "skill_request",
    correlation_id: "t-s",
    sender_id: "py-agent",
    timestamp: "2026-12-04T09:59:59Z",
    trace_id: "0af7651916cd43dd8448eb211c80319c",
    payload: {
      task_id: "t-s",
      description: "Translate to French",
      content: "good morning",
      requester_id: "py-agent",
      skill: "translate",
    },
  });
  const result = await intake.handle(inbound(topic, "t-s", value));
  assert.ok(result && "work" in result);
  await result.work();
  assert.equal(entered[0]!.text, "Translate to French\n\ngood morning");
  const [claimed, answered] = sent.filter((r) => r.topic === topicsFor("g9").tasksStatus);
  assert.deepEqual(
    [claimed, answered].map((r) => JSON.parse(r!.value as string).payload.status),
    ["claimed", "failed"],
  );
  const response = sent.find((r) => r.topic === topicsFor("g9").responses)!;
  const answer = JSON.parse(response.value as string);
  assert.deepEqual(
    [answer.type, answer.trace_id, answer.timestamp, answer.payload.status],
    ["skill_response", "0af7651916cd43dd8448eb211c80319c", "2026-12-04T10:00:00.000Z", "rejected"],
  );
  // A record on a topic that is not of this protocol is poison, whatever it holds.
  assert.deepEqual(await intake.handle(inbound("elsewhere", "t-s", value)), {
    poison: 'Cannot parse record from elsewhere@0:0: topic "elsewhere" is not a topic of kafclaw/1',
  });
  // An inbox also carries grants, which are no tasks: one for an attempt this agent does not run
  // changes nothing.
  const inbox = agentInbox("g9", "deno-1");
  const grant = JSON.stringify({
    type: "task_status",
    correlation_id: "t-s",
    sender_id: "py-agent",
    timestamp: "2026-12-04T09:59:59Z",
    payload: { task_id: "t-s", attempt: 1, worker_id: "deno-1", status: "assigned", seq: 1 },
  });
  assert.equal(await intake.handle(inbound(inbox, "t-s", grant)), undefined);
  // A subscription wired to a topic where no tasks come in dead-letters what it reads there.
  const responses = topicsFor("g9").responses;
  assert.deepEqual(await intake.handle(inbound(responses, "t-s", sent.at(-1)!.value as string)), {
    poison: `a skill_response record on ${responses}, where tasks come in`,
  });
});

function inbound(topic: string, key: string, value: string): InboundRecord {
  return {
    topic,
    partition: 0,
    offset: "0",
    key,
    value: new TextEncoder().encode(value),
    headers: {},
    timestamp: Date.now(),
  };
}

Deno.test("in a zone's inbox, which every member reads, an agent takes only what names it", async () => {
  const owned: string[] = [];
  const intake = new TaskIntake({
    agentId: "deno-1",
    door: { enter: () => Promise.reject(new Error("no turn runs here")) },
    trust: openTrust,
    send: () => Promise.resolve(),
    ownRequest: (request) => void owned.push(request.payload.task_id),
  });
  const inbox = zoneTopic("g5", "lab", "inbox");
  const at = (record: OutboundRecord): InboundRecord => ({
    ...record,
    value: new TextEncoder().encode(String(record.value)),
    partition: 0,
    offset: "0",
    headers: {},
    timestamp: Date.now(),
  });
  const handle = (task: Parameters<typeof requestRecord>[1]) =>
    intake.handle(at(requestRecord(inbox, task)));
  assert.deepEqual(await handle({ id: "t-all", content: "x" }), {
    poison: `a request addressed to no member (no "target_id") on ${inbox}`,
  });
  assert.equal(await handle({ id: "t-other", content: "x", to: "deno-2" }), undefined);
  assert.equal(
    await handle({ id: "t-own", content: "x", from: "deno-1", to: "deno-1" }),
    undefined,
  );
  assert.deepEqual(owned, []);
  const mine = await handle({ id: "t-mine", content: "x", to: "deno-1" });
  assert.equal(typeof (mine as { work?: unknown })?.work, "function");
});

Deno.test("a task taken before the task side has started is claimed only once it has; poison beside it is dead-lettered at once", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "ready now" } });
  const broker = new MemoryBroker();
  const transport = new MemoryTransport({ broker });
  const started = Promise.withResolvers<boolean>();
  await using worker = await startGroupWorker(transport, {
    group: "g10",
    agentId: "deno-1",
    llm,
    runsAfter: started.promise,
  });
  const topics = topicsFor("g10");
  await transport.produce([
    { topic: topics.requests, key: "bad", value: "not json" },
    requestRecord(topics.requests, { id: "t-early", content: "x" }),
  ]);
  await waitFor(() => worker.letters.length === 1, "the poison's dead letter");
  await waitFor(() => worker.subscription.stats.delivered === 2, "the task handed over");
  const statuses = () => broker.topics.get(topics.tasksStatus)?.log.flat() ?? [];
  assert.equal(statuses().length, 0, "no claim while the task side starts");
  assert.equal(llm.chatRequests().length, 0);
  started.resolve(true);
  await waitFor(() => worker.responses.length === 1, "the answer once it has started");
  assert.equal(worker.responses[0]!.envelope.correlation_id, "t-early");
  assert.equal(
    JSON.parse(new TextDecoder().decode(statuses()[0]!.value)).payload.status,
    "claimed",
  );
  await transport.close();
});

Deno.test("a task taken by a task side that failed to start is neither claimed nor committed, so it comes again", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "never" } });
  const broker = new MemoryBroker();
  const transport = new MemoryTransport({ broker });
  await using worker = await startGroupWorker(transport, {
    group: "g11",
    agentId: "deno-1",
    llm,
    runsAfter: Promise.resolve(false),
  });
  const topics = topicsFor("g11");
  await transport.produce([requestRecord(topics.requests, { id: "t-lost", content: "x" })]);
  await waitFor(() => worker.subscription.stats.workFinished === 1, "the run to end");
  await worker.subscription.idle();
  assert.equal(broker.topics.get(topics.tasksStatus)?.log.flat().length ?? 0, 0);
  assert.equal(llm.chatRequests().length, 0);
  assert.deepEqual([...broker.group(workersConsumerGroup("g11")).committed.values()], []);
  await transport.close();
});

Deno.test("a task handed over before the intake stopped, whose run had not started, is declined", async () => {
  const sent: OutboundRecord[] = [];
  const started = Promise.withResolvers<boolean>();
  const intake = new TaskIntake({
    agentId: "deno-1",
    door: { enter: () => Promise.reject(new Error("no turn runs here")) },
    trust: openTrust,
    send: (records) => Promise.resolve(void sent.push(...records)),
    runsAfter: started.promise,
  });
  // Handed over while the task side starts; the agent stops before it has started.
  const requests = topicsFor("g12").requests;
  const record = requestRecord(requests, { id: "t-late", content: "x" });
  const result = await intake.handle(inbound(requests, "t-late", String(record.value)));
  assert.ok(result && "work" in result && result.ready === started.promise);
  intake.stop();
  started.resolve(true);
  assert.deepEqual(await result.work(), { again: "deno-1 is stopping" });
  assert.deepEqual(
    sent.map((r) => JSON.parse(String(r.value)).payload.status),
    ["declined"],
  );
});
