/**
 * Two worker gateway processes claiming one attempt, on the real broker (PROTOCOL.md, semantics
 * 3): the requester sends the same attempt to both inboxes, as a requester that re-sent a request
 * would. Both claim it, both think; the first claim gets the grant, the other `revoked`, and only
 * the holder writes (a tier-1 tool, vouched certificates) and answers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TaskRecords } from "../../../../core/group/mod.ts";
import { agentInbox } from "../../../../core/protocol/mod.ts";
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

Deno.test(
  "two gateway processes claim one attempt: both claims are seen, one gets the grant, the other stops without a side effect",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("gwc", stack);
    // Each worker's LLM asks to write only once both claims are on the stream, so that a loser
    // that got as far as thinking is still thinking when its revocation comes.
    const bothClaimed = Promise.withResolvers<void>();
    const write = async () => {
      await bothClaimed.promise;
      return {
        toolCalls: [{ id: "w", name: "write_file", arguments: { path: "once.txt", content: "x" } }],
      };
    };
    const workers = [
      stack.use(await gateway(group, "ben", pinned, [write, { text: "written by ben" }])),
      stack.use(await gateway(group, "cy", pinned, [write, { text: "written by cy" }])),
    ];
    stack.defer(() => bothClaimed.resolve());
    await vouchAndStart(boss.env, workers);
    const { gateway: requester } = stack.use(await requesterGateway(group, boss.env, pinned));
    await untilLive(requester, 3);
    const reader = stack.use(await taskReader(group));
    const taskId = crypto.randomUUID();
    const request = {
      type: "request" as const,
      payload: taskPayload("req", { task_id: taskId, content: "write once.txt" }),
      taint: "trusted" as const,
    };
    await requester.tasks.requester.send(request, { topic: agentInbox(group, "ben") });
    // The same attempt, signed by the requester, in cy's inbox too.
    const copy = new TaskRecords("req").request(agentInbox(group, "cy"), request);
    await requester.membership.send([copy]);
    await waitFor(
      () => ["ben:claimed@1", "cy:claimed@1"].every((s) => reader.statuses(taskId).includes(s)),
      "both claims of attempt 1",
      { timeoutMs: 60_000, state: () => reader.statuses(taskId) },
    );
    bothClaimed.resolve();
    const answer = await answerWithin(requester, taskId, 60_000);
    assert.equal(answer.status, "completed");
    const winner = workers.find((w) => w.id === answer.responderId)!;
    const loser = workers.find((w) => w !== winner)!;
    assert.equal(answer.content, `written by ${winner.id}`);
    // The requester's word: the grant to the first claimant, `revoked` to the other.
    const word = (status: string) =>
      reader.seen.flatMap((e) =>
        e.type === "task_status" && e.correlation_id === taskId && e.sender_id === "req" &&
          e.payload.status === status && e.payload.attempt === 1
          ? [e.payload.worker_id]
          : []
      );
    await waitFor(
      () => word("assigned").length > 0 && word("revoked").length > 0,
      "the requester's word on both claims",
    );
    assert.deepEqual([...new Set(word("assigned"))], [winner.id]);
    assert.deepEqual([...new Set(word("revoked"))], [loser.id]);
    assert.equal(await Deno.readTextFile(join(winner.home, "workspace", "once.txt")), "x");
    // The loser's run ends: its heartbeat says so, and it wrote nothing and answered nothing.
    const revokedAt = Date.now();
    await waitFor(
      () => reader.heartbeats(loser.id, revokedAt).some((beat) => beat.load.running === 0),
      `a heartbeat of ${loser.id}'s saying its run ended`,
      { timeoutMs: 30_000 },
    );
    await assert.rejects(
      Deno.stat(join(loser.home, "workspace", "once.txt")),
      Deno.errors.NotFound,
    );
    assert.ok(
      !reader.statuses(taskId).some((s) => s.startsWith(`${loser.id}:completed`)),
      String(reader.statuses(taskId)),
    );
    const responses = () => reader.responses().filter((e) => e.correlation_id === taskId);
    await waitFor(() => responses().length > 0, "the response on the wire");
    assert.equal(responses().length, 1);
    for (const worker of workers) {
      assert.equal(await worker.child!.stop("SIGTERM"), 0, worker.child!.stderr);
    }
  },
);
