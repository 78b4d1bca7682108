/**
 * A Kafka transport's producer and admin client are made once, by the first caller, however many
 * ask at the same time (a member's start produces, subscribes and checks topics at once): one
 * connection each, all closed with the transport. Before, callers that came together each made
 * one, and all but the last were never disconnected. And its admin's questions about topics go one
 * at a time, so reads begun together each find their topics.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Counts the producers and admin clients kafkajs makes, and those disconnected, while `run` runs. */
async function counting(run: () => Promise<void>) {
  const made = { producer: 0, admin: 0 };
  const closed = { producer: 0, admin: 0 };
  const proto = kafkajs.Kafka.prototype as unknown as Record<
    "producer" | "admin",
    (...args: unknown[]) => { disconnect(): Promise<void> }
  >;
  const originals = { producer: proto.producer, admin: proto.admin };
  for (const kind of ["producer", "admin"] as const) {
    proto[kind] = function (this: unknown, ...args: unknown[]) {
      made[kind]++;
      const client = originals[kind].apply(this, args);
      const disconnect = client.disconnect.bind(client);
      client.disconnect = () => {
        closed[kind]++;
        return disconnect();
      };
      return client;
    };
  }
  try {
    await run();
  } finally {
    Object.assign(proto, originals);
  }
  return { made, closed };
}

Deno.test(
  "kafka: concurrent first uses share one producer and one admin client, and close disconnects both",
  opts,
  async () => {
    const topic = uniqueName("clients");
    const { made, closed } = await counting(async () => {
      const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
      try {
        await Promise.all([
          transport.createTopics([{
            name: topic,
            partitions: 1,
            replicationFactor: 1,
            config: {},
          }]),
          transport.groupMembers("kafclaw.nobody"),
          transport.listGroups("kafclaw.nobody"),
        ]);
        await Promise.all([
          transport.connectProducer(),
          transport.produce([{ topic, key: "a", value: "1" }]),
          transport.produce([{ topic, key: "b", value: "2" }]),
        ]);
      } finally {
        await transport.close();
      }
    });
    assert.deepEqual(made, { producer: 1, admin: 1 });
    assert.deepEqual(closed, { producer: 1, admin: 1 });
  },
);

Deno.test(
  "kafka: state reads begun together on a new client each find their topic's partitions",
  opts,
  async () => {
    // kafkajs's admin keeps one metadata for all its calls: asked about new topics at once, it
    // could refresh it without one of them and fail ("Cannot destructure property 'partitions'").
    const topics = Array.from({ length: 6 }, (_, i) => uniqueName(`together-${i}`));
    const setUp = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    await setUp.createTopics(
      topics.map((name) => ({ name, partitions: 3, replicationFactor: 1, config: {} })),
    );
    await setUp.produce(topics.map((topic) => ({ topic, key: "k", value: topic })));
    await setUp.close();
    for (let round = 0; round < 3; round++) {
      const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
      try {
        const read: string[] = [];
        // As a roster is read: one topic, and the others in one read beside it.
        await Promise.all([topics.slice(0, 1), topics.slice(1)].map(async (reading) => {
          const subscription = await transport.subscribe({
            kind: "state",
            topics: reading,
            groupId: `kafclaw.together.${round}`,
            handler: (record) => void read.push(new TextDecoder().decode(record.value)),
          });
          await subscription.caughtUp();
          await subscription.close();
        }));
        assert.deepEqual(read.toSorted(), topics.toSorted());
      } finally {
        await transport.close();
      }
    }
  },
);
