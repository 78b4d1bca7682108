/**
 * Redelivery after a crash on the real broker (PROTOCOL.md, Replay; semantics of at-least-once
 * delivery). A signed worker in a process of its own takes a request, verifies it (its replay
 * table in its home's SQLite now holds the record's replay id) and starts thinking; it is
 * SIGKILLed in the turn. Started again on the same home, it is handed the same record again (same
 * topic, partition and offset): that is a redelivery, not a replay, so it answers it, once. A
 * byte-identical copy appended afterwards at a new offset is a replay: dropped and audited, never
 * answered. And the worker's commits never pass a task whose turn still runs, however long it
 * runs and however many other tasks it answered and committed meanwhile.
 */
import assert from "node:assert/strict";
import { topicsFor, workersConsumerGroup } from "../../../../core/protocol/mod.ts";
import {
  type InboundRecord,
  loadKafka,
  type OutboundRecord,
  partitionForKey,
} from "../../../../core/transport/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { droppedIn } from "../../../_support/audit.ts";
import { committedAt, testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { crashWorkerCommand } from "../../../_support/crash_worker.ts";
import { agentHome, certify, makeGroup, startMember } from "../../../_support/group_member.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();
/** A commit interval longer than any test: nothing a worker takes is committed meanwhile. */
const NEVER = 600_000;

function transport(id: string): KafkaTransport {
  return new KafkaTransport({ brokers, clientId: `kafclaw-${id}` });
}

/**
 * A signed group with requester `boss`, worker `wk` (a home kept across its runs, each a process
 * of its own), a fake LLM whose first turn is held for ten minutes (the worker is killed in it)
 * and whose later turns answer `answer` at once, and a reader of the requests and responses.
 */
async function stage(name: string, answer: string) {
  const group = uniqueName(name).replaceAll("-", "");
  const owner = transport("owner");
  const bossSide = transport("boss");
  const g = await makeGroup(owner, group, { replicationFactor: 1 });
  const wkHome = await agentHome("wk");
  const certificate = await certify(owner, g, wkHome);
  const llm = await startFakeOpenAI({
    chat: [{ text: "never sent", delayMs: 600_000 }],
    fallback: { text: answer },
  });
  const boss = await startMember(bossSide, g, g.owner, g.init.certificate);
  const topics = topicsFor(group);
  const seen: InboundRecord[] = [];
  const reader = await followTopic(owner, [topics.requests, topics.responses], (r) => {
    seen.push(r);
  });
  const runs: Child[] = [];
  const state = () => ({ audits: droppedIn(wkHome.timeline), stderr: runs.at(-1)?.stderr });

  /** A run of the worker committing within `commitMs`, started (it printed `ready`). */
  async function startWorker(commitMs: number): Promise<Child> {
    const child = new Child(crashWorkerCommand({
      brokers,
      group,
      agentId: wkHome.agentId,
      home: wkHome.home,
      certificate,
      ownerPublicKey: g.init.ownerPublicKey,
      topics: g.topics,
      llmUrl: llm.url,
      commitMs,
    }));
    runs.push(child);
    // A run that ends before it is ready (refused at start, say) fails the test with its stderr.
    await waitFor(
      () => /^ready$/m.test(child.stdout) || child.exited !== undefined,
      "wk ready",
      { timeoutMs: 60_000, state: () => child.stderr },
    );
    assert.equal(child.exited, undefined, `wk ended at start: ${child.stderr}`);
    return child;
  }

  return {
    g,
    owner,
    wkHome,
    llm,
    topics,
    state,
    startWorker,
    /** The records on `topic` of task `taskId`. */
    of: (topic: string, taskId: string) =>
      seen.filter((r) => r.topic === topic && decoder.decode(r.value).includes(taskId)),
    /** Sends a request of the boss's, with arbiter `none`. */
    request: (taskId: string) => {
      const record: OutboundRecord = {
        topic: topics.requests,
        key: taskId,
        value: JSON.stringify({
          type: "request",
          correlation_id: taskId,
          sender_id: "boss",
          timestamp: new Date().toISOString(),
          payload: taskPayload("boss", { task_id: taskId, content: "answer me", arbiter: "none" }),
        }),
      };
      return boss.send([record]);
    },
    /** Kills `run` and waits until its consumers have left the group, so it may start again. */
    async kill(run: Child): Promise<void> {
      run.process.kill("SIGKILL");
      await run.exit();
      await waitFor(
        // A broker busy with the group may not answer at once: that is "not yet".
        async () => (await owner.groupMembers(`kafclaw.${group}.wk`).catch(() => 1)) === 0,
        "the killed run's consumers gone",
        { timeoutMs: 30_000 },
      );
    },
    async [Symbol.asyncDispose](): Promise<void> {
      for (const run of runs) await run[Symbol.asyncDispose]();
      await reader.close();
      await boss.leave();
      await Promise.all([owner.close(), bossSide.close()]);
      await llm[Symbol.asyncDispose]();
      await wkHome[Symbol.asyncDispose]();
      await g.owner[Symbol.asyncDispose]();
    },
  };
}

Deno.test(
  "a request taken by a worker SIGKILLed before its commit is answered once by its restart; a re-appended copy is dropped and audited as a replay",
  opts,
  async () => {
    await using s = await stage("redeliver", "answered after the restart");
    const { topics, wkHome, llm, of, state } = s;
    const first = await s.startWorker(NEVER);
    const taskId = crypto.randomUUID();
    await s.request(taskId);
    await waitFor(() => llm.chatRequests().length === 1, "the worker thinking on the task", {
      timeoutMs: 60_000,
      state,
    });
    assert.ok(wkHome.timeline.replay.count() > 0, "the request's replay id is stored");
    await s.kill(first);
    await s.startWorker(NEVER);
    await waitFor(() => of(topics.responses, taskId).length > 0, "the answer of the restart", {
      timeoutMs: 60_000,
      state,
    });
    const [response] = of(topics.responses, taskId);
    const answer = JSON.parse(decoder.decode(response!.value));
    assert.equal(answer.sender_id, "wk");
    assert.equal(answer.payload.content, "answered after the restart");
    assert.deepEqual(droppedIn(wkHome.timeline), []);
    assert.equal(llm.chatRequests().length, 2);

    // An attacker appends the very same bytes again: a new offset, the same record.
    const [request] = of(topics.requests, taskId);
    await s.owner.produce([{
      topic: request!.topic,
      key: taskId,
      value: request!.value,
      headers: request!.headers,
    }]);
    await waitFor(
      () => droppedIn(wkHome.timeline).includes("replay_dropped/replay/boss"),
      "the copy dropped as a replay and audited",
      { timeoutMs: 30_000, state },
    );
    await waitFor(() => of(topics.requests, taskId).length === 2, "the copy on the topic");
    assert.equal(of(topics.responses, taskId).length, 1);
    assert.equal(llm.chatRequests().length, 2);
  },
);

Deno.test(
  "a task whose turn was running when its worker was SIGKILLed, after the worker's commits went on, is answered once by its restart (arbiter none)",
  opts,
  async () => {
    await using s = await stage("midturn", "answered at once");
    const { topics, wkHome, llm, of, state } = s;
    // The worker commits what is finished within 300 ms.
    const first = await s.startWorker(300);
    const held = crypto.randomUUID();
    await s.request(held);
    await waitFor(() => llm.chatRequests().length === 1, "the worker in the held turn", {
      timeoutMs: 60_000,
      state,
    });
    // A quick task on another partition, answered and its offset committed, proves that the
    // worker's commits went on while the held turn ran.
    const partitions = s.g.topics.workPartitions!;
    let quick = crypto.randomUUID();
    while (partitionForKey(quick, partitions) === partitionForKey(held, partitions)) {
      quick = crypto.randomUUID();
    }
    await s.request(quick);
    await waitFor(() => of(topics.responses, quick).length === 1, "the quick task's answer", {
      timeoutMs: 60_000,
      state,
    });
    const [heldRecord] = of(topics.requests, held);
    const [quickRecord] = of(topics.requests, quick);
    assert.notEqual(quickRecord!.partition, heldRecord!.partition);
    const workers = workersConsumerGroup(s.g.group);
    const committedPast = async (record: InboundRecord) =>
      await committedAt(workers, record.topic, record.partition) > Number(record.offset);
    await waitFor(() => committedPast(quickRecord!), "the quick task's offset committed", {
      timeoutMs: 30_000,
    });
    assert.equal(
      await committedPast(heldRecord!),
      false,
      "the held task's offset is not committed while its turn runs",
    );
    await s.kill(first);
    await s.startWorker(300);
    await waitFor(() => of(topics.responses, held).length > 0, "the held task answered", {
      timeoutMs: 60_000,
      state,
    });
    const answer = JSON.parse(decoder.decode(of(topics.responses, held)[0]!.value));
    assert.equal(answer.payload.content, "answered at once");
    await waitFor(() => committedPast(heldRecord!), "the held task's offset committed", {
      timeoutMs: 30_000,
    });
    assert.equal(of(topics.responses, held).length, 1, "the held task answered once");
    assert.equal(of(topics.responses, quick).length, 1, "the quick task not run again");
    assert.equal(llm.chatRequests().length, 3, "held, quick, then held again");
    assert.deepEqual(droppedIn(wkHome.timeline), []);
  },
);
