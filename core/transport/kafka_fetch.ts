/**
 * Fetching partitions from their leaders without a consumer group, through kafkajs's own cluster
 * connection (kafka_cluster.ts), and what a consumer makes of a fetched partition: its records
 * from the offset asked for (a compressed batch is fetched whole), read committed (an aborted
 * transaction's records and every control record left out), and the offset after the batch.
 *
 * @module
 */
import type { Admin, Cluster, KafkaMessage } from "kafkajs";
import { topicOffsets } from "./leaders.ts";

/** Kafka's isolation levels: the records of aborted transactions are not read. */
const READ_COMMITTED = 1;
const FETCH_MAX_BYTES = 10 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;

/** A partition read without a group: where its next record is. */
export interface FetchedPart {
  readonly topic: string;
  readonly partition: number;
  next: bigint;
}

/** A fetched partition, as kafkajs decodes it (Fetch v4 and later). */
export interface PartitionData {
  readonly partition: number;
  readonly highWatermark: string;
  readonly lastStableOffset?: string;
  readonly abortedTransactions?: readonly { producerId: string; firstOffset: string }[];
  readonly messages: readonly FetchedMessage[];
}

/** A record as kafkajs decodes it from a batch, with the batch's context. */
export type FetchedMessage = KafkaMessage & {
  readonly isControlRecord?: boolean;
  readonly batchContext?: {
    readonly firstOffset: string;
    readonly lastOffsetDelta: number;
    readonly producerId: string;
    readonly inTransaction: boolean;
  };
};

/** One leader's answer: its partitions' data, and whether it was asked for one partition only. */
export interface LeaderAnswer {
  readonly alone: boolean;
  readonly topics: readonly { topicName: string; partitions: PartitionData[] }[];
}

export const partKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** A passing refusal, as kafkajs marks its own (asked again after the metadata is refreshed). */
function passing(message: string): Error {
  return Object.assign(new Error(message), { retriable: true });
}

/**
 * One fetch from the leader of each of `parts`, all leaders at once; rejects with the first
 * failure (a leader moved, a broker out of reach: kafkajs's errors, `retriable` where passing).
 */
export async function fetchFromLeaders(
  cluster: Cluster,
  parts: readonly FetchedPart[],
  maxWaitMs: number,
): Promise<LeaderAnswer[]> {
  const byLeader = new Map<string, FetchedPart[]>();
  for (const part of parts) {
    const leader = cluster.findLeaderForPartitions(part.topic, [part.partition]);
    const nodeId = Object.keys(leader)[0];
    if (nodeId === undefined) {
      throw passing(`No leader known for ${partKey(part.topic, part.partition)}`);
    }
    byLeader.set(nodeId, [...byLeader.get(nodeId) ?? [], part]);
  }
  return await Promise.all(
    [...byLeader].map(async ([nodeId, mine]) => {
      const broker = await cluster.findBroker({ nodeId });
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        topics: [...new Set(mine.map((p) => p.topic))].map((topic) => ({
          topic,
          partitions: mine.filter((p) => p.topic === topic).map((p) => ({
            partition: p.partition,
            fetchOffset: p.next.toString(),
            maxBytes: PARTITION_MAX_BYTES,
          })),
        })),
      });
      return { alone: mine.length === 1, topics: response.responses };
    }),
  );
}

/**
 * The records of a fetched partition a consumer hands over, from `from` and before `until`:
 * committed ones, no control record. A batch may begin before `from` (a compressed one is
 * fetched whole).
 */
export function recordsOf(data: PartitionData, from: bigint, until?: bigint): FetchedMessage[] {
  const within = data.messages.filter((m) => {
    const offset = BigInt(m.offset);
    return offset >= from && (until === undefined || offset < until);
  });
  return committedOnly(within, data.abortedTransactions ?? []).filter((m) => !m.isControlRecord);
}

/** The offset after the last batch of a fetched partition (undefined when it holds none). */
export function offsetAfter(data: PartitionData): bigint | undefined {
  const last = data.messages.at(-1);
  if (last === undefined) return undefined;
  const context = last.batchContext;
  const offset = BigInt(last.offset);
  const batchEnd = context === undefined
    ? offset
    : BigInt(context.firstOffset) + BigInt(context.lastOffsetDelta);
  return (batchEnd > offset ? batchEnd : offset) + 1n;
}

/**
 * The messages that are not of an aborted transaction: from an aborted transaction's first
 * offset on, its producer's transactional records are left out until its abort marker.
 */
function committedOnly(
  messages: readonly FetchedMessage[],
  aborted: readonly { producerId: string; firstOffset: string }[],
): FetchedMessage[] {
  if (aborted.length === 0) return [...messages];
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
 * After an offset out of range, the partition is read on from where its log starts now: past
 * what retention deleted meanwhile, or from the start of a topic made again with fewer records
 * (state is read again whole). False for any other error.
 */
export async function readFromLogStart(
  error: unknown,
  parts: ReadonlyMap<string, FetchedPart>,
  admin: Admin,
): Promise<boolean> {
  const { topic, partition } = error as { topic?: string; partition?: number };
  if ((error as Error)?.name !== "KafkaJSOffsetOutOfRange" || topic === undefined) return false;
  const part = parts.get(partKey(topic, partition ?? -1));
  if (part === undefined) return false;
  const low = (await topicOffsets(admin, topic)).find((p) => p.partition === part.partition)?.low;
  if (low === undefined || BigInt(low) === part.next) return false;
  part.next = BigInt(low);
  return true;
}
