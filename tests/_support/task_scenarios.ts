/**
 * Claim, grant and lease scenarios that must hold on every transport: the real broker runs them
 * (tests/integration/core/group), the in-process transport in fault mode too (tests/unit). Each
 * starts its agents on `transport` in a fresh group and stops them at its end.
 */
import assert from "node:assert/strict";
import { LiveWorkerSet } from "../../core/group/mod.ts";
import { agentInbox, topicsFor } from "../../core/protocol/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";
import { type FakeOpenAI, type FakeTurnSource, startFakeOpenAI } from "../fakes/openai_server.ts";
import {
  createTaskTopics,
  responsesOf,
  startTaskAgent,
  statusesOf,
  type TaskAgent,
  type TaskAgentOptions,
  taskPayload,
} from "./task_group.ts";
import { settles, waitFor } from "./wait.ts";

const vouched = () => Promise.resolve({ ok: true as const, vouched: true });

interface Group extends AsyncDisposable {
  readonly agents: Record<string, TaskAgent>;
  readonly llms: Record<string, FakeOpenAI>;
  readonly workers: LiveWorkerSet;
}

/** The final answer `agent`'s requester keeps for task `id`; fails rather than hangs. */
function answerOf(agent: TaskAgent, id: string) {
  return settles(agent.requester.answer(id)!, `the answer of task ${id}`);
}

/** Starts agents (each with its own fake LLM) in `group`; `spec` gives each one's options. */
async function startGroup(
  transport: Transport,
  group: string,
  spec: Record<
    string,
    Partial<TaskAgentOptions> & { chat?: FakeTurnSource[]; answer?: string }
  >,
): Promise<Group> {
  const ids = Object.keys(spec);
  const skills = [...new Set(ids.flatMap((id) => spec[id]!.skills ?? []))];
  await createTaskTopics(transport, group, ids, skills);
  const workers = new LiveWorkerSet();
  const agents: Record<string, TaskAgent> = {};
  const llms: Record<string, FakeOpenAI> = {};
  for (const id of ids) {
    const { chat, answer, ...options } = spec[id]!;
    llms[id] = await startFakeOpenAI({
      chat: chat ?? [],
      fallback: { text: answer ?? `answered by ${id}` },
    });
    agents[id] = await startTaskAgent(transport, {
      group,
      agentId: id,
      llm: llms[id]!,
      workers,
      ...options,
    });
    workers.put({ agentId: id, skills: options.skills ?? [], load: { running: 0, capacity: 4 } });
  }
  return {
    agents,
    llms,
    workers,
    async [Symbol.asyncDispose]() {
      for (const agent of Object.values(agents)) await agent[Symbol.asyncDispose]();
      for (const llm of Object.values(llms)) await llm.close();
      for (const agent of Object.values(agents)) {
        await Deno.remove(agent.home, { recursive: true });
      }
    },
  };
}

/**
 * Three workers and a requester that is a worker too: every task is answered by exactly one
 * agent, never by its requester (who sends a task it met on the shared topic on to another).
 */
export async function eachTaskAnsweredOnce(
  transport: Transport,
  group: string,
  tasks: number,
  options: { concurrency?: number } = {},
): Promise<void> {
  // One requester sends them all: the workers' per-sender rate limit is off for this.
  const o = { env: { KAFCLAW_POLICY_REQUESTS_PER_MINUTE: "0" }, ...options };
  await using g = await startGroup(transport, group, { r: o, w1: o, w2: o, w3: o });
  const r = g.agents.r!;
  const ids = await Promise.all(
    Array.from({ length: tasks }, (_, i) =>
      r.requester.send({
        type: "request",
        payload: taskPayload("r", { task_id: `t-${i}`, content: `task ${i}` }),
        taint: "untrusted",
      }, { topic: topicsFor(group).requests })),
  );
  const answers = await Promise.all(ids.map((id) => answerOf(r, id)));
  assert.deepEqual(answers.map((a) => a.status), ids.map(() => "completed"));
  for (const answer of answers) {
    assert.notEqual(answer.responderId, "r", "a requester never takes its own task");
    assert.equal(answer.content, `answered by ${answer.responderId}`);
  }
  // One response per task on the topic, and the grant of the worker that answered.
  await waitFor(
    () =>
      ids.every((id, i) =>
        responsesOf(r, id).length >= 1 &&
        statusesOf(r, id).some((s) => s.startsWith(`${answers[i]!.responderId}:assigned@`))
      ),
    "every response and grant on the topics",
  );
  // A produce kafkajs retried writes the same record twice (at-least-once): that is one answer.
  const distinct = (id: string) => new Set(responsesOf(r, id).map((e) => JSON.stringify(e))).size;
  for (const id of ids) assert.equal(distinct(id), 1, `responses of ${id}`);
  const by = new Set(answers.map((a) => a.responderId));
  if (tasks >= 20) assert.ok(by.size >= 2, `tasks spread over workers: ${[...by].join(", ")}`);
}

