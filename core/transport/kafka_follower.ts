/**
 * State topics read in no consumer group. A state subscription reads its topics from their start
 * and commits nothing, so a group gives it nothing but costs its join, which a broker holds back
 * for `group.initial.rebalance.delay.ms` (3 s unless set), and leaves a group on the broker when
 * its process dies. A {@link KafkaFollower} asks each partition's leader itself (kafka_fetch.ts):
 * from the partition's start, then on as records come (a fetch waits at the broker for them), and
 * for a whole read ({@link readWholeTopics}) only up to where each partition ended when it began.
 *
 * The records go through the dispatcher as a consumer's do: one at a time, each partition's in
 * order, a fetched batch first to the handler's `prepare`; a batch that does not decode is skipped
 * and told (undecodable.ts). It holds the next record while paused or while the executor is full.
 * A refusal (a leader moved, a broker out of reach) is asked through again, with a backoff, for as
 * long as the follower runs; a whole read gives up after half a minute of them.
 *
 * @module
 */
import type { Admin, Cluster, KafkaMessage } from "kafkajs";
import { Wakeable } from "./bounded.ts";
import type { Dispatcher, LogFn } from "./dispatch.ts";
import {
  type FetchedPart,
  fetchFromLeaders,
  type LeaderAnswer,
  offsetAfter,
  type PartitionData,
  partKey,
  readFromLogStart,
  recordsOf,
} from "./kafka_fetch.ts";
import { topicOffsets } from "./leaders.ts";
import { requireTopics } from "./missing_topic.ts";
import type { InboundRecord, RecordHandler, SkippedBatch, Subscription } from "./types.ts";
import { undecodableBatch } from "./undecodable.ts";

/** How long the broker holds a fetch that has nothing to return yet. */
const FOLLOW_WAIT_MS = 250;
/** A whole read's: there is something to return until the end. */
const WHOLE_WAIT_MS = 100;
/** How long a whole read asks through passing refusals before it fails. */
const WHOLE_RETRY_MS = 30_000;
const MAX_BACKOFF_MS = 5_000;
/**
 * Fetches in a row that return nothing of a partition, alone on its leader, while the broker says
 * it holds committed records past the offset asked for: its tail was emptied by compaction, and
 * the follower moves past it (kafkajs's consumer would ask there forever).
 */
const EMPTY_FETCHES = 3;

/** What a {@link KafkaFollower} is made of. */
export interface FollowerDeps {
  readonly admin: Admin;
  /** A cluster connection of its own (a long fetch holds a connection); closed by `release`. */
  readonly cluster: () => Promise<Cluster>;
  readonly release?: () => Promise<void>;
  /** Names it in logs and as `groupId` (it joins no group). */
  readonly label: string;
  readonly topics: readonly string[];
  readonly handler: RecordHandler;
  readonly onUndecodable?: ((batch: SkippedBatch) => void) | undefined;
  readonly dispatcher: Dispatcher;
  readonly decode: (topic: string, partition: number, message: KafkaMessage) => InboundRecord;
  readonly log: LogFn;
  /** Stops at the ends the partitions had at start, and fails on lasting refusals. */
  readonly whole?: boolean;
}

interface Followed extends FetchedPart {
  /** Where the partition ended at start (absent when it was empty then). */
  readonly end?: bigint;
  empty: number;
}

/** A state subscription without a consumer group; see the module documentation. */
export class KafkaFollower implements Subscription {
  readonly groupId: string;
  readonly #deps: FollowerDeps;
  readonly #parts = new Map<string, Followed>();
  #cluster: Cluster | undefined;
  #loop: Promise<void> | undefined;
  #caughtUp: Array<() => void> = [];
  readonly #waits = new Wakeable();
  #paused = false;
  #closing = false;
  readonly #closed: { promise: Promise<void>; resolve: () => void };

  constructor(deps: FollowerDeps) {
    this.#deps = deps;
    this.groupId = deps.label;
    let resolve = () => {};
    this.#closed = { promise: new Promise<void>((r) => resolve = r), resolve };
  }

