/**
 * The worker's side of a grant, at the intake: a task's turn may think before its grant, sends
 * its answer only while it holds it, and stops when it is revoked; grants reach it through its
 * inbox or the status stream, and only the requester's count. With `arbiter: "none"` the grant is
 * the claim's acknowledgement by the broker.
 */
import assert from "node:assert/strict";
import type { DoorResult, Message } from "../../../../core/agent/mod.ts";
import { DEFAULT_TASK_LIMITS, TaskIntake, type Trust } from "../../../../core/group/mod.ts";
import type { WorkedTask } from "../../../../core/timeline/mod.ts";
import type { InboundRecord, OutboundRecord } from "../../../../core/transport/mod.ts";
import { waitFor } from "../../../_support/wait.ts";

const INBOX = "group.g1.agent.w.inbox";
const STATUS = "group.g1.tasks.status";

function inbound(topic: string, envelope: Record<string, unknown>): InboundRecord {
  return {
    topic,
    partition: 0,
    offset: "0",
    key: String(envelope.correlation_id),
    value: new TextEncoder().encode(JSON.stringify(envelope)),
    headers: {},
    timestamp: Date.now(),
  };
}

const request = (task = "t1", attempt = 1, arbiter = "requester") =>
  inbound(INBOX, {
    type: "request",
    correlation_id: task,
    sender_id: "r",
    timestamp: new Date().toISOString(),
    payload: {
      task_id: task,
      attempt,
      description: "",
      content: "think",
      requester_id: "r",
      delegation: { depth: 0, chain: ["r"] },
      arbiter,
    },
  });

const word = (status: string, from = "r", worker = "w", topic = STATUS) =>
  inbound(topic, {
    type: "task_status",
    correlation_id: "t1",
    sender_id: from,
    timestamp: new Date().toISOString(),
    payload: { task_id: "t1", attempt: 1, worker_id: worker, status, seq: 5 },
  });

/** With `claimSent`, the send of a claim resolves (its acknowledgement) or fails with it. */
function rig(
  trust: Trust = () => Promise.resolve({ ok: true, vouched: false }),
  claimSent: Promise<void> = Promise.resolve(),
  claimLingerMs?: number,
) {
  const sent: { topic: string; type: string; status: string }[] = [];
  /** Each produce request, as `type:status` of its records. */
  const requests: string[][] = [];
  const entered: Message[] = [];
  const answer = Promise.withResolvers<DoorResult>();
  const worked: WorkedTask[] = [];
  const intake = new TaskIntake({
    agentId: "w",
    trust,
    worked: (task) => void worked.push(task),
    door: { enter: (m) => (entered.push(m), answer.promise) },
    send: (records: readonly OutboundRecord[]) => {
      let claim = false;
      const request: string[] = [];
      for (const r of records) {
        const e = JSON.parse(String(r.value));
        sent.push({ topic: r.topic, type: e.type, status: e.payload.status });
        request.push(`${e.type}:${e.payload.status}`);
        claim ||= e.payload.status === "claimed";
      }
      requests.push(request);
      return claim ? claimSent : Promise.resolve();
    },
    ...(claimLingerMs === undefined ? {} : { claimLingerMs }),
    // A grant read more than 2 intervals after the claim is confirmed by a renewal first (grant.ts):
    // an interval long enough that a busy machine never takes that path here.
    heartbeatIntervalMs: 1000,
    grantWaitMs: 2000,
  });
  const turn = (content: string): DoorResult => ({
    kind: "turn",
    content,
    turn: {
      content,
      stopped: "answer",
      iterations: 1,
      usage: { promptTokens: 1, completionTokens: 1 },
      taint: "untrusted",
    },
  });
  return { intake, sent, requests, entered, answer, turn, worked };
}

async function start(intake: TaskIntake, record = request()) {
  const result = await intake.handle(record);
  assert.ok(result && "work" in result);
  return result.work();
}

Deno.test("the answer waits for the grant, which comes on the status stream", async () => {
  const { intake, sent, entered, answer, turn } = rig();
  const run = start(intake);
  await waitFor(() => entered.length === 1, "the turn");
  assert.equal(entered[0]!.fence?.key, "t1#1");
  assert.equal(entered[0]!.sessionKey, "task:t1");
  assert.equal(
    entered[0]!.tokenBudget,
    200_000,
    "a task without a budget gets the default's tokens",
  );
  answer.resolve(turn("done"));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent.map((s) => s.status), ["claimed"], "no answer without the grant");
  // Words about other workers, other records, and strangers' words change nothing.
  await intake.handleStatus(word("assigned", "r", "other"));
  await intake.handleStatus(inbound(STATUS, { type: "nonsense" }));
  await intake.handleStatus(word("assigned", "mallory"));
  await intake.handleStatus(word("in_progress", "r"));
  assert.deepEqual(intake.running(), ["t1#1"]);
  await intake.handleStatus(word("assigned"));
  await run;
  assert.deepEqual(sent.map((s) => `${s.type}:${s.status}`), [
    "task_status:claimed",
    "task_status:completed",
    "response:completed",
  ]);
  assert.deepEqual(intake.running(), []);
});

