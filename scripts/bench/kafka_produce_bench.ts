/**
 * What one acknowledged produce of a tiny record costs under the producer settings a delegation's
 * hops could use (`deno bench -P=test scripts/bench/kafka_produce_bench.ts`, under a minute), each
 * against the transport's own produce (an idempotent kafkajs producer, one request in flight,
 * `sendBatch` with acks=all, no compression), on the broker that `scripts/kafka start` runs:
 *
 * - kafkajs `send` instead of `sendBatch`; a plain producer (not idempotent) with acks=all and
 *   with acks=1; gzip on a record of a few hundred bytes;
 * - two records to two topics in one request (a worker's final status and its response) against
 *   two requests one after the other (what a claim before a response costs at least).
 *
 * Each round runs every setting once, in a turning order, so a machine that gets busier weighs on
 * all alike; the summary at the end prints each one's p50 and p99 against the transport's.
 *
 * Without a broker it says so and measures nothing.
 */
import kafkajs from "kafkajs";
import { loadKafka } from "../../core/transport/mod.ts";
import { brokersForBench, noBroker, requestValue, taskTopics } from "./_kafka_pairs.ts";
import { Samples } from "./_paired.ts";

const { KafkaTransport } = await loadKafka();

const brokers = await brokersForBench();

if (brokers === undefined) {
  console.log(noBroker("kafka produce bench"));
} else {
  const { requests: topic, responses: other } = await taskTopics(brokers);
  const transport = new KafkaTransport({ brokers, clientId: "bench-produce" });
  const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const plain = kafka.producer({ maxInFlightRequests: 1 });
  await Promise.all([idempotent.connect(), plain.connect()]);
  const value = requestValue("t-0");
  const message = [{ key: "t-0", value }];
  const samples = new Samples();
  const options = { group: "produce: one tiny record, acknowledged", n: 300, warmup: 20 };
  const ours = () => transport.produce([{ topic, key: "t-0", value }]);
  const variants: [string, () => Promise<unknown>][] = [
    ["kafkajs send, idempotent", () => idempotent.send({ topic, acks: -1, messages: message })],
    ["not idempotent, acks=all", () => plain.send({ topic, acks: -1, messages: message })],
    ["not idempotent, acks=1", () => plain.send({ topic, acks: 1, messages: message })],
    ["gzip", () =>
      idempotent.send({
        topic,
        acks: -1,
        compression: kafkajs.CompressionTypes.GZIP,
        messages: message,
      })],
    [
      "two topics in one request",
      () => transport.produce([{ topic, key: "t-0", value }, { topic: other, key: "t-0", value }]),
    ],
    ["two topics, one request after the other", async () => {
      await transport.produce([{ topic, key: "t-0", value }]);
      await transport.produce([{ topic: other, key: "t-0", value }]);
    }],
  ];
  const OURS = "the transport (idempotent, sendBatch, acks=all)";
  const all: [string, () => Promise<unknown>][] = [[OURS, ours], ...variants];
  let round = 0;
  // Every round runs every setting, in a turning order, so that each is measured all along the run
  // and a machine that gets busier weighs on all alike.
  Deno.bench("produce: every setting once, in a turning order", options, async (b) => {
    b.start();
    const first = round++ % all.length;
    for (const [name, run] of [...all.slice(first), ...all.slice(0, first)]) {
      const started = performance.now();
      await run();
      samples.record(name, performance.now() - started);
    }
    b.end();
  });
  globalThis.addEventListener("unload", () => {
    if (samples.size === 0) return;
    console.log("\nproduce: this machine, this run (against the transport's produce, interleaved)");
    for (const [name] of variants) {
      samples.line(`${name}, p50`, name, OURS, 0.5, "none");
      samples.line(`${name}, p99`, name, OURS, 0.99, "none");
    }
  });
  // The clients end with this process; closing them here would race the benches.
}
