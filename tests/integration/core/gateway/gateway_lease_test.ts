/**
 * A worker's gateway process that goes silent while it holds a grant, on the real broker
 * (PROTOCOL.md, semantics 3): SIGKILLed, or SIGSTOPped and resumed after its lease lapsed. Either
 * way the requester's lease lapses, attempt 2 goes to another worker's inbox, one response is
 * kept, and the side effect (a file written by the tier-1 `write_file`, allowed because the
 * group's certificates are vouched) happens exactly once, by the new holder. The fake LLM of the
 * first worker holds its answer, so the test knows the worker is thinking, grant in hand, when it
 * signals it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { agentInbox } from "../../../../core/protocol/mod.ts";
import type { FakeTurnSource } from "../../../fakes/openai_server.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  signedGroup,
  taskReader,
  untilLive,
  vouchAndStart,
} from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const WRITE = {
  toolCalls: [{ id: "w", name: "write_file", arguments: { path: "once.txt", content: "x" } }],
};

/**
 * A signed group: ben (whose LLM answers with `benTurn`) and cy (who writes, then answers) as
 * gateway processes, and a requester in this process whose lease is 9 s. Ben has the task and
 * holds its grant, thinking, when this returns.
 */
async function benHoldsTheGrant(
  benTurn: FakeTurnSource,
  stack: AsyncDisposableStack,
  release = () => {},
) {
  // A silent worker stops after 2 intervals (6 s); the lease lapses after 3 (9 s).
  const { group, boss, pinned } = await signedGroup("gwl", stack, {
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "3000",
  });
  const ben = stack.use(await gateway(group, "ben", pinned, [benTurn]));
  // Before ben's fake LLM closes, its held turn ends.
  stack.defer(release);
  const cy = stack.use(await gateway(group, "cy", pinned, [WRITE, { text: "written by cy" }]));
  await vouchAndStart(boss.env, [ben, cy]);
  const req = stack.use(
    await requesterGateway(group, boss.env, { ...pinned, KAFCLAW_GROUP_LEASE_MS: "9000" }),
  );
  const requester = req.gateway;
  await untilLive(requester, 3);
  const reader = stack.use(await taskReader(group));
  const taskId = crypto.randomUUID();
  await requester.tasks.requester.send({
    type: "request",
    payload: taskPayload("req", { task_id: taskId, content: "write once.txt", target_id: "ben" }),
    taint: "trusted",
  }, { topic: agentInbox(group, "ben") });
  await waitFor(
    () => reader.statuses(taskId).includes("ben:claimed@1") && ben.llm.chatRequests().length > 0,
    "ben to claim the task and be thinking",
    { timeoutMs: 60_000 },
  );
  await waitFor(
    () =>
      reader.seen.some((e) =>
        e.type === "task_status" && e.correlation_id === taskId && e.sender_id === "req" &&
        e.payload.worker_id === "ben" && e.payload.status === "assigned"
      ),
    "ben's grant",
    { timeoutMs: 30_000 },
  );
  return { ben, cy, requester, reader, taskId };
}

/** Attempt 2 was answered by cy, whose side effect is the only one; one response. */
async function answeredOnceByCy(
  { ben, cy, requester, reader, taskId }: Awaited<ReturnType<typeof benHoldsTheGrant>>,
) {
  const answer = await answerWithin(requester, taskId, 60_000).catch((error) => {
    throw new Error(
      `${error.message}; statuses ${reader.statuses(taskId)}; cy: ${cy.child!.stderr}`,
    );
  });
  assert.equal(answer.status, "completed");
  assert.equal(answer.responderId, "cy");
  assert.equal(answer.content, "written by cy");
  assert.equal(await Deno.readTextFile(join(cy.home, "workspace", "once.txt")), "x");
  await assert.rejects(Deno.stat(join(ben.home, "workspace", "once.txt")), Deno.errors.NotFound);
  // The reader follows the status stream on its own: cy's last status may reach it after the answer.
  await waitFor(
    () => ["cy:claimed@2", "cy:completed@2"].every((s) => reader.statuses(taskId).includes(s)),
    "cy's claim and completion of attempt 2 on the status stream",
    { state: () => reader.statuses(taskId) },
  );
  const responses = () => reader.responses().filter((e) => e.correlation_id === taskId);
  await waitFor(() => responses().length > 0, "the response on the wire");
  assert.equal(responses().length, 1);
}

Deno.test(
  "a worker SIGKILLed after its grant: the lease lapses, attempt 2 goes to another worker, the side effect happens once",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    // ben thinks for ten minutes before it would write.
    const held = await benHoldsTheGrant({ ...WRITE, delayMs: 600_000 }, stack);
    held.ben.child!.process.kill("SIGKILL");
    await held.ben.child!.exit();
    await answeredOnceByCy(held);
    assert.equal(await held.cy.child!.stop("SIGTERM"), 0, held.cy.child!.stderr);
  },
);

Deno.test(
  "a worker SIGSTOPped holding a grant and resumed after its lease lapsed stops before any further side effect",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    // ben's LLM answers with the write only when the test lets it, after ben is stopped.
    const release = Promise.withResolvers<void>();
    const held = await benHoldsTheGrant(
      async () => {
        await release.promise;
        return WRITE;
      },
      stack,
      () => release.resolve(),
    );
    const { ben, reader, taskId } = held;
    ben.child!.process.kill("SIGSTOP");
    try {
      await answeredOnceByCy(held);
      // The write is on its way to ben while it sleeps: the first thing it reads on waking.
      release.resolve();
    } finally {
      ben.child!.process.kill("SIGCONT");
    }
    const resumed = Date.now();
    // Awake, ben finds its grant lost (the last acknowledgement it reads answers a renewal sent more
    // than 2 intervals ago, and the requester revokes what it says of attempt 1): the run ends without writing or answering.
    await waitFor(
      () => reader.heartbeats("ben", resumed).some((beat) => beat.load.running === 0),
      "a heartbeat of ben's saying its run ended",
      {
        timeoutMs: 30_000,
        state: () => ({ beats: reader.heartbeats("ben"), ben: ben.child!.stderr }),
      },
    );
    await assert.rejects(Deno.stat(join(ben.home, "workspace", "once.txt")), Deno.errors.NotFound);
    const fromBen = reader.statuses(taskId).filter((s) => s.startsWith("ben:"));
    assert.ok(!fromBen.some((s) => /completed|failed/.test(s)), String(fromBen));
    assert.equal(reader.responses().filter((e) => e.correlation_id === taskId).length, 1);
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
    assert.equal(await held.cy.child!.stop("SIGTERM"), 0, held.cy.child!.stderr);
  },
);
