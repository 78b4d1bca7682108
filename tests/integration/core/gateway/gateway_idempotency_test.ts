/**
 * The idempotency key of a side effect across redelivery and retry, between gateway processes on
 * the real broker (PROTOCOL.md, semantics 3: every side effect carries `<task_id>#<attempt>`).
 * The side effect is a call to a tool of an MCP server over HTTP (tests/fakes), the outside system
 * that would do the work, and that keeps each call's `_meta`. Ben takes attempt 1, calls the tool
 * and is SIGKILLed while he thinks on; started again, he is handed the same record again (its
 * offset was never committed) and calls the tool again: the same key. SIGKILLed once more, his
 * lease lapses and attempt 2 goes to cy, whose call carries the next key.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IDEMPOTENCY_META } from "../../../../core/tools/mcp/mod.ts";
import { agentInbox } from "../../../../core/protocol/mod.ts";
import { serveFakeMcpHttp } from "../../../fakes/mcp_server.ts";
import type { FakeTurnSource } from "../../../fakes/openai_server.ts";
import { Child } from "../../../_support/child.ts";
import { kafclawCommand } from "../../../_support/cli.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  signedGroup,
  tails,
  taskReader,
  untilLive,
  vouchAndStart,
} from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const CALL = {
  toolCalls: [{ id: "m", name: "remote__echo", arguments: { text: "book the room" } }],
};
/** A turn that thinks for ten minutes: the worker is killed meanwhile. */
const THINKING: FakeTurnSource = { text: "never said", delayMs: 600_000 };

Deno.test(
  "a side effect's key is the same on a redelivery of the attempt and the next on attempt 2 at another worker",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const mcp = stack.use(serveFakeMcpHttp());
    // Long enough for ben to be started again before it lapses, on a busy machine.
    const { group, boss, pinned } = await signedGroup("gwkey", stack, {
      KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "3000",
    });
    const ben = stack.use(await gateway(group, "ben", pinned, [CALL, THINKING, CALL, THINKING]));
    const cy = stack.use(await gateway(group, "cy", pinned, [CALL, { text: "booked by cy" }]));
    // Trusted, so what it returns does not taint the task's session: the turn that goes on from
    // it after the restart may still act without an approval.
    const remote = { transport: "http", url: mcp.url, tier: 1, trusted: true };
    const mcpJson = { mcpServers: { remote } };
    for (const worker of [ben, cy]) {
      await Deno.writeTextFile(join(worker.home, "mcp.json"), JSON.stringify(mcpJson), {
        mode: 0o600,
      });
    }
    await vouchAndStart(boss.env, [ben, cy]);
    const req = stack.use(
      await requesterGateway(group, boss.env, { ...pinned, KAFCLAW_GROUP_LEASE_MS: "24000" }),
    );
    const requester = req.gateway;
    await untilLive(requester, 3);
    const reader = stack.use(await taskReader(group));
    const taskId = crypto.randomUUID();
    const keys = () => mcp.calls.map((c) => (c._meta as Record<string, string>)[IDEMPOTENCY_META]);
    const state = () => ({
      keys: keys(),
      asked: ben.llm.chatRequests().map((r) => JSON.stringify(r.body).slice(-600)),
      statuses: reader.statuses(taskId),
      ...tails([ben, cy]),
    });
    await requester.tasks.requester.send({
      type: "request",
      payload: taskPayload("req", { task_id: taskId, content: "book the room", target_id: "ben" }),
      taint: "trusted",
    }, { topic: agentInbox(group, "ben") });

    const killBenThinking = async (calls: number, what: string) => {
      await waitFor(
        () => mcp.calls.length === calls && ben.llm.chatRequests().length === 2 * calls,
        what,
        { timeoutMs: 60_000, state },
      );
      ben.child!.process.kill("SIGKILL");
      await ben.child!.exit();
    };
    await killBenThinking(1, "ben's call of attempt 1, then thinking on");
    ben.child = new Child(kafclawCommand(["gateway", "--json"], ben.env));
    await ben.child.until(/"event":"started"/);
    await killBenThinking(2, "ben's call of attempt 1 again, handed the same record again");

    const answer = await answerWithin(requester, taskId, 90_000).catch((error) => {
      throw new Error(`${error.message}; ${JSON.stringify(state())}`);
    });
    assert.deepEqual([answer.status, answer.responderId, answer.content], [
      "completed",
      "cy",
      "booked by cy",
    ]);
    assert.deepEqual(keys(), [`${taskId}#1`, `${taskId}#1`, `${taskId}#2`]);
    assert.deepEqual(mcp.calls.map((c) => c.arguments), Array(3).fill({ text: "book the room" }));
    assert.equal(await cy.child!.stop("SIGTERM"), 0, cy.child!.stderr);
  },
);
