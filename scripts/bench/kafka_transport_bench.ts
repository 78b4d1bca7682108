/**
 * The Kafka transport on a real broker, each figure against raw kafkajs measured in the same run
 * (`deno bench -P=test scripts/bench/kafka_transport_bench.ts` prints the ratios of the means; the
 * summary at the end prints medians, p99, the targets of issue 10 and, for the throughput rows,
 * the process's CPU time per record, which a shared machine's load sways less than the rate):
 *
 * - envelope throughput: 500 envelopes signed, produced through the transport and, on the other
 *   side, parsed and verified by a work subscription's handler, against raw kafkajs producing the
 *   same values in one batch and a consumer counting them (target: at least 0.8x the rate). The
 *   sender signs the batch's records together (`signRecords`) and the subscription starts the
 *   signature checks of each fetched batch together (`verifyAhead`, as a signed group's
 *   subscriptions do); the same signed and checked one record at a time, to tell what that is
 *   worth on this machine; the same with the receiver checking the record's signature and replay
 *   id alone (the floor of `verifyRecord`, which remembers certificate checks per certificate);
 *   the same with each fetched batch's signatures checked in 2 Web Workers (does taking the curve
 *   off the consumer's thread pay on this machine?); the same with one signature per chunk of
 *   eight records instead of one per record (a proposed change to the protocol, measured in
 *   `_chunk_signatures.ts`; certificates known); and unsigned, parsed only, to tell the
 *   transport's share from the signatures';
 * - an isolated request/response through the transport, parsed on both sides, with the system
 *   idle before each one, against a raw kafkajs ping-pong (targets: at most 1.3x at p50, 1.5x at
 *   p99);
 * - back-to-back round trips through the transport against a raw kafkajs ping-pong that commits
 *   nothing, the floor (target: at most 2x at p50).
 *
 * Each timed iteration runs the other side of its pair first, untimed, so that a machine that gets
 * busier or quieter weighs on both alike. It needs the broker that `scripts/kafka start` runs (or
 * KAFCLAW_TEST_BROKERS); without one it says so and measures nothing.
 */
import { brokersForBench, noBroker, RawPingPong, TransportPingPong } from "./_kafka_pairs.ts";
import { RawThroughput, TransportThroughput } from "./_kafka_throughput.ts";
import { Samples } from "./_paired.ts";

const brokers = await brokersForBench();
const samples = new Samples();
const paired = samples.paired.bind(samples);

const THROUGHPUT_RAW = "kafka: raw kafkajs, 500 records";
const THROUGHPUT_OURS = "kafka: transport, 500 signed envelopes";
const THROUGHPUT_ONE_BY_ONE = "kafka: transport, 500 signed, one at a time";
const THROUGHPUT_SIGNATURE = "kafka: transport, 500 signed, certificates known";
const THROUGHPUT_WORKERS = "kafka: transport, 500 signed, certificates known, checks in 2 workers";
const THROUGHPUT_CHUNKS = "kafka: transport, 500 signed, one signature per 8 records (proposal)";
const THROUGHPUT_UNSIGNED = "kafka: transport, 500 envelopes, unsigned";
const ISOLATED_RAW = "kafka: raw kafkajs ping-pong, isolated";
const ISOLATED_OURS = "kafka: transport request/response, isolated";
const FLOOR_RAW = "kafka: raw kafkajs ping-pong, no commits";
const FLOOR_OURS = "kafka: transport round trips, back to back";
const ISOLATION_GAP_MS = 60;

