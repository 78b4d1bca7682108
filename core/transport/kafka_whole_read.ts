/**
 * Reading topics whole without a consumer group: every record the topics hold when the read
 * begins, fetched from each partition's leader, from its first offset to its end at that moment.
 * A consumer group would cost its join (a broker keeps a new group waiting for
 * `group.initial.rebalance.delay.ms`, 3 s unless set) and leave a group on the broker to delete;
 * reading what is there needs neither, only the right to read the topics.
 *
 * The records go through the dispatcher as a subscription's do: one at a time, each partition's in
 * order, a fetched batch first to the handler's `prepare`; control records and those of aborted
 * transactions are left out (read committed, as kafkajs's consumer reads), and a batch that does
 * not decode is skipped and told (undecodable.ts). The read ends once every partition has reached
 * that end and the work the handler handed back has finished.
 *
 * @module
 */
import type { Admin, Cluster, KafkaMessage } from "kafkajs";
import type { Dispatcher, LogFn } from "./dispatch.ts";
import { topicOffsets } from "./leaders.ts";
import { requireTopics } from "./missing_topic.ts";
import type { InboundRecord, RecordHandler, SkippedBatch } from "./types.ts";
import { undecodableBatch } from "./undecodable.ts";

/** Kafka's isolation levels: the records of aborted transactions are not read. */
const READ_COMMITTED = 1;
/** How long the broker may hold a fetch with nothing to return (there is, until the end). */
const FETCH_WAIT_MS = 100;
const FETCH_MAX_BYTES = 10 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
/** How long passing refusals (a leader moving, a broker restarting) are asked through. */
const RETRY_FOR_MS = 30_000;
/**
 * Fetches in a row that return nothing of a partition, alone on its leader, before the rest of
 * it is taken as unreadable (a tail that compaction emptied: kafkajs's consumer would wait there).
 */
const EMPTY_FETCHES = 3;

/** What a whole read uses of the Kafka transport. */
export interface WholeReadDeps {
  readonly admin: Admin;
  readonly cluster: () => Promise<Cluster>;
  readonly dispatcher: Dispatcher;
  readonly handler: RecordHandler;
  readonly decode: (topic: string, partition: number, message: KafkaMessage) => InboundRecord;
  readonly onUndecodable?: ((batch: SkippedBatch) => void) | undefined;
  readonly log: LogFn;
}

/** One partition still to read: where its next record is, and where the read stops. */
interface Left {
  readonly topic: string;
  readonly partition: number;
  next: bigint;
  readonly end: bigint;
  empty: number;
}

/** A fetched partition, as kafkajs decodes it (v4 and later). */
interface PartitionData {
  readonly partition: number;
  readonly highWatermark: string;
  readonly lastStableOffset?: string;
  readonly abortedTransactions?: readonly { producerId: string; firstOffset: string }[];
  readonly messages: readonly FetchedMessage[];
}

type FetchedMessage = KafkaMessage & {
  readonly isControlRecord?: boolean;
  readonly batchContext?: {
    readonly firstOffset: string;
    readonly lastOffsetDelta: number;
    readonly producerId: string;
    readonly inTransaction: boolean;
  };
};

const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