  get stats() {
    return this.#deps.dispatcher.stats;
  }

  /**
   * Finds the partitions and where each starts and ends now (a missing topic is a
   * TopicMissingError), then reads on in the background.
   */
  async start(): Promise<void> {
    const { admin, topics } = this.#deps;
    await requireTopics(topics, (topic) => admin.fetchTopicMetadata({ topics: [topic] }));
    for (const topic of topics) {
      for (const p of await topicOffsets(admin, topic)) {
        const [next, end] = [BigInt(p.low), BigInt(p.high)];
        const part = { topic, partition: p.partition, next, empty: 0 };
        this.#parts.set(partKey(topic, p.partition), end > next ? { ...part, end } : part);
      }
    }
    if (this.#deps.whole && this.#leftToRead().length === 0) {
      this.#loop = Promise.resolve();
      return;
    }
    this.#cluster = await this.#deps.cluster();
    await this.#cluster.addMultipleTargetTopics([...topics]);
    this.#loop = this.#run();
    // A whole read's failure is its caller's (`ended`); a follower's would stop it: said.
    this.#loop.catch((error) => {
      if (!this.#deps.whole) this.#deps.log("error", `${this.groupId} stopped: ${String(error)}`);
    });
  }

  /** A whole read's end: every partition read to its end at start, or the failure that ended it. */
  ended(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }

  assignment(): string[] {
    return [...this.#parts.keys()].sort();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#waits.wake();
  }

  caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      this.#caughtUp.push(resolve);
      this.#checkCaughtUp();
    });
  }

  /** See {@link Subscription.behind}: the partitions' ends now against where this has read. */
  async behind(topics: readonly string[] = this.#deps.topics): Promise<boolean> {
    const mine = topics.filter((t) => this.#deps.topics.includes(t));
    if (mine.length === 0) return true;
    const ends = await Promise.all(mine.map((topic) => topicOffsets(this.#deps.admin, topic)));
    return mine.some((topic, i) =>
      (ends[i] ?? []).some((p) => {
        const part = this.#parts.get(partKey(topic, p.partition));
        return part === undefined || BigInt(p.high) > part.next;
      })
    );
  }

  idle(): Promise<void> {
    return this.#deps.dispatcher.idle();
  }

  /** Hands over no further record, then waits for the work the handler handed back. */
  async close(_graceMs = 0): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#closed.resolve();
      this.#waits.wake();
      await this.#loop?.catch(() => {});
      await this.#deps.release?.().catch(() => {});
    }
    await this.idle();
  }

  #leftToRead(): Followed[] {
    return [...this.#parts.values()].filter((p) => p.end !== undefined && p.next < p.end);
  }

  async #run(): Promise<void> {
    const { whole, log, label, admin } = this.#deps;
    const cluster = this.#cluster!;
    let backoff = 0;
    let failingSince: number | undefined;
    while (!this.#closing) {
      await this.#hold();
      const wanted = whole ? this.#leftToRead() : [...this.#parts.values()];
      if (this.#closing || wanted.length === 0) return;
      let answers: LeaderAnswer[] | undefined;
      try {
        const fetching = fetchFromLeaders(cluster, wanted, whole ? WHOLE_WAIT_MS : FOLLOW_WAIT_MS);
        fetching.catch(() => {});
        answers = await Promise.race([fetching, this.#closed.promise.then(() => undefined)]);
        this.stats.fetches++;
      } catch (error) {
        if (await readFromLogStart(error, this.#parts, admin).catch(() => false)) continue;
        failingSince ??= Date.now();
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (whole && (!retriable || Date.now() - failingSince > WHOLE_RETRY_MS)) throw error;
        backoff = Math.min(Math.max(100, backoff * 2), MAX_BACKOFF_MS);
        if (backoff === 100) log(retriable ? "debug" : "warn", `${label}: ${String(error)}`);
        await this.#waits.sleep(backoff);
        await cluster.refreshMetadata().catch(() => {});
        continue;
      }
      if (answers === undefined) return;
      [backoff, failingSince] = [0, undefined];
      for (const { alone, topics } of answers) {
        for (const { topicName, partitions } of topics) {
          for (const data of partitions) {
            const part = this.#parts.get(partKey(topicName, data.partition));
            if (part !== undefined) await this.#take(part, data, alone);
            if (this.#closing) return;
          }
        }
      }
      this.#checkCaughtUp();
    }
  }

  /** Hands one fetched partition's records over, each once the dispatcher may take it. */
  async #take(part: Followed, data: PartitionData, alone: boolean): Promise<void> {
    const { topic, partition } = part;
    const after = offsetAfter(data);
    if (after === undefined) return this.#nothingAt(part, data, alone);
    part.empty = 0;
    const items = recordsOf(data, part.next, this.#deps.whole ? part.end : undefined).map(
      (message) => {
        const bad = undecodableBatch(message);
        const record = bad ? undefined : this.#deps.decode(topic, partition, message);
        return { offset: BigInt(message.offset), bad, record };
      },
    );
    const { handler, dispatcher, log, onUndecodable } = this.#deps;
    const records = items.flatMap((item) => item.record ?? []);
    if (handler.prepare !== undefined && records.length > 1) {
      await handler.prepare(records).catch((error) =>
        log("warn", `Preparing a batch of ${this.groupId} failed: ${String(error)}`)
      );
    }
    for (const { offset, bad, record } of items) {
      await this.#hold();
      if (this.#closing) return;
      if (bad) {
        onUndecodable?.({ topic, partition, ...bad });
        await dispatcher.undecodable({ topic, partition, ...bad }, bad.reason);
      } else await dispatcher.deliver(record!);
      part.next = offset + 1n;
    }
    if (after > part.next) part.next = after;
  }

  /**
   * A partition fetched with nothing in it. When the broker holds no committed record past the
   * offset asked for, a whole read of it is done (what is left is an open transaction's); when it
   * does and answers nothing again and again, that tail is gone (see {@link EMPTY_FETCHES}).
   */
  #nothingAt(part: Followed, data: PartitionData, alone: boolean): void {
    const stable = BigInt(data.lastStableOffset ?? data.highWatermark);
    const gone = stable > part.next && alone && ++part.empty >= EMPTY_FETCHES;
    if (gone) {
      this.#deps.log(
        "debug",
        `${this.groupId}: nothing readable before ${stable} of ${
          partKey(part.topic, part.partition)
        }`,
      );
      part.next = stable;
    } else if (this.#deps.whole && stable <= part.next && part.end !== undefined) {
      part.next = part.end;
    }
  }

  #checkCaughtUp(): void {
    if (this.#leftToRead().length > 0) return;
    for (const wake of this.#caughtUp.splice(0)) wake();
  }

  /** Waits while paused or while the executor is full (or until closing). */
  async #hold(): Promise<void> {
    const { dispatcher } = this.#deps;
    if (!this.#paused && !dispatcher.executor.full) return;
    dispatcher.stats.pauses++;
    while (!this.#closing && (this.#paused || dispatcher.executor.full)) {
      const woken = this.#waits.untilWoken();
      await (dispatcher.executor.full
        ? Promise.race([woken, dispatcher.executor.whenFree()])
        : woken);
    }
  }
}

/** What {@link readWholeTopics} reads with. */
export type WholeReadDeps = Omit<FollowerDeps, "whole" | "release">;

/**
 * Reads `topics` whole: every record they hold when the read begins (a missing topic is a
 * TopicMissingError), and the work the handler handed back ended.
 */
export async function readWholeTopics(deps: WholeReadDeps): Promise<void> {
  const follower = new KafkaFollower({ ...deps, whole: true });
  await follower.start();
  try {
    await follower.ended();
  } finally {
    await follower.close();
  }
}