Deno.test("revoked in the inbox stops the run: its signal aborts and no answer goes out", async () => {
  const { intake, sent, entered, answer, turn } = rig();
  const run = start(intake);
  await waitFor(() => entered.length === 1, "the turn");
  await intake.handle(word("revoked", "r", "w", INBOX));
  assert.equal(entered[0]!.signal?.aborted, true);
  answer.resolve(turn("too late"));
  await run;
  assert.deepEqual(sent.map((s) => s.status), ["claimed"]);
});

Deno.test("a grant from a sender that fails verification is poison", async () => {
  const { intake, entered } = rig((_r, e) =>
    Promise.resolve(
      e.type === "task_status" ? { ok: false, reason: "bad signature" } : {
        ok: true,
        vouched: false,
      },
    )
  );
  void start(intake);
  await waitFor(() => entered.length === 1, "the turn");
  assert.deepEqual(await intake.handleStatus(word("assigned")), { poison: "bad signature" });
  assert.equal(entered[0]!.signal?.aborted, false);
  // Stop the run: it ends without its grant.
  await intake.handle(word("revoked", "r", "w", INBOX));
});

Deno.test("an attempt is run once however often it is delivered; the memory of attempts is bounded", async () => {
  const { intake, answer, turn } = rig();
  answer.resolve(turn("x"));
  assert.ok(await intake.handle(request("t1")));
  assert.equal(await intake.handle(request("t1")), undefined);
  assert.ok(await intake.handle(request("t1", 2)), "another attempt runs");
  for (let i = 0; i < 10_000; i++) await intake.handle(request(`fill-${i}`));
  assert.ok(await intake.handle(request("t1")), "forgotten after 10 000 newer attempts");
});

Deno.test("a skill task reaching an agent that offers no skills is declined without a turn", async () => {
  const { intake, sent, entered } = rig();
  const skill = JSON.parse(new TextDecoder().decode(request().value));
  skill.type = "skill_request";
  skill.payload.skill = "sql";
  await start(intake, inbound(INBOX, skill));
  assert.deepEqual(sent.map((s) => s.status), ["declined"]);
  assert.equal(entered.length, 0);
});

Deno.test("a stopping worker gives its grants up: the running task and any later one are declined", async () => {
  const { intake, sent, entered, answer, turn } = rig();
  const run = start(intake);
  await waitFor(() => entered.length === 1, "the turn");
  await intake.handleStatus(word("assigned"));
  intake.stop();
  intake.stop(); // a second stop changes nothing: the grant is already given up
  answer.resolve(turn("finished after the stop"));
  await run;
  assert.deepEqual(sent.map((s) => `${s.type}:${s.status}`), [
    "task_status:claimed",
    "task_status:declined",
  ], "no answer from a worker that gave its grant up");
  sent.length = 0;
  await start(intake, request("t2"));
  assert.deepEqual(sent.map((s) => s.status), ["declined"]);
  assert.equal(entered.length, 1, "the later task runs no turn");
});

Deno.test("a stop after the grant was revoked leaves the run as revoked", async () => {
  const { intake, sent, entered, answer, turn } = rig();
  const run = start(intake);
  await waitFor(() => entered.length === 1, "the turn");
  await intake.handle(word("revoked", "r", "w", INBOX));
  intake.stop();
  answer.resolve(turn("too late"));
  await run;
  assert.deepEqual(sent.map((s) => s.status), ["claimed"], "revoked: nothing more is sent");
});

Deno.test("a task's turn may spend no more tokens than the task's budget", async () => {
  const { intake, entered, answer, turn } = rig();
  const budgeted = JSON.parse(new TextDecoder().decode(request().value));
  budgeted.payload.delegation.budget = { tasks: 1, tokens: 500 };
  const run = start(intake, inbound(INBOX, budgeted));
  await waitFor(() => entered.length === 1, "the turn");
  assert.equal(entered[0]!.tokenBudget, 500);
  await intake.handle(word("revoked", "r", "w", INBOX));
  answer.resolve(turn("stopped"));
  await run;
});