/** Reads `topics` whole; throws TopicMissingError for the first that does not exist. */
export async function readWholeTopics(
  topics: readonly string[],
  deps: WholeReadDeps,
): Promise<void> {
  const { admin } = deps;
  await requireTopics(topics, (topic) => admin.fetchTopicMetadata({ topics: [topic] }));
  const left = new Map<string, Left>();
  for (const topic of topics) {
    for (const p of await topicOffsets(admin, topic)) {
      const [next, end] = [BigInt(p.low), BigInt(p.high)];
      if (end > next) left.set(keyOf(topic, p.partition), { ...p, topic, next, end, empty: 0 });
    }
  }
  if (left.size > 0) {
    const cluster = await deps.cluster();
    await cluster.addMultipleTargetTopics([...topics]);
    let since: number | undefined;
    while (left.size > 0) {
      try {
        await fetchRound(cluster, left, deps);
        since = undefined;
      } catch (error) {
        if (await outOfRange(error, left, admin)) continue;
        since ??= Date.now();
        if (!(error as { retriable?: boolean }).retriable || Date.now() - since > RETRY_FOR_MS) {
          throw error;
        }
        deps.log("debug", `Whole read of ${topics.join(", ")}: ${String(error)}; asking again`);
        await cluster.refreshMetadata().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  await deps.dispatcher.idle();
}

/** One fetch from the leader of each partition left, then their records, leader by leader. */
async function fetchRound(cluster: Cluster, left: Map<string, Left>, deps: WholeReadDeps) {
  const byLeader = new Map<string, Left[]>();
  for (const part of left.values()) {
    const leader = cluster.findLeaderForPartitions(part.topic, [part.partition]);
    const nodeId = Object.keys(leader)[0];
    if (nodeId === undefined) {
      throw Object.assign(new Error(`No leader known for ${keyOf(part.topic, part.partition)}`), {
        retriable: true,
      });
    }
    byLeader.set(nodeId, [...byLeader.get(nodeId) ?? [], part]);
  }
  const fetched = await Promise.all(
    [...byLeader].map(async ([nodeId, parts]) => {
      const broker = await cluster.findBroker({ nodeId });
      const topics = [...new Set(parts.map((p) => p.topic))].map((topic) => ({
        topic,
        partitions: parts.filter((p) => p.topic === topic).map((p) => ({
          partition: p.partition,
          fetchOffset: p.next.toString(),
          maxBytes: PARTITION_MAX_BYTES,
        })),
      }));
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: FETCH_WAIT_MS,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        topics,
      });
      return { alone: parts.length === 1, response };
    }),
  );
  for (const { alone, response } of fetched) {
    const responses = response.responses as { topicName: string; partitions: PartitionData[] }[];
    for (const { topicName, partitions } of responses) {
      for (const data of partitions) {
        const part = left.get(keyOf(topicName, data.partition));
        if (part === undefined) continue;
        await readPartition(part, data, alone, deps);
        if (part.next >= part.end) left.delete(keyOf(topicName, data.partition));
      }
    }
  }
}

/** Hands one fetched partition's records to the dispatcher and moves past them. */
async function readPartition(part: Left, data: PartitionData, alone: boolean, deps: WholeReadDeps) {
  const { topic, partition } = part;
  const raw = data.messages;
  if (raw.length === 0) {
    const stable = BigInt(data.lastStableOffset ?? data.highWatermark);
    // What is left is an open transaction's, or (fetched alone, again and again) nothing at all.
    if (stable <= part.next || (alone && ++part.empty >= EMPTY_FETCHES)) {
      deps.log("debug", `Whole read: nothing more to read of ${keyOf(topic, partition)}`);
      part.next = part.end;
    }
    return;
  }
  part.empty = 0;
  // A batch may begin before `next` (a compressed one is fetched whole) or reach past the end.
  const within = raw.filter((m) => BigInt(m.offset) >= part.next && BigInt(m.offset) < part.end);
  const kept = committedOnly(within, data.abortedTransactions ?? []);
  const items = kept.filter((m) => !m.isControlRecord).map((message) => {
    const bad = undecodableBatch(message);
    return { bad, record: bad ? undefined : deps.decode(topic, partition, message) };
  });
  const records = items.flatMap((item) => item.record ?? []);
  const { handler, dispatcher } = deps;
  if (handler.prepare !== undefined && records.length > 1) {
    await handler.prepare(records).catch((error) =>
      deps.log("warn", `Preparing a batch of ${topic} failed: ${String(error)}`)
    );
  }
  for (const { bad, record } of items) {
    if (bad) {
      deps.onUndecodable?.({ topic, partition, ...bad });
      await dispatcher.undecodable({ topic, partition, ...bad }, bad.reason);
    } else await dispatcher.deliver(record!);
  }
  const last = raw[raw.length - 1]!;
  const context = last.batchContext;
  const batchEnd = context === undefined
    ? BigInt(last.offset)
    : BigInt(context.firstOffset) + BigInt(context.lastOffsetDelta);
  const after = (batchEnd > BigInt(last.offset) ? batchEnd : BigInt(last.offset)) + 1n;
  if (after > part.next) part.next = after;
}

/**
 * The messages that are not of an aborted transaction: from an aborted transaction's first
 * offset on, its producer's transactional records are left out until its abort marker.
 */
function committedOnly(
  messages: readonly FetchedMessage[],
  aborted: readonly { producerId: string; firstOffset: string }[],
): readonly FetchedMessage[] {
  if (aborted.length === 0) return messages;
  const starts = [...aborted].sort((a, b) => Number(BigInt(a.firstOffset) - BigInt(b.firstOffset)));
  const open = new Set<string>();
  return messages.filter((message) => {
    while (starts.length > 0 && BigInt(message.offset) >= BigInt(starts[0]!.firstOffset)) {
      open.add(starts.shift()!.producerId);
    }
    const context = message.batchContext;
    if (context === undefined || !open.has(context.producerId)) return true;
    if (message.isControlRecord && isAbortMarker(message)) open.delete(context.producerId);
    return !context.inTransaction;
  });
}

/** A control record's key is its version and type (0 abort, 1 commit), two int16s. */
function isAbortMarker(message: FetchedMessage): boolean {
  const key = message.key;
  return key !== null && key !== undefined && key.length >= 4 && key[2] === 0 && key[3] === 0;
}

/**
 * After an offset out of range (retention deleted the log's start meanwhile): that partition is
 * read on from where its log starts now. False for any other error.
 */
async function outOfRange(error: unknown, left: Map<string, Left>, admin: Admin) {
  const { topic, partition } = error as { topic?: string; partition?: number };
  if ((error as Error).name !== "KafkaJSOffsetOutOfRange" || topic === undefined) return false;
  const part = left.get(keyOf(topic, partition ?? -1));
  if (part === undefined) return false;
  const low = (await topicOffsets(admin, topic)).find((p) => p.partition === part.partition)?.low;
  if (low === undefined || BigInt(low) <= part.next) return false;
  part.next = BigInt(low);
  return true;
}
