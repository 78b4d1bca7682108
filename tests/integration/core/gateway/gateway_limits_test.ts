/**
 * The receiver's checks between `kafclaw gateway` processes on the real broker (PROTOCOL.md,
 * semantics 4 and 5): a worker process rejects a task past the depth limit, one whose chain already
 * holds it (a cycle), one whose budget is spent and one whose deadline has passed, each with its
 * reason and before any turn; a task it declines (a skill it does not offer) moves on to another
 * worker process that offers it, and is answered there once.
 */
import assert from "node:assert/strict";
import { agentInbox } from "../../../../core/protocol/mod.ts";
import {
  answerWithin,
  requesterGateway,
  tails,
  taskReader,
  untilLive,
} from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { limitBreaches } from "../../../_support/task_scenarios.ts";
import { OPEN, openGroup } from "../../../_support/open_group.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a worker process rejects depth, a cycle, a spent budget and a passed deadline with the reason, without a turn; a task it declines is answered by another process",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, members: [ben, cy] } = await openGroup("gwr", stack, [
      ["ben"],
      ["cy", { KAFCLAW_GROUP_SKILLS: "sql" }],
    ]);
    const { gateway: requester } = stack.use(await requesterGateway(group, undefined, OPEN));
    await untilLive(requester, 3);
    const reader = stack.use(await taskReader(group));
    const send = (
      id: string,
      fields: Record<string, unknown>,
      type: "request" | "skill_request" = "request",
    ) =>
      requester.tasks.requester.send({
        type,
        payload: taskPayload("req", { task_id: id, content: `content of ${id}`, ...fields }),
        taint: "untrusted",
      }, { topic: agentInbox(group, "ben") });

    const run = crypto.randomUUID().slice(0, 8);
    const cases = limitBreaches("req", "ben");
    for (const [name, fields] of cases) await send(`${name}-${run}`, fields);
    for (const [name, , reason] of cases) {
      const answer = await answerWithin(requester, `${name}-${run}`, 60_000);
      assert.equal(answer.status, "rejected", name);
      assert.equal(answer.responderId, "ben", name);
      assert.match(answer.reason ?? "", reason, name);
    }
    // A request already late when it reaches ben, as a foreign requester with a slow clock sends
    // it: ben rejects it, and says why on the wire.
    const lateId = `late-${run}`;
    await reader.transport.produce([{
      topic: agentInbox(group, "ben"),
      key: lateId,
      value: JSON.stringify({
        type: "request",
        correlation_id: lateId,
        sender_id: "py",
        timestamp: new Date().toISOString(),
        payload: taskPayload("py", {
          task_id: lateId,
          content: "too late",
          deadline_at: "2020-01-01T00:00:00Z",
          arbiter: "none",
        }),
      }),
    }]);
    const lateAnswer = () => reader.responses().find((e) => e.correlation_id === lateId);
    await waitFor(() => lateAnswer() !== undefined, "the late task's rejection", {
      timeoutMs: 60_000,
      state: () => tails([ben, cy]),
    });
    const late = lateAnswer()!;
    assert.equal(late.sender_id, "ben");
    assert.deepEqual([late.payload.status], ["rejected"]);
    assert.match(String(late.payload.reason), /deadline 2020-01-01T00:00:00Z had passed/);
    assert.equal(ben.llm.chatRequests().length, 0, "no rejected task reached ben's LLM");

    // A skill task sent to ben, who does not offer the skill: ben declines it without a turn, and
    // the requester sends attempt 2 to cy, who does.
    const sqlId = `sql-${run}`;
    await send(sqlId, { skill: "sql", target_id: "ben" }, "skill_request");
    const answer = await answerWithin(requester, sqlId, 60_000);
    assert.deepEqual([answer.status, answer.responderId, answer.content], [
      "completed",
      "cy",
      "answered by cy",
    ]);
    await waitFor(
      () => ["ben:declined@1", "cy:claimed@2"].every((s) => reader.statuses(sqlId).includes(s)),
      "ben's decline and cy's claim of attempt 2 on the status stream",
      { state: () => reader.statuses(sqlId) },
    );
    assert.equal(ben.llm.chatRequests().length, 0, "ben declined without thinking");
    // A skill task's answer is a skill_response.
    const sqlAnswers = () =>
      reader.seen.filter((e) => e.type === "skill_response" && e.correlation_id === sqlId);
    await waitFor(() => sqlAnswers().length > 0, "the skill task's answer on the wire", {
      state: () => reader.seen.filter((e) => e.correlation_id === sqlId).map((e) => e.type),
    });
    assert.equal(sqlAnswers().length, 1);
    for (const worker of [ben, cy]) {
      assert.equal(await worker.child!.stop("SIGTERM"), 0, worker.child!.stderr);
    }
  },
);
