/**
 * Trust on a gateway's task paths in a signed group, on the real broker: the statuses and
 * responses of a requester's workers are verified before its requester acts on them, so a
 * response or a status in a worker's name, signed with a key the owner never certified, neither
 * answers the task nor moves it on (both are audited, and the real holder's answer is kept); and a
 * worker holds a request whose sender's certificate it has not seen yet until the certificate
 * comes, instead of dead-lettering it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ownerKey, TaskRecords } from "../../../../core/group/mod.ts";
import {
  agentInbox,
  generateKeyPair,
  signRecord,
  topicsFor,
  topicSpec,
} from "../../../../core/protocol/mod.ts";
import { loadKafka, partitionForKey } from "../../../../core/transport/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { memberCertificate } from "../../../_support/certificates.ts";
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

const { KafkaTransport } = await loadKafka();

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

Deno.test(
  "a worker gateway holds a newcomer's request until the newcomer's certificate comes, then takes it",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("gwp", stack);
    const ben = stack.use(await gateway(group, "ben", pinned));
    await vouchAndStart(boss.env, [ben]);
    const reader = stack.use(await taskReader(group));
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    stack.defer(() => transport.close());
    // A newcomer the owner certified, whose certificate is on no roster record yet.
    const owner = (await ownerKey(join(boss.home, "identity")))!;
    const nina = await generateKeyPair();
    const certificate = await memberCertificate(owner.privateKey, "nina", nina.publicKey);
    const signer = { keyId: "nina", privateKey: nina.privateKey, certificate };
    const request = async (taskId: string, attachCertificate: boolean) => {
      const record = new TaskRecords("nina").request(agentInbox(group, "ben"), {
        type: "request",
        payload: taskPayload("nina", { task_id: taskId, content: "hello", arbiter: "none" }),
        taint: "untrusted",
      });
      const headers = await signRecord(record, signer, { attachCertificate });
      await transport.produce([{ ...record, headers }]);
    };
    // Both on one partition of ben's inbox, so ben reads the first before the second.
    const partitions = topicSpec(agentInbox(group, "ben")).partitions;
    const first = crypto.randomUUID();
    let second = crypto.randomUUID();
    while (partitionForKey(second, partitions) !== partitionForKey(first, partitions)) {
      second = crypto.randomUUID();
    }
    await request(first, false);
    // The same sender's next request carries the certificate: ben learns it, and the first one,
    // waiting, goes on.
    await request(second, true);
    for (const taskId of [second, first]) {
      await waitFor(
        () => reader.statuses(taskId).includes("ben:completed@1"),
        `${taskId} answered`,
        {
          timeoutMs: 60_000,
          state: () => ({ first: reader.statuses(first), second: reader.statuses(second) }),
        },
      );
    }
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
  },
);