/** Two workers claim one attempt (a redelivery): one holds the grant, the other stops. */
export async function twoClaimantsOneGrant(transport: Transport, group: string): Promise<void> {
  // A turn answers once the requester has seen both claims: a claim that comes after the answer
  // finds no open task, so it is neither granted nor revoked (its worker stops unanswered).
  let requester: TaskAgent | undefined;
  const claimed = () => statusesOf(requester!, "t-twice").filter((s) => s.endsWith(":claimed@1"));
  const afterBothClaims = (id: string): FakeTurnSource => async () => {
    await waitFor(() => new Set(claimed()).size === 2, "both claims", { state: claimed });
    return { text: `answered by ${id}` };
  };
  await using g = await startGroup(transport, group, {
    r: { worker: false },
    a: { worker: false, chat: [afterBothClaims("a")] },
    b: { worker: false, chat: [afterBothClaims("b")] },
  });
  const r = requester = g.agents.r!;
  const request = {
    type: "request" as const,
    payload: taskPayload("r", { task_id: "t-twice", content: "once please" }),
    taint: "untrusted" as const,
  };
  await r.requester.send(request, { topic: agentInbox(group, "a") });
  // The same attempt also reaches b, as a redelivery after a rebalance would.
  await transport.produce([{
    topic: agentInbox(group, "b"),
    key: "t-twice",
    value: JSON.stringify({
      type: "request",
      correlation_id: "t-twice",
      sender_id: "r",
      timestamp: new Date().toISOString(),
      taint: "untrusted",
      payload: request.payload,
    }),
  }]);
  const answer = await answerOf(r, "t-twice");
  assert.equal(answer.status, "completed");
  await waitFor(
    () => g.agents.a!.intake.running().length + g.agents.b!.intake.running().length === 0,
    "both workers done",
  );
  const loser = answer.responderId === "a" ? "b" : "a";
  // The loser may stop on the inbox's copy of its revocation before the requester has read its
  // own copy back from the status stream (a delayed or reordered record).
  await waitFor(
    () => statusesOf(r, "t-twice").includes(`${loser}:revoked@1`),
    `${loser} revoked, as the requester reads it back`,
    { state: () => statusesOf(r, "t-twice") },
  );
  const statuses = statusesOf(r, "t-twice");
  assert.ok(statuses.includes("a:claimed@1") && statuses.includes("b:claimed@1"), `${statuses}`);
  assert.ok(!statuses.includes(`${loser}:completed@1`), `${statuses}`);
  assert.equal(responsesOf(r, "t-twice").length, 1);
}

/**
 * A worker holding the grant goes silent before its side effect: its lease lapses, attempt 2
 * goes to the other worker, which writes the file; the first, back again, has lost its grant and
 * writes nothing. The file exists exactly once.
 */
export async function lapsedLeaseMovesOn(transport: Transport, group: string): Promise<void> {
  const gate = Promise.withResolvers<void>();
  const write = {
    toolCalls: [{ id: "w", name: "write_file", arguments: { path: "done.txt", content: "x" } }],
  };
  // Renewals at a pace a loaded machine keeps: only the lease of a, cut off, may lapse.
  const o = { worker: false, heartbeatIntervalMs: 500 };
  await using g = await startGroup(transport, group, {
    r: o,
    a: {
      ...o,
      trust: vouched,
      chat: [async () => (await gate.promise, write), { text: "written by a" }],
    },
    b: { ...o, trust: vouched, chat: [write, { text: "written by b" }] },
  });
  const { r, a, b } = g.agents as Record<string, TaskAgent>;
  await r!.requester.send({
    type: "request",
    payload: taskPayload("r", { task_id: "t-lapse", content: "write done.txt" }),
    taint: "trusted",
  }, { topic: agentInbox(group, "a") });
  await waitFor(() => statusesOf(r!, "t-lapse").includes("a:assigned@1"), "a's grant");
  a!.cut();
  const answer = await answerOf(r!, "t-lapse");
  assert.deepEqual([answer.status, answer.responderId, answer.content], [
    "completed",
    "b",
    "written by b",
  ]);
  assert.deepEqual(r!.audits.map((x) => x.event), ["lease_lapsed"]);
  a!.restore();
  gate.resolve();
  await waitFor(() => a!.intake.running().length === 0, "a's run to stop");
  await Deno.stat(`${b!.runtime.sandbox.workspace}/done.txt`);
  await assert.rejects(Deno.stat(`${a!.runtime.sandbox.workspace}/done.txt`));
  const statuses = statusesOf(r!, "t-lapse");
  assert.ok(statuses.includes("b:assigned@2"), `${statuses}`);
  assert.equal(responsesOf(r!, "t-lapse").length, 1);
}

