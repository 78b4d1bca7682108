/**
 * A subscription's lag on the real broker (transport `Subscription.behind`, what a requester
 * waits on before it lets a lease lapse): behind while records appended before the question wait
 * unread (the executor full, the consumer holding them), caught up once they are handed over,
 * whether this run read the partition or started where the group's commit left it; and behind
 * on a topic of which it holds no partition.
 */
import assert from "node:assert/strict";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafka: a stream subscription is behind while appended records wait unread, and caught up once they are read",
  opts,
  async () => {
    const transport = new KafkaTransport({ brokers: testBrokers(), clientId: "kafclaw-test" });
    const topic = uniqueName("lag");
    const other = uniqueName("lag-other");
    const groupId = uniqueName("lag-group");
    await transport.createTopics([
      { name: topic, partitions: 2, replicationFactor: 1, config: {} },
      { name: other, partitions: 1, replicationFactor: 1, config: {} },
    ]);
    const release = Promise.withResolvers<void>();
    let handed = 0;
    const subscribe = () =>
      transport.subscribe({
        kind: "stream",
        topics: [topic],
        groupId,
        concurrency: 1,
        handler: () => {
          handed++;
          return { work: () => release.promise };
        },
      });
    let subscription = await subscribe();
    try {
      await waitFor(() => subscription.assignment().length === 2, "both partitions assigned");
      assert.equal(await subscription.behind(), false, "nothing appended yet");
      assert.equal(await subscription.behind([other]), true, "a topic it holds nothing of");
      const records = ["a", "b", "c"].map((key) => ({ topic, key, value: key }));
      await transport.produce(records);
      // The first record's work holds the only slot: the others wait, unread.
      await waitFor(() => handed === 1, "the first record handed over");
      assert.equal(await subscription.behind(), true);
      assert.equal(await subscription.behind([topic]), true);
      release.resolve();
      await waitFor(() => handed === 3, "every record handed over");
      assert.equal(await subscription.behind(), false);
      await subscription.close();
      // Started again where its commits left it, having read nothing in this run.
      subscription = await subscribe();
      await waitFor(() => subscription.assignment().length === 2, "both partitions again");
      assert.equal(await subscription.behind(), false);
      assert.equal(handed, 3, "nothing read again");
    } finally {
      release.resolve();
      await subscription.close();
      await transport.close();
    }
  },
);
