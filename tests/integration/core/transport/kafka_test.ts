import assert from "node:assert/strict";
import { loadKafka, TopicMissingError } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import * as scenario from "../../../_support/transport_scenarios.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const kafka = (extra: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number } = {}) => ({
  make: () => new KafkaTransport({ brokers, clientId: "kafclaw-test", ...extra }),
});
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafka: a produced record comes back with key, value, headers, in key order",
  opts,
  () => scenario.roundTrip(kafka()),
);

Deno.test(
  "kafka: two members of a work group each get a disjoint share",
  opts,
  () => scenario.workQueueShares(kafka()),
);

Deno.test(
  "kafka: two agents' own groups each get every record",
  opts,
  () => scenario.broadcastToAll(kafka()),
);

Deno.test(
  "kafka: a poison record lands in the dead-letter topic and the consumer continues",
  opts,
  () => scenario.poisonIsDeadLettered(kafka()),
);

Deno.test(
  "kafka: a topic with the wrong cleanup policy is refused at start",
  opts,
  () => scenario.wrongCleanupPolicyDetected(kafka()),
);

Deno.test(
  "kafka: writing to or reading a missing topic names it, and creates nothing",
  opts,
  () => scenario.missingTopicNamed(kafka()),
);

Deno.test(
  "kafka: work longer than the session timeout does not get the consumer ejected",
  opts,
  () =>
    scenario.slowWorkKeepsMembership(kafka({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 }), {
      workMs: 9000,
    }),
);

Deno.test(
  "kafka: a record whose work has not finished comes again to the next member",
  opts,
  () =>
    scenario.unfinishedWorkComesAgain(kafka({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 })),
);

Deno.test(
  "kafka: a second live member of an agent's own stream group is refused",
  opts,
  () => scenario.streamGroupIsExclusive(kafka()),
);

Deno.test(
  "kafka: a paused subscription gets nothing until resumed",
  opts,
  () => scenario.pauseAndResume(kafka()),
);

Deno.test(
  "kafka: a new stream group reads every record produced once subscribe() resolved, none before",
  opts,
  () => scenario.streamStartsAtSubscribe(kafka()),
);

Deno.test(
  "kafka: a new stream group from a time reads the records since then, none before, then what comes",
  opts,
  () => scenario.streamStartsAtTime(kafka()),
);

Deno.test(
  "kafka: a write to a topic deleted since the last write names it, without kafkajs's retries",
  opts,
  async () => {
    const { KafkaAdmin } = await loadKafka();
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test", topicRecheckMs: 0 });
    const admin = new KafkaAdmin({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = uniqueName("gone");
      await t.createTopics([
        {
          name: topic,
          partitions: 1,
          replicationFactor: 1,
          config: { "cleanup.policy": "delete" },
        },
      ]);
      await t.produce([{ topic, key: "k", value: "before" }]);
      await admin.deleteTopics([topic]);
      await waitFor(async () => !(await admin.listTopics()).includes(topic), "the topic deleted");
      // With no recheck time every write asks again. Before, the topic stayed known and kafkajs
      // retried the produce for some 35 s before the error came; a bound well under that tells
      // the two apart.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const error = await Promise.race([
        t.produce([{ topic, key: "k", value: "after" }]).then(() => "written", (e) => e),
        new Promise((r) => timer = setTimeout(() => r("still waiting after 20 s"), 20_000)),
      ]).finally(() => clearTimeout(timer));
      assert.ok(error instanceof TopicMissingError, `expected TopicMissingError, got ${error}`);
      assert.equal(error.topic, topic);
    } finally {
      await admin[Symbol.asyncDispose]();
      await t.close();
    }
  },
);

/**
 * A topic written to, then deleted, as group gc deletes the inbox of an agent that is gone, which
 * others have written to; then `write` writes to the others. Every record but the deleted topic's
 * must land.
 */
async function afterDeletion(
  extra: Partial<ConstructorParameters<typeof KafkaTransport>[0]>,
  write: (t: InstanceType<typeof KafkaTransport>, kept: string, later: string) => Promise<void>,
) {
  const { KafkaAdmin } = await loadKafka();
  const t = new KafkaTransport({ brokers, clientId: "kafclaw-test", ...extra });
  const admin = new KafkaAdmin({ brokers, clientId: "kafclaw-test" });
  try {
    const [kept, gone, later] = ["kept", "gone", "later"].map((n) => uniqueName(n)) as [
      string,
      string,
      string,
    ];
    const spec = (name: string) => ({
      name,
      partitions: 1,
      replicationFactor: 1,
      config: { "cleanup.policy": "delete" },
    });
    await t.createTopics([spec(kept), spec(gone), spec(later)]);
    await t.produce([{ topic: kept, key: "k", value: "one" }]);
    await t.produce([{ topic: gone, key: "k", value: "one" }]);
    await admin.deleteTopics([gone]);
    await waitFor(async () => !(await admin.listTopics()).includes(gone), "the topic deleted");
    await write(t, kept, later);
    const seen: string[] = [];
    const sub = await t.subscribe({
      kind: "stream",
      topics: [kept, later],
      groupId: uniqueName("reader"),
      fromBeginning: true,
      handler: (r) =>
        void seen.push(
          `${r.topic === kept ? "kept" : "later"} ${new TextDecoder().decode(r.value)}`,
        ),
    });
    try {
      await waitFor(() => seen.length === 3, "the three records", { state: () => seen });
      return seen.toSorted();
    } finally {
      await sub.close();
    }
  } finally {
    await admin[Symbol.asyncDispose]();
    await t.close();
  }
}

Deno.test(
  "kafka: a topic deleted after a write does not stop the writes to every other topic",
  opts,
  async () => {
    // A topic new to the producer makes kafkajs ask Kafka for every topic it ever wrote to;
    // before, that failed with "does not host this topic-partition", and so did every send after.
    const seen = await afterDeletion({}, async (t, kept, later) => {
      await t.produce([{ topic: later, key: "k", value: "two" }]);
      await t.produce([{ topic: kept, key: "k", value: "three" }]);
    });
    assert.deepEqual(seen, ["kept one", "kept three", "later two"]);
  },
);

Deno.test(
  "kafka: a send that meets a deleted topic in its producer's metadata goes again on a new producer",
  opts,
  async () => {
    // No recheck of its own to see the deletion first: kafkajs's refresh of its metadata (every
    // 300 ms here, every five minutes by default) meets it, and the send fails, once.
    const extra = {
      patience: "command",
      metadataMaxAgeMs: 300,
      topicRecheckMs: 3_600_000,
    } as const;
    const seen = await afterDeletion(extra, async (t, kept, later) => {
      // kafkajs asks again at the first send after its metadata is older than 300 ms: an age to
      // let pass, not a condition to wait on.
      await new Promise((r) => setTimeout(r, 600));
      await t.produce([{ topic: kept, key: "k", value: "two" }]);
      await t.produce([{ topic: later, key: "k", value: "three" }]);
    });
    assert.deepEqual(seen, ["kept one", "kept two", "later three"]);
  },
);
