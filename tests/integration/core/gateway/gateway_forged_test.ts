/**
 * What a requester gateway reads of its own tasks in a signed group, on the real broker: the
 * statuses and responses of its workers are verified before its requester acts on them, so a
 * response or a status in a worker's name, signed with a key the owner never certified, neither
 * answers the task nor moves it on; both are audited, and the real holder's answer is kept.
 */
import assert from "node:assert/strict";
import { TaskRecords } from "../../../../core/group/mod.ts";
import {
  agentInbox,
  generateKeyPair,
  signRecord,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { KafkaTransport } from "../../../../core/transport/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  signedGroup,
  taskReader,
  vouchAndStart,
} from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { waitFor } from "../../../_support/wait.ts";

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a signed requester takes neither a forged response nor a forged status of its task: both are audited, the holder's answer is kept",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("gwf", stack);
    // Ben thinks until the forged records have been dealt with.
    const release = Promise.withResolvers<void>();
    const held = async () => {
      await release.promise;
      return { text: "the real answer" };
    };
    const ben = stack.use(await gateway(group, "ben", pinned, [held]));
    // Before ben's fake LLM closes, which waits for the call it holds.
    stack.defer(() => release.resolve());
    await vouchAndStart(boss.env, [ben]);
    const { gateway: requester } = stack.use(await requesterGateway(group, boss.env, pinned));
    const reader = stack.use(await taskReader(group));
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    stack.defer(() => transport.close());
    const audit = await followAudit(transport, group);
    stack.defer(() => audit.close());

    const taskId = crypto.randomUUID();
    await requester.tasks.requester.send({
      type: "request",
      payload: taskPayload("req", { task_id: taskId, content: "what is the answer?" }),
      taint: "trusted",
    }, { topic: agentInbox(group, "ben") });
    await waitFor(() => reader.statuses(taskId).includes("ben:claimed@1"), "ben's claim", {
      timeoutMs: 60_000,
      state: () => reader.statuses(taskId),
    });

    // In ben's name, signed with a key nobody certified: an answer, and a decline that would
    // send the task on to another worker.
    const forger = await generateKeyPair();
    const records = new TaskRecords("ben");
    const place = { group };
    const forged = [
      records.response(place, { taskId, attempt: 1, skill: false }, {
        content: "a forged answer",
        status: "completed",
        taint: "trusted",
      }),
      ...records.status(place, { taskId, attempt: 1, workerId: "ben", status: "declined" }),
    ];
    for (const record of forged) {
      const headers = await signRecord(record, { keyId: "ben", privateKey: forger.privateKey });
      await transport.produce([{ ...record, headers }]);
    }
    const topics = topicsFor(group);
    const refused = () =>
      audit.seen.filter((a) =>
        a.sender === "req" && a.event_type === "signature_invalid" && a.agent_id === "ben" &&
        a.code === "bad_signature"
      ).map((a) => a.topic);
    await waitFor(
      () => [topics.responses, topics.tasksStatus].every((t) => refused().includes(t)),
      "the requester to audit the forged response and status",
      {
        timeoutMs: 30_000,
        state: () => ({ audit: audit.seen, statuses: reader.statuses(taskId) }),
      },
    );
    // Neither moved the task: it is still ben's first attempt, unanswered.
    const followed = requester.runtime.timeline.groupTasks.outgoing(taskId);
    assert.equal(followed?.attempt, 1, JSON.stringify(followed));
    assert.equal(followed?.workerId, "ben", JSON.stringify(followed));
    assert.equal(followed?.responseContent ?? null, null, JSON.stringify(followed));

    release.resolve();
    const answer = await answerWithin(requester, taskId, 60_000);
    assert.equal(answer.status, "completed");
    assert.equal(answer.responderId, "ben");
    assert.equal(answer.content, "the real answer");
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
  },
);