Deno.test("with arbiter none a side effect sends the claim held back and waits for its acknowledgement", async () => {
  const acked = Promise.withResolvers<void>();
  const { intake, sent, entered, answer, turn } = rig(undefined, acked.promise);
  const run = start(intake, request("t1", 1, "none"));
  await waitFor(() => entered.length === 1, "the turn, before the claim is acknowledged");
  let allowed: string | undefined | "pending" = "pending";
  void entered[0]!.fence!.check(new AbortController().signal).then((why) => allowed = why);
  answer.resolve(turn("done"));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(allowed, "pending", "a side effect waits for the claim's acknowledgement");
  assert.deepEqual(sent.map((s) => s.status), ["claimed"], "no answer before it either");
  acked.resolve();
  await run;
  assert.equal(allowed, undefined, "once acknowledged, the claim is the grant");
  assert.deepEqual(sent.map((s) => `${s.type}:${s.status}`), [
    "task_status:claimed",
    "task_status:completed",
    "response:completed",
  ]);
});

Deno.test("with arbiter none a claim that could not be sent loses the grant: the turn stops, no answer", async () => {
  const failed = Promise.withResolvers<void>();
  const { intake, sent, entered, answer, turn } = rig(undefined, failed.promise, 1);
  const run = start(intake, request("t1", 1, "none"));
  await waitFor(() => entered.length === 1 && sent.length === 1, "the turn, and its claim sent");
  failed.reject(new Error("broker unreachable"));
  await waitFor(() => entered[0]!.signal?.aborted === true, "the turn's signal aborted");
  const why = await entered[0]!.fence!.check(new AbortController().signal);
  assert.match(why ?? "", /lost its grant \(its claim was not sent: broker unreachable\)/);
  answer.resolve(turn("too late"));
  await run;
  assert.deepEqual(sent.map((s) => s.status), ["claimed"]);
  assert.deepEqual(intake.running(), []);
});

Deno.test("with arbiter none a turn answered within the linger sends claim, final status and response in one request", async () => {
  const { intake, requests, entered, answer, turn } = rig(undefined, undefined, 60_000);
  const run = start(intake, request("t1", 1, "none"));
  await waitFor(() => entered.length === 1, "the turn");
  assert.deepEqual(requests, [], "nothing is sent while the turn thinks");
  answer.resolve(turn("done"));
  await run;
  assert.deepEqual(requests, [[
    "task_status:claimed",
    "task_status:completed",
    "response:completed",
  ]], "one produce request, the claim first");
});

Deno.test("with arbiter none a turn longer than the linger shows the task claimed while it runs", async () => {
  const { intake, requests, entered, answer, turn } = rig(undefined, undefined, 1);
  const run = start(intake, request("t1", 1, "none"));
  await waitFor(() => entered.length === 1, "the turn");
  await waitFor(() => requests.length === 1, "the claim, sent alone after the linger");
  assert.deepEqual(requests, [["task_status:claimed"]]);
  answer.resolve(turn("done"));
  await run;
  assert.deepEqual(requests.slice(1), [["task_status:completed", "response:completed"]]);
});

Deno.test("with arbiter none a run that stops before the linger sends no claim, only its decline", async () => {
  const { intake, requests, entered, answer, turn } = rig(undefined, undefined, 60_000);
  const run = start(intake, request("t1", 1, "none"));
  await waitFor(() => entered.length === 1, "the turn");
  intake.stop();
  answer.resolve(turn("finished after the stop"));
  await run;
  assert.deepEqual(requests, [["task_status:declined"]]);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(requests, [["task_status:declined"]], "no claim left to go out later");
});

Deno.test("with arbiter none a claim sent after the linger that fails keeps the answer back", async () => {
  const failed = Promise.withResolvers<void>();
  const { intake, requests, entered, answer, turn } = rig(undefined, failed.promise, 1);
  const run = start(intake, request("t1", 1, "none"));
  await waitFor(() => requests.length === 1, "the claim, sent after the linger");
  answer.resolve(turn("done"));
  failed.reject(new Error("broker unreachable"));
  await run;
  assert.equal(entered.length, 1);
  assert.deepEqual(requests, [["task_status:claimed"]], "no answer without the grant");
});

Deno.test("a turn still running past its deadline and the skew is stopped: failed, answered untrusted when the request said no taint", async () => {
  const sent: { type: string; status: string; taint: unknown; content: unknown }[] = [];
  let aborted = false;
  const intake = new TaskIntake({
    agentId: "w",
    trust: () => Promise.resolve({ ok: true, vouched: false }),
    // A turn that never ends, even when aborted.
    door: {
      enter: (
        m,
      ) => (m.signal?.addEventListener("abort", () => aborted = true), new Promise(() => {})),
    },
    send: (records: readonly OutboundRecord[]) => {
      for (const r of records) {
        const e = JSON.parse(String(r.value));
        sent.push({
          type: e.type,
          status: e.payload.status,
          taint: e.taint,
          content: e.payload.content,
        });
      }
      return Promise.resolve();
    },
    limits: { ...DEFAULT_TASK_LIMITS, clockSkewMs: 0 },
  });
  const untainted = JSON.parse(new TextDecoder().decode(request("t1", 1, "none").value));
  delete untainted.taint;
  untainted.payload.deadline_at = new Date(Date.now() + 150).toISOString();
  await start(intake, inbound(INBOX, untainted));
  assert.ok(aborted, "the turn's signal was aborted");
  const response = sent.find((s) => s.type === "response")!;
  assert.equal(response.status, "failed");
  assert.equal(response.taint, "untrusted", "no taint said: untrusted");
  assert.deepEqual(sent.map((s) => `${s.type}:${s.status}`), [
    "task_status:claimed",
    "task_status:failed",
    "response:failed",
  ]);
});

