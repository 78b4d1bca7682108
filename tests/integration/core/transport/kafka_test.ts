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
