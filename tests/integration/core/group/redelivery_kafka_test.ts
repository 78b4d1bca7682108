/**
 * Redelivery after a crash against replay on the real broker (PROTOCOL.md, Replay; semantics of
 * at-least-once delivery). A signed worker in a process of its own takes a request, verifies it
 * (its replay table in its home's SQLite now holds the record's replay id) and starts thinking;
 * it is SIGKILLed before the offset is committed. Started again on the same home, it is handed the
 * same record again (same topic, partition and offset): that is a redelivery, not a replay, so it
 * answers it, once. A byte-identical copy appended afterwards at a new offset is a replay: dropped
 * and audited, never answered.
 */
import assert from "node:assert/strict";
import { type CertificateBundle, topicsFor } from "../../../../core/protocol/mod.ts";
import { type InboundRecord, KafkaTransport } from "../../../../core/transport/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { droppedIn } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { crashWorkerCommand } from "../../../_support/crash_worker.ts";
import {
  type AgentHome,
  agentHome,
  certify,
  makeGroup,
  startMember,
  type TestGroup,
} from "../../../_support/group_member.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();

function transport(id: string): KafkaTransport {
  return new KafkaTransport({ brokers, clientId: `kafclaw-${id}` });
}

/** A run of worker `home` in a process of its own, started (it printed `ready`). */
async function startWorker(
  g: TestGroup,
  home: AgentHome,
  certificate: CertificateBundle,
  llmUrl: string,
): Promise<Child> {
  const child = new Child(crashWorkerCommand({
    brokers,
    group: g.group,
    agentId: home.agentId,
    home: home.home,
    certificate,
    ownerPublicKey: g.init.ownerPublicKey,
    topics: g.topics,
    llmUrl,
    // Nothing it takes is committed while the test runs.
    commitMs: 600_000,
  }));
  // A run that ends before it is ready (refused at start, say) fails the test with its stderr.
  await waitFor(
    () => /^ready$/m.test(child.stdout) || child.exited !== undefined,
    `${home.agentId} ready`,
    { timeoutMs: 60_000, state: () => child.stderr },
  );
  assert.equal(child.exited, undefined, `${home.agentId} ended at start: ${child.stderr}`);
  return child;
}

Deno.test(
  "a request taken by a worker SIGKILLed before its commit is answered once by its restart; a re-appended copy is dropped and audited as a replay",
  opts,
  async () => {
    const group = uniqueName("redeliver").replaceAll("-", "");
    const owner = transport("owner");
    const bossSide = transport("boss");
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using wkHome = await agentHome("wk");
    const certificate = await certify(owner, g, wkHome);
    // The first turn thinks for ten minutes: the worker is killed in it.
    await using llm = await startFakeOpenAI({
      chat: [{ text: "never sent", delayMs: 600_000 }],
      fallback: { text: "answered after the restart" },
    });
    const boss = await startMember(bossSide, g, g.owner, g.init.certificate);
    const topics = topicsFor(group);
    const seen: InboundRecord[] = [];
    const reader = await followTopic(owner, [topics.requests, topics.responses], (r) => {
      seen.push(r);
    });
    const of = (topic: string, taskId: string) =>
      seen.filter((r) => r.topic === topic && decoder.decode(r.value).includes(taskId));
    const first = await startWorker(g, wkHome, certificate, llm.url);
    let second: Child | undefined;
    try {
      const taskId = crypto.randomUUID();
      const envelope = {
        type: "request",
        correlation_id: taskId,
        sender_id: "boss",
        timestamp: new Date().toISOString(),
        payload: taskPayload("boss", { task_id: taskId, content: "answer me", arbiter: "none" }),
      };
      await boss.send([{ topic: topics.requests, key: taskId, value: JSON.stringify(envelope) }]);
      await waitFor(() => llm.chatRequests().length === 1, "the worker thinking on the task", {
        timeoutMs: 60_000,
        state: () => ({ stderr: first.stderr, audits: droppedIn(wkHome.timeline) }),
      });
      assert.ok(wkHome.timeline.replay.count() > 0, "the request's replay id is stored");
      first.process.kill("SIGKILL");
      await first.exit();
      // Its consumers leave the group when their session ends; then it may start again.
      await waitFor(
        // A broker busy with the group may not answer at once: that is "not yet".
        async () => (await owner.groupMembers(`kafclaw.${group}.wk`).catch(() => 1)) === 0,
        "the killed run's consumers gone",
        { timeoutMs: 30_000 },
      );
      second = await startWorker(g, wkHome, certificate, llm.url);
      const run = second;
      await waitFor(() => of(topics.responses, taskId).length > 0, "the answer of the restart", {
        timeoutMs: 60_000,
        state: () => ({ audits: droppedIn(wkHome.timeline), stderr: run.stderr }),
      });
      const [response] = of(topics.responses, taskId);
      const answer = JSON.parse(decoder.decode(response!.value));
      assert.equal(answer.sender_id, "wk");
      assert.equal(answer.payload.content, "answered after the restart");
      assert.deepEqual(droppedIn(wkHome.timeline), []);
      assert.equal(llm.chatRequests().length, 2);

      // An attacker appends the very same bytes again: a new offset, the same record.
      const [request] = of(topics.requests, taskId);
      await owner.produce([{
        topic: request!.topic,
        key: taskId,
        value: request!.value,
        headers: request!.headers,
      }]);
      await waitFor(
        () => droppedIn(wkHome.timeline).includes("replay_dropped/replay/boss"),
        "the copy dropped as a replay and audited",
        {
          timeoutMs: 30_000,
          state: () => ({ audits: droppedIn(wkHome.timeline), stderr: run.stderr }),
        },
      );
      await waitFor(() => of(topics.requests, taskId).length === 2, "the copy on the topic");
      assert.equal(of(topics.responses, taskId).length, 1);
      assert.equal(llm.chatRequests().length, 2);
    } finally {
      await first[Symbol.asyncDispose]();
      await second?.[Symbol.asyncDispose]();
      await reader.close();
      await boss.leave();
      await Promise.all([owner.close(), bossSide.close()]);
    }
  },
);
