/**
 * A task whose turn never ends, on the real broker: the LLM never answers. Past the task's
 * deadline and the clock skew allowed, the worker stops the run: the requester gets a `failed`
 * response that says why, and the record is released, so the commit of its partition moves past
 * it and past the task answered behind it (else a restart would redo every later record of the
 * partition).
 *
 * On the old intake the run went on for ever: no answer came, and the partition's commit stayed
 * behind the stuck task.
 */
import assert from "node:assert/strict";
import { DEFAULT_TASK_LIMITS } from "../../../../core/group/mod.ts";
import { topicsFor, topicSpec, workersConsumerGroup } from "../../../../core/protocol/mod.ts";
import { loadKafka, partitionForKey } from "../../../../core/transport/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { committedAt, testBrokers } from "../../../_support/broker.ts";
import { requestRecord, startGroupWorker } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafka: a task whose LLM never answers is stopped past its deadline and the clock skew, answered failed with the reason, and its record released",
  opts,
  async () => {
    await using llm = await startFakeOpenAI({ chat: [{ hang: true }], fallback: { text: "done" } });
    const group = uniqueName("dl").replaceAll("-", "");
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const skewMs = 1_000;
      await using worker = await startGroupWorker(transport, {
        group,
        agentId: "deno-1",
        llm,
        limits: { ...DEFAULT_TASK_LIMITS, clockSkewMs: skewMs },
      });
      const topics = topicsFor(group);
      const partitions = topicSpec(topics.requests).partitions;
      const stuck = "stuck-task";
      let after = "after-0";
      for (
        let i = 1;
        partitionForKey(after, partitions) !== partitionForKey(stuck, partitions);
        i++
      ) {
        after = `after-${i}`;
      }
      const deadline = new Date(Date.now() + 3_000);
      await transport.produce([requestRecord(topics.requests, {
        id: stuck,
        content: "Think for ever",
        from: "sh-agent",
        deadline: deadline.toISOString(),
      })]);
      await waitFor(() => llm.chatRequests().length === 1, "the worker thinking on the task");
      // A task behind it on the same partition, answered at once.
      await transport.produce([
        requestRecord(topics.requests, { id: after, content: "Quick one", from: "sh-agent" }),
      ]);
      const answer = (id: string) =>
        worker.responses.find((r) => r.envelope.correlation_id === id)?.envelope;
      await waitFor(() => answer(after) !== undefined, "the task behind it answered");
      await waitFor(() => answer(stuck) !== undefined, "the stuck task's answer", {
        timeoutMs: 30_000,
      });
      const stopped = answer(stuck)!;
      assert.equal(stopped.type, "response");
      if (stopped.type !== "response") return;
      assert.equal(stopped.payload.status, "failed");
      assert.match(
        stopped.payload.reason ?? "",
        new RegExp(`deadline ${deadline.toISOString()} passed \\(with 1000 ms allowed`),
      );
      assert.ok(
        Date.parse(stopped.timestamp) >= deadline.getTime() + skewMs,
        "not stopped before its deadline and the skew",
      );
      // Both records released: the commit moves past the stuck task and the one behind it.
      await waitFor(
        async () =>
          await committedAt(
            workersConsumerGroup(group),
            topics.requests,
            partitionForKey(stuck, partitions),
          ) === 2,
        "the partition committed past both tasks",
        { timeoutMs: 30_000 },
      );
      assert.equal(llm.chatRequests().length, 2, "each task thought about once");
    } finally {
      await transport.close();
    }
  },
);
