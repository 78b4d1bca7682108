/**
 * How records flow through a Kafka subscription on the real broker: a consumer that holds its
 * input hands the next record over as soon as it may (no fetch wait), commits land off the fetch
 * path within their bound, and slow work or a slow handler costs neither other partitions nor
 * the group membership.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import {
  type InboundRecord,
  type KafkaTransportOptions,
  loadKafka,
  partitionForKey,
  type Subscription,
} from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child, denoEval } from "../../../_support/child.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const text = (r: InboundRecord) => new TextDecoder().decode(r.value);
const make = (extra: Partial<KafkaTransportOptions> = {}) =>
  new KafkaTransport({ brokers, clientId: "kafclaw-test", ...extra });

/** A promise with its resolve function, to hold work until the test lets it go. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

async function topicOf(t: KafkaTransport, partitions: number): Promise<string> {
  const name = uniqueName("flow");
  await t.createTopics([{ name, partitions, replicationFactor: 1, config: {} }]);
  return name;
}

/** A key that lands on `partition` of a topic with `count` partitions. */
function keyFor(partition: number, count: number, prefix: string): string {
  for (let i = 0;; i++) {
    if (partitionForKey(`${prefix}-${i}`, count) === partition) return `${prefix}-${i}`;
  }
}

async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

Deno.test(
  "kafka: a full executor hands the next record over when a slot frees, without another fetch",
  opts,
  async () => {
    const t = make();
    try {
      const topic = await topicOf(t, 1);
      const gate = latch();
      const handled: string[] = [];
      /** The fetches sent before each record reached the handler. */
      const fetchesBefore: number[] = [];
      const sub: Subscription = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("workers"),
        concurrency: 1,
        handler: (r) => {
          handled.push(text(r));
          fetchesBefore.push(sub.stats.fetches);
          return { work: () => gate.promise };
        },
      });
      await waitFor(() => sub.assignment().length === 1, "the partition to be assigned");
      await t.produce([{ topic, key: "a", value: "first" }, { topic, key: "a", value: "second" }]);
      await waitFor(() => handled.length === 1 && sub.stats.pauses === 1, "the executor to fill", {
        state: () => ({ handled, stats: sub.stats }),
      });
      gate.open();
      await waitFor(() => handled.length === 2, "the held record", { state: () => sub.stats });
      assert.equal(fetchesBefore[1], fetchesBefore[0], "the held record needed no fetch (no wait)");
      assert.deepEqual(handled, ["first", "second"], "each record went to the handler once");
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "kafka: resume() hands over the record held while paused, without another fetch",
  opts,
  async () => {
    const t = make();
    try {
      const topic = await topicOf(t, 1);
      const got: string[] = [];
      let fetchesAtHandler = -1;
      const sub: Subscription = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("workers"),
        handler: (r) => {
          got.push(text(r));
          fetchesAtHandler = sub.stats.fetches;
        },
      });
      await waitFor(() => sub.assignment().length === 1, "the partition to be assigned");
      sub.pause();
      await t.produce([{ topic, key: "a", value: "while paused" }]);
      await waitFor(() => sub.stats.pauses === 1, "the consumer to hold the record", {
        state: () => sub.stats,
      });
      assert.deepEqual(got, [], "nothing reaches the handler while paused");
      const fetches = sub.stats.fetches;
      sub.resume();
      await waitFor(() => got.length === 1, "the record after resume");
      assert.equal(fetchesAtHandler, fetches, "resuming needed no fetch (and no wait)");
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "kafka: commits land off the fetch path, within the bound, and a restart redelivers nothing",
  opts,
  async () => {
    // A commit only when half the bound waits: the interval is far beyond the test.
    const t = make({ maxUncommitted: 10, commitIntervalMs: 600_000 });
    const groupId = uniqueName("workers");
    try {
      const topic = await topicOf(t, 3);
      const seen: string[] = [];
      const subscribe = () =>
        t.subscribe({
          kind: "work",
          topics: [topic],
          groupId,
          handler: (r) => void seen.push(text(r)),
        });
      let sub: Subscription = await subscribe();
      await waitFor(() => sub.assignment().length === 3, "the partitions to be assigned");
      const n = 100;
      await t.produce(
        Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })),
      );
      await waitFor(() => seen.length === n, `${n} records`, { state: () => sub.stats });
      await waitFor(
        async () => (await committedTotal(groupId, topic)) >= n - 10,
        "commits to cover all but the bound",
        { state: () => sub.stats },
      );
      assert.ok(sub.stats.commits < n / 2, `commits are batched (${sub.stats.commits})`);
      await sub.close();
      assert.equal(await committedTotal(groupId, topic), n, "close commits what was taken");
      sub = await subscribe();
      await t.produce([{ topic, key: "after", value: "after restart" }]);
      await waitFor(() => seen.includes("after restart"), "the record sent after the restart");
      assert.equal(seen.length, n + 1, "nothing taken before the restart came again");
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "kafka: slow work holds neither other partitions nor the group's generation",
  opts,
  async () => {
    const t = make({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
    try {
      const topic = await topicOf(t, 2);
      const done: string[] = [];
      const sub = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("workers"),
        concurrency: 2,
        handler: (r) => ({
          work: async () => {
            // Longer than the session timeout: only heartbeats keep the member in its generation.
            if (text(r) === "slow") await new Promise((res) => setTimeout(res, 9000));
            done.push(text(r));
          },
        }),
      });
      await waitFor(() => sub.assignment().length === 2, "both partitions to be assigned");
      await t.produce([{ topic, key: keyFor(0, 2, "slow"), value: "slow" }]);
      await waitFor(() => sub.stats.workStarted === 1, "the slow work to start");
      await t.produce([{ topic, key: keyFor(1, 2, "quick"), value: "quick" }]);
      await waitFor(() => done.includes("quick"), "the quick task behind it");
      assert.deepEqual(done, ["quick"], "the quick task did not wait for the slow one");
      await waitFor(() => done.includes("slow"), "the slow work to end", { timeoutMs: 40_000 });
      assert.equal(sub.stats.joins, 1, "one generation all along: no rebalance");
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "kafka: a handler slower than the session timeout does not cost the membership",
  opts,
  async () => {
    const t = make({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
    try {
      const topic = await topicOf(t, 1);
      const got: string[] = [];
      const sub = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("workers"),
        handler: async (r) => {
          if (text(r) === "slow") await new Promise((res) => setTimeout(res, 9000));
          got.push(text(r));
        },
      });
      await waitFor(() => sub.assignment().length === 1, "the partition to be assigned");
      await t.produce([{ topic, key: "a", value: "slow" }, { topic, key: "a", value: "next" }]);
      await waitFor(() => got.length === 2, "both records", { timeoutMs: 40_000 });
      assert.deepEqual(got, ["slow", "next"], "each record once, in order");
      assert.equal(sub.stats.joins, 1, "the member kept its generation");
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "kafka: a consumer killed mid-stream has at most its bound of records delivered again",
  opts,
  async () => {
    const t = make();
    const groupId = uniqueName("workers");
    try {
      const topic = await topicOf(t, 3);
      const transport = new URL("../../../../core/transport/mod.ts", import.meta.url).href;
      await using child = new Child(denoEval(`
        import { loadKafka } from ${JSON.stringify(transport)};
        const { KafkaTransport } = await loadKafka();
        const t = new KafkaTransport({
          brokers: ${JSON.stringify(brokers)},
          clientId: "kafclaw-test",
          maxUncommitted: 10,
          commitIntervalMs: 600_000,
          sessionTimeoutMs: 6000,
          heartbeatIntervalMs: 1000,
        });
        const sub = await t.subscribe({
          kind: "work",
          topics: [${JSON.stringify(topic)}],
          groupId: ${JSON.stringify(groupId)},
          handler: (r) => console.log("taken " + new TextDecoder().decode(r.value)),
        });
        while (sub.assignment().length < 3) await new Promise((r) => setTimeout(r, 20));
        console.log("ready");
      `));
      await child.until(/ready/);
      const n = 100;
      await t.produce(
        Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })),
      );
      await waitFor(() => child.stdout.split("taken ").length - 1 === n, `${n} records taken`, {
        state: () => child.stdout.length,
      });
      await child.stop("SIGKILL");
      const again: string[] = [];
      const sub = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId,
        handler: (r) => void again.push(text(r)),
      });
      await t.produce([{ topic, key: "after", value: "after the crash" }]);
      await waitFor(() => again.includes("after the crash"), "the record sent after the crash");
      const redelivered = again.filter((v) => v !== "after the crash");
      assert.ok(
        redelivered.length <= 10,
        `${redelivered.length} records came again: ${redelivered}`,
      );
      await sub.close();
    } finally {
      await t.close();
    }
  },
);