/** A worker without the task's skill declines it; the requester sends it to one that has it. */
export async function declinedMovesOn(transport: Transport, group: string): Promise<void> {
  await using g = await startGroup(transport, group, {
    r: { worker: false },
    a: { worker: false },
    b: { worker: false, skills: ["sql"] },
  });
  const r = g.agents.r!;
  await r.requester.send({
    type: "skill_request",
    payload: taskPayload("r", {
      task_id: "t-sql",
      content: "count rows",
      skill: "sql",
      target_id: "a",
    }),
    taint: "untrusted",
  }, { topic: agentInbox(group, "a") });
  const answer = await answerOf(r, "t-sql");
  assert.deepEqual([answer.status, answer.responderId], ["completed", "b"]);
  const statuses = statusesOf(r, "t-sql");
  assert.ok(statuses.includes("a:declined@1") && statuses.includes("b:claimed@2"), `${statuses}`);
  assert.equal(g.llms.a!.chatRequests().length, 0, "a declined without thinking");
}

/**
 * Tasks from `requester` that `receiver` must reject (PROTOCOL.md, semantics 5): a name, the
 * payload fields that break a limit, and the reason expected: depth at the limit, a chain that
 * already holds the receiver (a cycle), a spent budget.
 */
export function limitBreaches(
  requester: string,
  receiver: string,
): [string, Record<string, unknown>, RegExp][] {
  return [
    ["deep", { delegation: { depth: 3, chain: [requester] } }, /depth 3 reaches the limit of 3/],
    [
      "cycle",
      { delegation: { depth: 1, chain: [requester, receiver] } },
      new RegExp(`already passed through ${receiver}`),
    ],
    [
      "broke",
      { delegation: { depth: 0, chain: [requester], budget: { tasks: 1, tokens: 0 } } },
      /budget is exhausted/,
    ],
  ];
}

/** Depth past the limit, a cycle, an exhausted budget, an expired deadline: rejected, with why. */
export async function rejectedWithReason(transport: Transport, group: string): Promise<void> {
  await using g = await startGroup(transport, group, {
    r: { worker: false },
    w: { worker: false },
  });
  const r = g.agents.r!;
  const cases = limitBreaches("r", "w");
  for (const [id, fields] of cases) {
    await r.requester.send({
      type: "request",
      payload: taskPayload("r", { task_id: `t-${id}`, content: "x", ...fields }),
      taint: "untrusted",
    }, { topic: agentInbox(group, "w") });
  }
  for (const [id, , reason] of cases) {
    const answer = await answerOf(r, `t-${id}`);
    assert.equal(answer.status, "rejected", id);
    assert.match(answer.reason ?? "", reason, id);
  }
  // A request already late when sent ends on the requester's side too (its deadline passed):
  // it goes straight to the worker here, as a foreign requester would send it.
  const late = taskPayload("py", {
    task_id: "t-late",
    content: "x",
    deadline_at: "2020-01-01T00:00:00Z",
  });
  await transport.produce([{
    topic: agentInbox(group, "w"),
    key: "t-late",
    value: JSON.stringify({
      type: "request",
      correlation_id: "t-late",
      sender_id: "py",
      timestamp: new Date().toISOString(),
      payload: late,
    }),
  }]);
  await waitFor(() => responsesOf(r, "t-late").length === 1, "the late task's rejection");
  const rejected = responsesOf(r, "t-late")[0]!.payload as { status: string; reason: string };
  assert.equal(rejected.status, "rejected");
  assert.match(rejected.reason, /deadline 2020-01-01T00:00:00Z had passed/);
  assert.equal(g.llms.w!.chatRequests().length, 0, "no rejected task reached the LLM");
}