if (brokers === undefined) {
  console.log(noBroker("kafka transport bench"));
} else {
  const rawThroughput = await RawThroughput.start(brokers, 500);
  const ourThroughput = await TransportThroughput.start(brokers, { n: 500, check: "full" });
  const oneByOne = await TransportThroughput.start(brokers, {
    n: 500,
    check: "full",
    oneByOne: true,
  });
  const signatureOnly = await TransportThroughput.start(brokers, { n: 500, check: "signature" });
  const inWorkers = await TransportThroughput.start(brokers, { n: 500, check: "workers" });
  const inChunks = await TransportThroughput.start(brokers, { n: 500, check: "chunks" });
  const unsigned = await TransportThroughput.start(brokers, { n: 500, check: "none" });
  const rawIsolated = await RawPingPong.start(brokers, { commits: true });
  const rawFloor = await RawPingPong.start(brokers, { commits: false });
  const ours = await TransportPingPong.start(brokers);
  const gap = () => new Promise((r) => setTimeout(r, ISOLATION_GAP_MS));

  Deno.bench(
    THROUGHPUT_RAW,
    { group: "kafka: envelope throughput", baseline: true, n: 30, warmup: 3 },
    paired(THROUGHPUT_RAW, () => ourThroughput.run(), () => rawThroughput.run()),
  );
  Deno.bench(
    THROUGHPUT_OURS,
    { group: "kafka: envelope throughput", n: 30, warmup: 3 },
    paired(THROUGHPUT_OURS, () => rawThroughput.run(), () => ourThroughput.run()),
  );
  Deno.bench(
    THROUGHPUT_ONE_BY_ONE,
    { group: "kafka: envelope throughput", n: 30, warmup: 3 },
    paired(THROUGHPUT_ONE_BY_ONE, () => rawThroughput.run(), () => oneByOne.run()),
  );
  Deno.bench(
    THROUGHPUT_SIGNATURE,
    { group: "kafka: envelope throughput", n: 30, warmup: 3 },
    paired(THROUGHPUT_SIGNATURE, () => rawThroughput.run(), () => signatureOnly.run()),
  );
  Deno.bench(
    THROUGHPUT_WORKERS,
    { group: "kafka: envelope throughput", n: 30, warmup: 3 },
    paired(THROUGHPUT_WORKERS, () => rawThroughput.run(), () => inWorkers.run()),
  );
  Deno.bench(
    THROUGHPUT_CHUNKS,
    { group: "kafka: envelope throughput", n: 30, warmup: 3 },
    paired(THROUGHPUT_CHUNKS, () => rawThroughput.run(), () => inChunks.run()),
  );
  Deno.bench(
    THROUGHPUT_UNSIGNED,
    { group: "kafka: envelope throughput", n: 30, warmup: 3 },
    paired(THROUGHPUT_UNSIGNED, () => rawThroughput.run(), () => unsigned.run()),
  );
  Deno.bench(
    ISOLATED_RAW,
    { group: "kafka: isolated round trip", baseline: true, n: 150, warmup: 10 },
    paired(ISOLATED_RAW, () => ours.roundTrip().then(gap), () => rawIsolated.roundTrip()),
  );
  Deno.bench(
    ISOLATED_OURS,
    { group: "kafka: isolated round trip", n: 150, warmup: 10 },
    paired(ISOLATED_OURS, () => rawIsolated.roundTrip().then(gap), () => ours.roundTrip()),
  );
  Deno.bench(
    FLOOR_RAW,
    { group: "kafka: back-to-back round trips", baseline: true, n: 400, warmup: 20 },
    paired(FLOOR_RAW, () => ours.roundTrip(), () => rawFloor.roundTrip()),
  );
  Deno.bench(
    FLOOR_OURS,
    { group: "kafka: back-to-back round trips", n: 400, warmup: 20 },
    paired(FLOOR_OURS, () => rawFloor.roundTrip(), () => ours.roundTrip()),
  );

  globalThis.addEventListener("unload", () => {
    summary();
    inWorkers.close();
    // The clients end with the process; closing them here would race the unload.
  });
}

function summary(): void {
  if (samples.size === 0) return;
  console.log("\nkafka transport: this machine, this run (raw kafkajs measured alongside)");
  const rate = (name: string) => 500 / (samples.quantile(name, 0.5) / 1000);
  // The process's CPU time per record (both sides of the transport are this process), median.
  const cpu = (name: string) => samples.cpuQuantile(name, 0.5) * 1000 / 500;
  const throughput = (what: string, name: string, target: string) => {
    if (!samples.has(name) || !samples.has(THROUGHPUT_RAW)) return;
    console.log(
      `  ${what.padEnd(34)} ${rate(name).toFixed(0).padStart(6)}/s vs ` +
        `${rate(THROUGHPUT_RAW).toFixed(0).padStart(6)}/s  ` +
        `${(rate(name) / rate(THROUGHPUT_RAW)).toFixed(2)}x (target ${target}); CPU ` +
        `${cpu(name).toFixed(0)} vs ${cpu(THROUGHPUT_RAW).toFixed(0)} µs/record`,
    );
  };
  throughput("envelope throughput, median", THROUGHPUT_OURS, ">= 0.8x");
  throughput("the same, one record at a time", THROUGHPUT_ONE_BY_ONE, "none");
  throughput("the same, certificates known", THROUGHPUT_SIGNATURE, "none");
  throughput("the same, checks in 2 workers", THROUGHPUT_WORKERS, "none");
  throughput("one signature per 8 (proposal)", THROUGHPUT_CHUNKS, "none");
  throughput("the same unsigned, median", THROUGHPUT_UNSIGNED, "none");
  samples.line("isolated request/response, p50", ISOLATED_OURS, ISOLATED_RAW, 0.5, "<= 1.3x");
  samples.line("isolated request/response, p99", ISOLATED_OURS, ISOLATED_RAW, 0.99, "<= 1.5x");
  samples.line("back-to-back round trip, p50", FLOOR_OURS, FLOOR_RAW, 0.5, "<= 2x");
  samples.line("back-to-back round trip, p99", FLOOR_OURS, FLOOR_RAW, 0.99, "none");
}
