/**
 * State topics read in no consumer group, on the real broker (a broker keeps a new group waiting
 * for `group.initial.rebalance.delay.ms`, 3 s unless set, so every state read paid that wait). A
 * whole read: every record the topics held when it began, each partition's in order, once;
 * compressed batches, batches that do not decode and aborted transactions read as a consumer
 * reads them. A state subscription: it holds its records while paused or while its work is full,
 * and its close waits for that work.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import {
  type HandlerResult,
  type InboundRecord,
  loadKafka,
  type SkippedBatch,
  TopicMissingError,
} from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { produceUndecodable } from "../../../_support/undecodable.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransportT = InstanceType<typeof KafkaTransport>;
const { CompressionTypes, Kafka } = kafkajs;

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const config = { "cleanup.policy": "delete" };
const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes ?? new Uint8Array());

/** A raw kafkajs client, for what the transport never writes (gzip batches, transactions). */
const rawKafka = () => new Kafka({ brokers, clientId: "whole-read-test", logLevel: 0 });

Deno.test(
  "a whole read hands over each record held when it began, once and in order, in no group",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const producer = rawKafka().producer();
    try {
      const [spread, single] = [uniqueName("whole-spread"), uniqueName("whole-single")];
      await t.createTopics([
        { name: spread, partitions: 3, replicationFactor: 1, config },
        { name: single, partitions: 1, replicationFactor: 1, config },
      ]);
      await t.produce(
        Array.from({ length: 30 }, (_, i) => ({ topic: spread, key: `k${i}`, value: `v${i}` })),
      );
      // One gzip batch of five: fetched whole, its offsets checked one by one.
      await producer.connect();
      await producer.send({
        topic: single,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 5 }, (_, i) => ({ key: `z${i}`, value: `zipped ${i}` })),
      });
      await t.produce([{ topic: single, key: "plain", value: "plain" }]);

      const label = uniqueName("whole-reader");
      const seen: InboundRecord[] = [];
      let groupsDuringRead: string[] | undefined;
      await t.readWhole({
        topics: [spread, single],
        groupId: label,
        handler: async (record) => {
          if (seen.length === 0) {
            groupsDuringRead = await t.listGroups(label);
            // Appended after the read began: not part of it.
            await t.produce([{ topic: single, key: "later", value: "later" }]);
          }
          seen.push(record);
        },
      });

      assert.deepEqual(groupsDuringRead, [], "no consumer group while the read runs");
      assert.equal(seen.length, 36);
      const values = seen.map((r) => text(r.value)).sort();
      const expected = [
        ...Array.from({ length: 30 }, (_, i) => `v${i}`),
        ...Array.from({ length: 5 }, (_, i) => `zipped ${i}`),
        "plain",
      ].sort();
      assert.deepEqual(values, expected);
      for (const [topic, partitions] of [[spread, 3], [single, 1]] as const) {
        for (let partition = 0; partition < partitions; partition++) {
          const offsets = seen.filter((r) => r.topic === topic && r.partition === partition)
            .map((r) => Number(r.offset));
          assert.deepEqual(offsets, offsets.map((_, i) => i), `${topic}:${partition} in order`);
        }
      }
      assert.deepEqual(
        seen.filter((r) => r.topic === single).map((r) => r.key),
        ["z0", "z1", "z2", "z3", "z4", "plain"],
      );
    } finally {
      await producer.disconnect();
      await t.close();
    }
  },
);

/**
 * Runs `fill` on a new one-partition topic, then reads it whole, each record's key to `seen` and
 * then `afterEach` (or each record to `handler`), and returns the keys and the batches told as
 * skipped.
 */
async function readOne(
  prefix: string,
  fill: (t: KafkaTransportT, topic: string) => Promise<void>,
  handler?: (record: InboundRecord) => HandlerResult,
  afterEach?: (topic: string, key: string) => Promise<void>,
): Promise<{ seen: string[]; told: SkippedBatch[] }> {
  const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
  try {
    const topic = uniqueName(prefix);
    await t.createTopics([{ name: topic, partitions: 1, replicationFactor: 1, config }]);
    await fill(t, topic);
    const seen: string[] = [];
    const told: SkippedBatch[] = [];
    await t.readWhole({
      topics: [topic],
      groupId: uniqueName(`${prefix}-reader`),
      handler: handler ?? (async (record) => {
        seen.push(String(record.key));
        await afterEach?.(topic, String(record.key));
      }),
      onUndecodable: (batch) => void told.push(batch),
    });
    return { seen, told };
  } finally {
    await t.close();
  }
}

Deno.test("a whole read ends once the work its handler handed back has ended", opts, async () => {
  const done: string[] = [];
  await readOne(
    "whole-work",
    (t, topic) => t.produce(["a", "b", "c"].map((key) => ({ topic, key, value: key }))),
    (record) => ({
      work: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        done.push(String(record.key));
      },
    }),
  );
  assert.deepEqual(done.sort(), ["a", "b", "c"]);
});