/** How each attempt ended here, as the owner's store keeps it. */
const ends = (worked: readonly WorkedTask[]) =>
  worked.map((w) => [w.taskId, w.attempt, w.status, w.answer ?? null, w.reason ?? null]);

Deno.test("each attempt's end is kept for the owner: answered, declined, revoked, stopping", async () => {
  const { intake, entered, answer, turn, worked } = rig();
  const run = start(intake);
  await waitFor(() => entered.length === 1, "the turn");
  await intake.handleStatus(word("assigned"));
  answer.resolve(turn("the answer"));
  await run;
  assert.deepEqual(ends(worked), [["t1", 1, "completed", "the answer", null]]);
  const [done] = worked;
  assert.equal(done!.request.content, "think");
  assert.equal(done!.request.requester_id, "r");
  assert.equal(done!.type, "request");
  assert.equal(done!.zone, undefined);
  assert.ok(done!.endedAt >= done!.receivedAt);

  worked.length = 0;
  const skill = JSON.parse(new TextDecoder().decode(request("t2").value));
  skill.type = "skill_request";
  skill.payload.skill = "sql";
  await start(intake, inbound(INBOX, skill));
  assert.deepEqual(ends(worked), [[
    "t2",
    1,
    "declined",
    null,
    "w does not offer the skill sql",
  ]]);
  assert.equal(worked[0]!.type, "skill_request");

  // The requester gave the attempt to another: no answer, and kept as revoked.
  worked.length = 0;
  const revoked = rig();
  const running = start(revoked.intake, request("t3"));
  await waitFor(() => revoked.entered.length === 1, "the turn");
  await revoked.intake.handle(inbound(INBOX, {
    type: "task_status",
    correlation_id: "t3",
    sender_id: "r",
    timestamp: new Date().toISOString(),
    payload: { task_id: "t3", attempt: 1, worker_id: "w", status: "revoked", seq: 5 },
  }));
  revoked.answer.resolve(revoked.turn("too late"));
  await running;
  assert.deepEqual(revoked.worked.map((w) => [w.taskId, w.status]), [["t3", "revoked"]]);

  // A stopping worker declines what runs and what comes.
  const stopping = rig();
  const held = start(stopping.intake, request("t4"));
  await waitFor(() => stopping.entered.length === 1, "the turn");
  await stopping.intake.handleStatus(word("assigned"));
  stopping.intake.stop();
  stopping.answer.resolve(stopping.turn("finished after the stop"));
  await held;
  await start(stopping.intake, request("t5"));
  assert.deepEqual(ends(stopping.worked), [
    ["t4", 1, "declined", null, "w is stopping"],
    ["t5", 1, "declined", null, "w is stopping"],
  ]);
});

Deno.test("a task past its deadline is kept as rejected; a store that fails is told, and the answer still goes", async () => {
  const { intake, worked } = rig();
  const late = JSON.parse(new TextDecoder().decode(request("t6").value));
  late.payload.deadline_at = new Date(Date.now() - 3_600_000).toISOString();
  await start(intake, inbound(INBOX, late));
  assert.equal(worked.length, 1);
  assert.equal(worked[0]!.status, "rejected");
  assert.match(worked[0]!.reason!, /deadline/);

  const warned: string[] = [];
  const sent: string[] = [];
  const failing = new TaskIntake({
    agentId: "w",
    trust: () => Promise.resolve({ ok: true, vouched: false }),
    door: { enter: () => Promise.resolve({ kind: "refused", content: "no" } as DoorResult) },
    send: (
      records,
    ) => (sent.push(...records.map((r) => JSON.parse(String(r.value)).type)), Promise.resolve()),
    worked: () => {
      throw warned.length === 0 ? new Error("disk full") : "no room";
    },
    warn: (line) => void warned.push(line),
  });
  await start(failing, request("t7", 1, "none"));
  assert.ok(sent.includes("response"), JSON.stringify(sent));
  await start(failing, request("t8", 1, "none"));
  assert.deepEqual(warned, [
    "Cannot keep task t7 as worked on here: disk full",
    "Cannot keep task t8 as worked on here: no room",
  ]);
});
