/**
 * Faults of the broker itself: a single-node broker killed (-9) and restarted mid-stream, and the
 * leader of a replicated topic killed while records are produced to a 3-node cluster. No record
 * that was acknowledged is lost, and consumers resume without help.
 */
import assert from "node:assert/strict";
import { type InboundRecord, loadKafka } from "../../../core/transport/mod.ts";
import { startOwnBroker } from "../../_support/own_broker.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };
const text = (r: InboundRecord) => new TextDecoder().decode(r.value);

Deno.test(
  "a single-node broker killed and restarted mid-stream: nothing acknowledged is lost",
  opts,
  async () => {
    await using broker = await startOwnBroker(1);
    const t = new KafkaTransport({ brokers: broker.bootstrap, clientId: "kafclaw-fault" });
    try {
      const topic = uniqueName("requests");
      await t.createTopics([{ name: topic, partitions: 3, replicationFactor: 1, config: {} }]);
      const got = new Map<string, number[]>();
      const sub = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("workers"),
        handler: (r) => {
          const [key, n] = text(r).split("#");
          got.set(key!, [...(got.get(key!) ?? []), Number(n)]);
        },
      });
      const batch = (from: number) =>
        Array.from({ length: 10 }, (_, i) => ({
          topic,
          key: `task-${i % 3}`,
          value: `task-${i % 3}#${from + i}`,
        }));
      await t.produce(batch(0));
      await waitFor(() => [...got.values()].flat().length === 10, "the first 10 records");
      await broker.kill(1);
      await broker.restart(1);
      await t.produce(batch(10));
      const distinct = () => new Set([...got.values()].flat()).size;
      await waitFor(() => distinct() === 20, "all 20 records", {
        timeoutMs: 90_000,
        state: () => Object.fromEntries(got),
      });
      for (const [key, seq] of got) {
        const firsts = seq.filter((v, i) => seq.indexOf(v) === i);
        assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), `order of ${key} kept`);
      }
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "a 3-node cluster loses no acknowledged record when a broker is killed under load",
  opts,
  async () => {
    await using cluster = await startOwnBroker(3);
    const t = new KafkaTransport({
      brokers: cluster.bootstrap,
      clientId: "kafclaw-fault",
      requestTimeoutMs: 30_000,
    });
    try {
      const topic = uniqueName("tasks");
      await t.createTopics([{
        name: topic,
        partitions: 3,
        replicationFactor: 3,
        config: { "min.insync.replicas": "2" },
      }]);
      const acknowledged: string[] = [];
      const produceSome = async (from: number, n: number) => {
        for (let i = from; i < from + n; i++) {
          await t.produce([{ topic, key: `k${i % 5}`, value: `v${i}` }]);
          acknowledged.push(`v${i}`);
        }
      };
      await produceSome(0, 30);
      await Promise.all([produceSome(30, 30), cluster.kill(2)]);
      await produceSome(60, 10);
      const seen = new Set<string>();
      const sub = await t.subscribe({
        kind: "stream",
        topics: [topic],
        groupId: uniqueName("reader"),
        fromBeginning: true,
        handler: (r) => void seen.add(text(r)),
      });
      await waitFor(() => acknowledged.every((v) => seen.has(v)), "every acknowledged record", {
        timeoutMs: 90_000,
        state: () => ({ acknowledged: acknowledged.length, seen: seen.size }),
      });
      assert.equal(acknowledged.length, 70);
      await cluster.restart(2);
      await sub.close();
    } finally {
      await t.close();
    }
  },
);
