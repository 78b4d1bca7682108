import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";
import { parseRecord, topicsFor, topicSpecs } from "../../../../core/protocol/mod.ts";
import { ensureTopics, loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a key that is not UTF-8 reaches the parser as its bytes, and is refused, on a real broker",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const raw = new kafkajs.Kafka({ brokers, clientId: "kafclaw-test-raw", logLevel: 0 });
    const producer = raw.producer();
    try {
      const g = uniqueName("g").replace("-", "");
      const { requests } = topicsFor(g);
      await ensureTopics(t, topicSpecs(g).filter((spec) => spec.name === requests));
      // Decoded with replacement characters, the key would read "t\uFFFD": the task id.
      await producer.connect();
      await producer.send({
        topic: requests,
        messages: [
          {
            key: Buffer.from([0x74, 0xff]),
            value: requestRecord(requests, { id: "t\uFFFD", content: "c" }).value,
          },
          {
            key: Buffer.from("t-2"),
            value: requestRecord(requests, { id: "t-2", content: "c" }).value,
          },
        ],
      });
      const outcomes: string[] = [];
      const sub = await t.subscribe({
        kind: "stream",
        topics: [requests],
        groupId: uniqueName("key-reader"),
        fromBeginning: true,
        handler: (record) => {
          const parsed = parseRecord(record);
          outcomes.push(parsed.ok ? `ok ${parsed.key}` : parsed.error.message);
        },
      });
      const refusal =
        /^Cannot parse record from group\.g[0-9a-f]+\.requests@\d+:\d+: the key is not valid UTF-8$/;
      // Delivery is at least once, and a retried produce may write a record twice (at the next
      // offset): every copy is read the same way.
      await waitFor(
        () => outcomes.includes("ok t-2") && outcomes.some((outcome) => refusal.test(outcome)),
        "both records",
        { state: () => outcomes },
      );
      for (const outcome of outcomes) {
        assert.ok(outcome === "ok t-2" || refusal.test(outcome), outcome);
      }
      await sub.close();
    } finally {
      await producer.disconnect();
      await t.close();
    }
  },
);
