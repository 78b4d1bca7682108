/**
 * A batch the consumer cannot decode does not stop its partition. The broker accepts a zstd batch
 * whose frame asks for a 72 MiB window (zstd allows 128 MiB), which the transport refuses to
 * allocate (more than 64 MiB); kafkajs alone would fetch that offset again forever, and nothing
 * after it would arrive. The records after it arrive, and the batch's offsets are dead-lettered
 * once, with the error.
 */
import assert from "node:assert/strict";
import { type DeadLetter, loadKafka, type SkippedBatch } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { produceUndecodable } from "../../../_support/undecodable.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a batch that cannot be decoded is dead-lettered as a range and the records after it arrive",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = uniqueName("undecodable");
      const dlt = uniqueName("undecodable-dlt");
      const config = { "cleanup.policy": "delete" };
      await t.createTopics([
        { name: topic, partitions: 1, replicationFactor: 1, config },
        { name: dlt, partitions: 1, replicationFactor: 1, config },
      ]);
      await t.produce([{ topic, key: "before", value: "good" }]);
      await produceUndecodable(brokers, topic, ["bad-1", "bad-2", "bad-3"]);
      await t.produce(["after-1", "after-2"].map((key) => ({ topic, key, value: "good" })));

      const seen: string[] = [];
      const letters: DeadLetter[] = [];
      const told: SkippedBatch[] = [];
      const sub = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("undecodable-workers"),
        deadLetterTopic: dlt,
        handler: (r) => void seen.push(String(r.key)),
        onUndecodable: (batch) => void told.push(batch),
      });
      const reader = await followTopic(t, dlt, (r) => {
        letters.push(JSON.parse(new TextDecoder().decode(r.value)));
      });
      await waitFor(
        () => seen.length >= 3 && letters.length >= 1,
        "the good records and a letter",
        {
          state: () => ({ seen, letters, stats: sub.stats }),
        },
      );
      assert.deepEqual(seen, ["before", "after-1", "after-2"]);
      assert.equal(letters.length, 1);
      const letter = letters[0]!;
      assert.equal(letter.topic, topic);
      assert.equal(letter.partition, 0);
      assert.equal(letter.offset, "1");
      assert.equal(letter.last_offset, "3");
      assert.equal(letter.value_sha256, null);
      assert.match(letter.reason, /could not be decoded: .*zstd.*67108864 bytes/);
      assert.equal(sub.stats.undecodable, 1);
      assert.deepEqual(told, [{
        topic,
        partition: 0,
        firstOffset: "1",
        lastOffset: "3",
        reason: told[0]?.reason,
      }]);
      assert.match(told[0]!.reason, /zstd/);
      assert.equal(sub.stats.deadLettered, 1);
      await reader.close();
      await sub.close();
    } finally {
      await t.close();
    }
  },
);
