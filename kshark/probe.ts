/**
 * The produce+consume probe: one record with a unique key (`kshark-<uuid>`) and a header
 * (`kshark-probe: <uuid>`) produced to a topic and read back by a consumer group of its own, each
 * step timed. It cleans up after itself: the consumer group is deleted, and a topic kshark made
 * for the probe (`--probe-topics` without `--topic`) is deleted; a record probed into a topic of
 * yours stays until the topic's retention removes it (Kafka cannot delete one record alone).
 *
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import { waitForLeaders } from "../core/transport/mod.ts";
import { type CheckContext, reason, timed } from "./check.ts";

/** Where the probe starts reading: at its own record, or at the topic's beginning. */
export type StartOffset = "latest" | "earliest";

/** The header every probe record carries. */
export const PROBE_HEADER = "kshark-probe";

/** Produces one probe record to `topic` and reads it back; rows for both steps. */
export async function probeTopic(
  ctx: CheckContext,
  kafka: Kafka,
  admin: Admin,
  options: { topic: string; startOffset: StartOffset; temporary?: boolean },
): Promise<void> {
  const { topic, startOffset } = options;
  const id = crypto.randomUUID();
  const key = `kshark-${id}`;
  const base = { target: topic, layer: "L7-Kafka" } as const;
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
  ctx.starting(`produce to ${topic}`);
  let partition: number;
  let offset: string;
  try {
    const { value, ms } = await timed(
      ctx,
      ctx.timeouts.produceMs,
      `producing to ${topic}`,
      async () => {
        await producer.connect();
        return await producer.send({
          topic,
          acks: -1,
          timeout: ctx.timeouts.produceMs,
          messages: [{
            key,
            value: JSON.stringify({ kshark: "probe", id, at: new Date().toISOString() }),
            headers: { [PROBE_HEADER]: id },
          }],
        });
      },
    );
    partition = value[0]!.partition;
    offset = value[0]!.baseOffset ?? "0";
    ctx.add({
      ...base,
      component: "Produce",
      status: "OK",
      detail: `record ${key} acknowledged by all in-sync replicas at partition ${partition}, ` +
        `offset ${offset} in ${ms} ms`,
      ms,
    });
  } catch (error) {
    ctx.add({
      ...base,
      component: "Produce",
      status: "FAIL",
      detail: `cannot produce to ${topic}: ${reason(error)}`,
      hint: `check that the principal may WRITE to ${topic} and that enough replicas are in ` +
        "sync (min.insync.replicas); raise --produce-timeout on a slow link",
    });
    ctx.add({ ...base, component: "Consume", status: "SKIP", detail: "nothing was produced" });
    return;
  } finally {
    await producer.disconnect().catch(() => {});
  }
  await consumeProbe(ctx, kafka, admin, { topic, key, id, partition, offset, startOffset });
}

async function consumeProbe(
  ctx: CheckContext,
  kafka: Kafka,
  admin: Admin,
  probe: {
    topic: string;
    key: string;
    id: string;
    partition: number;
    offset: string;
    startOffset: StartOffset;
  },
): Promise<void> {
  const { topic, key, id } = probe;
  const groupId = `kshark-probe-${id}`;
  const base = { component: "Consume", target: topic, layer: "L7-Kafka" } as const;
  // A young cluster makes its offsets topic at the first group's join, so finding the group's
  // coordinator may take a few tries: they are bounded by --consume-timeout.
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let crashed: string | undefined;
  consumer.on(consumer.events.CRASH, (event) => void (crashed = reason(event.payload.error)));
  // A consumer that kafkajs restarts after a crash forgets an earlier seek: seek at every join.
  if (probe.startOffset === "latest") {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      try {
        consumer.seek({ topic, partition: probe.partition, offset: probe.offset });
      } catch { /* stopped meanwhile */ }
    });
  }
  ctx.starting(`consume from ${topic}`);
  try {
    const { ms } = await timed(ctx, ctx.timeouts.consumeMs, `reading ${key} back`, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: probe.startOffset === "earliest" });
      await new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: ({ message }) => {
            const header = message.headers?.[PROBE_HEADER];
            if (message.key?.toString() === key && header?.toString() === id) resolve();
            return Promise.resolve();
          },
        });
      });
    });
    ctx.add({
      ...base,
      status: "OK",
      detail: `read ${key} back (header ${PROBE_HEADER} intact) from partition ` +
        `${probe.partition} in ${ms} ms, starting at the ${
          probe.startOffset === "latest" ? "probe's offset" : "topic's beginning"
        }`,
      ms,
    });
  } catch (error) {
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `cannot read the probe back: ${reason(error)}${
        crashed ? ` (the consumer: ${crashed})` : ""
      }`,
      hint: `check that the principal may READ ${topic} and use consumer groups named ` +
        "kshark-probe-* (ACLs); raise --consume-timeout where joining a group is slow",
    });
  } finally {
    await consumer.disconnect().catch(() => {});
    await dropProbeGroup(ctx, admin, groupId);
  }
}

/**
 * Deletes the probe's consumer group; a few tries, since the coordinator may still count the
 * member that just left. A WARN row when it stays.
 */
async function dropProbeGroup(ctx: CheckContext, admin: Admin, groupId: string): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await admin.deleteGroups([groupId]);
      return;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  }
  ctx.add({
    component: "Cleanup",
    target: groupId,
    layer: "L7-Kafka",
    status: "WARN",
    detail: `cannot delete the probe's consumer group: ${reason(last)}`,
    hint: `delete the consumer group ${groupId} by hand (kafka-consumer-groups.sh --delete)`,
  });
}

/** Makes a topic of kshark's own for the probe; its name, or undefined (with a FAIL row). */
export async function makeProbeTopic(
  ctx: CheckContext,
  admin: Admin,
  brokers: number,
): Promise<string | undefined> {
  const topic = `kshark-probe-${crypto.randomUUID()}`;
  ctx.starting(`create ${topic}`);
  try {
    await timed(ctx, ctx.timeouts.kafkaMs, `creating ${topic}`, async () => {
      await admin.createTopics({
        waitForLeaders: false,
        topics: [{ topic, numPartitions: 1, replicationFactor: Math.min(3, brokers) }],
      });
      await waitForLeaders(admin, [topic], ctx.timeouts.kafkaMs);
    });
    return topic;
  } catch (error) {
    ctx.add({
      component: "Produce",
      target: topic,
      layer: "L7-Kafka",
      status: "FAIL",
      detail: `cannot create a topic for the probe: ${reason(error)}`,
      hint: "name a topic to probe with --topic, or grant the principal CREATE on the cluster",
    });
    return undefined;
  }
}

/** Deletes the probe's own topic; a WARN row when that fails. */
export async function dropProbeTopic(
  ctx: CheckContext,
  admin: Admin,
  topic: string,
): Promise<void> {
  try {
    await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      `deleting ${topic}`,
      () => admin.deleteTopics({ topics: [topic], timeout: ctx.timeouts.kafkaMs }),
    );
  } catch (error) {
    ctx.add({
      component: "Cleanup",
      target: topic,
      layer: "L7-Kafka",
      status: "WARN",
      detail: `cannot delete the probe's topic: ${reason(error)}`,
      hint: `delete ${topic} by hand`,
    });
  }
}