Deno.test("a whole read of a topic that does not exist names it", opts, async () => {
  const t = new KafkaTransport({ brokers, clientId: "kafclaw-test", patience: "command" });
  try {
    const topic = uniqueName("whole-missing");
    const error = await t.readWhole({ topics: [topic], groupId: "g", handler: () => {} })
      .then(() => undefined, (e) => e);
    assert.ok(error instanceof TopicMissingError, String(error));
    assert.equal(error.topic, topic);
  } finally {
    await t.close();
  }
});

Deno.test(
  "a whole read skips a batch that does not decode, tells it, and reads the records after it",
  opts,
  async () => {
    const { seen, told } = await readOne("whole-undecodable", async (t, topic) => {
      await t.produce([{ topic, key: "before", value: "good" }]);
      await produceUndecodable(brokers, topic, ["bad-1", "bad-2"]);
      await t.produce([{ topic, key: "after", value: "good" }]);
    });
    assert.deepEqual(seen, ["before", "after"]);
    assert.deepEqual(told.map((b) => [b.firstOffset, b.lastOffset]), [["1", "2"]]);
    assert.match(told[0]!.reason, /zstd/);
  },
);

Deno.test(
  "a whole read leaves out the records of an aborted transaction and keeps a committed one's",
  opts,
  async () => {
    const producer = rawKafka().producer({
      transactionalId: uniqueName("whole-txn"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      const { seen } = await readOne("whole-txn", async (t, topic) => {
        await producer.connect();
        const aborted = await producer.transaction();
        await aborted.send({
          topic,
          messages: [{ key: "aborted-1", value: "x" }, { key: "aborted-2", value: "x" }],
        });
        await aborted.abort();
        const committed = await producer.transaction();
        await committed.send({ topic, messages: [{ key: "committed", value: "x" }] });
        await committed.commit();
        await t.produce([{ topic, key: "plain", value: "plain" }]);
      });
      assert.deepEqual(seen, ["committed", "plain"]);
    } finally {
      await producer.disconnect();
    }
  },
);

Deno.test(
  "a state subscription holds its records while paused or while its work is full, then hands them over",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = uniqueName("state-held");
      await t.createTopics([{ name: topic, partitions: 1, replicationFactor: 1, config }]);
      const held: string[] = [];
      const free: string[] = [];
      const ended: string[] = [];
      const running: Array<() => void> = [];
      const sub = await t.subscribe({
        kind: "state",
        topics: [topic],
        groupId: uniqueName("state-held"),
        concurrency: 1,
        handler: (record) => {
          held.push(String(record.key));
          const key = String(record.key);
          return {
            work: async () => {
              await new Promise<void>((resolve) => running.push(resolve));
              ended.push(key);
            },
          };
        },
      });
      const other = await t.subscribe({
        kind: "state",
        topics: [topic],
        groupId: uniqueName("state-free"),
        handler: (record) => void free.push(String(record.key)),
      });
      sub.pause();
      await t.produce(["a", "b"].map((key) => ({ topic, key, value: key })));
      await waitFor(() => free.length === 2, "the other subscription to read both");
      assert.equal(await sub.behind(), true);
      assert.deepEqual(held, [], "nothing while paused");
      sub.resume();
      await waitFor(() => held.length === 1, "the first record once resumed");
      assert.equal(await other.behind(), false);
      // Its one slot runs "a": "b" waits for it.
      await waitFor(() => other.stats.fetches > 2, "the other subscription to fetch on");
      assert.deepEqual(held, ["a"]);
      running.shift()!();
      await waitFor(() => held.length === 2 && running.length === 1, "b once the slot is free");
      // Closed while b's work runs: the close ends after that work.
      const closing = sub.close().then(() => void ended.push("closed"));
      running.shift()!();
      await closing;
      assert.deepEqual(ended, ["a", "b", "closed"]);
      await other.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "a whole read whose next records retention deletes meanwhile reads on from the log's new start",
  opts,
  async () => {
    const admin = rawKafka().admin();
    await admin.connect();
    try {
      // Records of 400 KB: one fetch (1 MiB a partition) brings the first few, not all five.
      // Random bytes, so that no compression makes them small.
      const value = new Uint8Array(400 * 1024);
      for (let at = 0; at < value.length; at += 65536) {
        crypto.getRandomValues(value.subarray(at, at + 65536));
      }
      const { seen } = await readOne(
        "whole-deleted",
        async (t, topic) => {
          // One record a write: a batch of them would pass the broker's largest message.
          for (const key of ["r0", "r1", "r2", "r3", "r4"]) {
            await t.produce([{ topic, key, value }]);
          }
        },
        undefined,
        async (topic, key) => {
          if (key === "r0") {
            // kafkajs's admin deletes only in topics whose metadata it holds.
            await admin.fetchTopicMetadata({ topics: [topic] });
            await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "4" }] });
          }
        },
      );
      assert.equal(seen.at(-1), "r4", seen.join());
      assert.ok(!seen.includes("r3"), `r3 was deleted before it was fetched: ${seen.join()}`);
    } finally {
      await admin.disconnect();
    }
  },
);