/**
 * A requester that stops with a task nobody has taken yet, and starts again from the same home:
 * it resumes the task, grants it to the worker that claims it then, and keeps its answer.
 */
export async function requesterResumes(transport: Transport, group: string): Promise<void> {
  await using g = await startGroup(transport, group, { r: { worker: false } });
  const r = g.agents.r!;
  await r.requester.send({
    type: "request",
    payload: taskPayload("r", { task_id: "t-resume", content: "while I was away" }),
    taint: "untrusted",
  }, { topic: topicsFor(group).requests });
  await r.crash();
  await r.runtime.close();
  await using llm = await startFakeOpenAI({ fallback: { text: "answered by w" } });
  const workers = g.workers;
  await using again = await startTaskAgent(transport, {
    group,
    agentId: "r",
    llm,
    workers,
    worker: false,
    home: r.home,
  });
  assert.deepEqual(again.requester.following(), ["t-resume"]);
  await createTaskTopics(transport, group, ["w"]);
  await using w = await startTaskAgent(transport, { group, agentId: "w", llm, workers });
  workers.put({ agentId: "w", skills: [], load: { running: 0, capacity: 4 } });
  const answer = await answerOf(again, "t-resume");
  const seen = `reason ${answer.reason}; statuses ${statusesOf(again, "t-resume")}; ` +
    `w saw ${statusesOf(w, "t-resume")}; LLM asked ${llm.chatRequests().length} times; ` +
    `audits ${JSON.stringify(again.audits)}`;
  assert.deepEqual([answer.status, answer.responderId, answer.content], [
    "completed",
    "w",
    "answered by w",
  ], seen);
  assert.equal(again.runtime.timeline.groupTasks.outgoing("t-resume")?.status, "completed");
}

/**
 * A task's turn delegates a sub-task with delegate_task: it carries depth+1, the chain plus the
 * delegating agent, a smaller budget (a task fewer, the tokens the turn spent so far taken off),
 * the same original requester and a deadline no later than its parent's; its answer comes back
 * into the turn, and the turn's answer to the requester.
 */
export async function subTaskInheritsLimits(transport: Transport, group: string): Promise<void> {
  const delegate = {
    toolCalls: [{
      id: "d",
      name: "delegate_task",
      arguments: { task: "What is 6 x 7?", agent: "b", wait_seconds: 30 },
    }],
    usage: { promptTokens: 600, completionTokens: 40 },
  };
  // A lapsed lease would send t-parent to b (the default pace is one a loaded machine keeps).
  await using g = await startGroup(transport, group, {
    r: { worker: false },
    a: { worker: false, trust: vouched, chat: [delegate, { text: "b says 42" }] },
    b: { worker: false, trust: vouched, answer: "42" },
  });
  const r = g.agents.r!;
  const deadline = new Date(Date.now() + 60_000).toISOString();
  await r.requester.send({
    type: "request",
    payload: taskPayload("r", { task_id: "t-parent", content: "ask b", deadline_at: deadline }),
    taint: "trusted",
  }, { topic: agentInbox(group, "a") });
  const answer = await answerOf(r, "t-parent");
  assert.deepEqual([answer.status, answer.content], ["completed", "b says 42"]);
  const asked = g.llms.b!.chatRequests()[0]!.body as { messages: { content: string }[] };
  assert.equal(asked.messages.at(-1)!.content, "What is 6 x 7?");
  const toolResult = g.llms.a!.chatRequests()[1]!.body as { messages: { content: string }[] };
  assert.match(toolResult.messages.at(-1)!.content, /answered by b:\n42/);
  // The sub-task as a stored it: b's response names it.
  const a = g.agents.a!;
  const subId = a.seen.find((e) => e.type === "response" && e.sender_id === "b")!.correlation_id;
  const sub = a.runtime.timeline.groupTasks.outgoing(subId)!;
  assert.equal(sub.status, "completed");
  const request = sub.request as Record<string, unknown>;
  assert.deepEqual(request.delegation, {
    depth: 1,
    chain: ["r", "a"],
    budget: { tasks: 2, tokens: 100_000 - 640 },
  });
  assert.deepEqual([request.original_requester_id, request.parent_task_id, request.target_id], [
    "r",
    "t-parent",
    "b",
  ]);
  assert.ok(Date.parse(String(request.deadline_at)) <= Date.parse(deadline));
  assert.equal(sub.taint, "trusted");
}
