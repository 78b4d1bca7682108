import assert from "node:assert/strict";
import {
  deadLetterTopicFor,
  parseRecord,
  topicsFor,
  topicSpecs,
  workersConsumerGroup,
} from "../../../../core/protocol/mod.ts";
import { ensureTopics, type InboundRecord, loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const groupName = () => uniqueName("g").replace("-", "");

Deno.test(
  "a group's whole topic set is created on a real broker exactly as specified",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const g = groupName();
      const specs = topicSpecs(g, {
        skills: ["summarize"],
        zones: ["finance"],
        agents: ["agent-a"],
      });
      await ensureTopics(t, specs);
      assert.deepEqual(
        await t.verifyTopics(specs),
        [],
        "the broker keeps every setting we asked for",
      );
      assert.deepEqual(await t.createTopics(specs), [], "a second start creates nothing");
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "a malformed envelope on the requests topic is dead-lettered with the parser's reason",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const g = groupName();
      const topics = topicsFor(g);
      await ensureTopics(t, topicSpecs(g));
      const accepted: string[] = [];
      const sub = await t.subscribe({
        kind: "work",
        topics: [topics.requests],
        groupId: workersConsumerGroup(g),
        deadLetterTopic: deadLetterTopicFor(topics.requests)!,
        handler: (r) => {
          const parsed = parseRecord(r);
          if (!parsed.ok) return { poison: parsed.error.message };
          accepted.push(parsed.envelope.correlation_id);
          return undefined;
        },
      });
      const letters: InboundRecord[] = [];
      const watcher = await t.subscribe({
        kind: "stream",
        topics: [topics.deadLetter],
        groupId: uniqueName("dlq-reader"),
        fromBeginning: true,
        handler: (r) => void letters.push(r),
      });
      const request = (id: string) =>
        JSON.stringify({
          type: "request",
          correlation_id: id,
          sender_id: "py-worker",
          timestamp: new Date().toISOString(),
          payload: { task_id: id, description: "d", content: "c", requester_id: "py-worker" },
        });
      await t.produce([
        { topic: topics.requests, key: "task-1", value: request("task-1") },
        { topic: topics.requests, key: "task-2", value: '{"type":"request","type":"x"}' },
        { topic: topics.requests, key: "task-3", value: request("task-3") },
      ]);
      await waitFor(() => accepted.length === 2 && letters.length === 1, "2 accepted, 1 letter", {
        state: () => [accepted, letters.length],
      });
      const letter = JSON.parse(new TextDecoder().decode(letters[0]!.value));
      assert.equal(letter.topic, topics.requests);
      assert.match(
        letter.reason,
        /^Cannot parse envelope from group\.g[0-9a-f]+\.requests@\d+:0: "type" appears twice$/,
      );
      assert.deepEqual(accepted.sort(), ["task-1", "task-3"]);
      await Promise.all([sub.close(), watcher.close()]);
    } finally {
      await t.close();
    }
  },
);
