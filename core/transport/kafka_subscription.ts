/**
 * One work or stream subscription of the Kafka transport (a state subscription joins no group:
 * kafka_follower.ts): a kafkajs consumer whose records go through the dispatcher, with commits
 * off the fetch path (commits.ts) that never pass a record whose work still runs, and a consumer
 * that never blocks.
 *
 * The consumer holds its next record, instead of pausing its partitions, while the executor is
 * full, the subscription is paused, or too many records wait for a commit. Holding keeps the
 * record in hand and heartbeats every few hundred milliseconds, so membership is kept and a
 * rebalance is joined at once; and when a slot frees, the held record goes to the handler
 * straight away. (A kafkajs consumer whose partitions are all paused sleeps its whole fetch wait
 * before it looks again, and resuming does not wake it.) A handler that does not return at once
 * is heartbeated over the same way, so it never costs the membership; but kafkajs fetches again
 * only when every record of the last fetch is handled, so a slow handler delays the next records
 * of every partition. Handlers return quickly and hand slow work back: work holds nothing.
 *
 * @module
 */
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import { RunningWork, Wakeable } from "./bounded.ts";
import { OffsetCommitter } from "./commits.ts";
import type { Dispatcher, LogFn } from "./dispatch.ts";
import { topicOffsets, topicOffsetsSince } from "./leaders.ts";
import type { InboundRecord, SubscribeOptions, Subscription } from "./types.ts";
import { type UndecodableBatch, undecodableBatch } from "./undecodable.ts";

/** How often a held consumer looks again and heartbeats (kafkajs sends one per interval). */
const HOLD_TICK_MS = 200;

/** A partition a stream group reads from `next`, whatever kafkajs would choose. */
interface Start {
  readonly topic: string;
  readonly partition: number;
  next: bigint;
}

/** What a {@link KafkaSubscription} is made of. */
export interface KafkaSubscriptionDeps {
  readonly consumer: Consumer;
  readonly admin: Admin;
  readonly groupId: string;
  readonly options: SubscribeOptions;
  readonly dispatcher: Dispatcher;
  readonly decode: (topic: string, partition: number, message: KafkaMessage) => InboundRecord;
  readonly commit: { readonly intervalMs: number; readonly maxUncommitted: number };
  readonly log: LogFn;
}

/** A running Kafka subscription. */
export class KafkaSubscription implements Subscription {
  readonly groupId: string;
  readonly #deps: KafkaSubscriptionDeps;
  readonly #committer: OffsetCommitter;
  readonly #ends = new Map<string, bigint>();
  /** Where a new stream group starts each partition it has no commit for, then moves on. */
  readonly #starts = new Map<string, Start>();
  #caughtUp: Array<() => void> = [];
  /** The next offset of each partition read in this run, as `topic:partition`. */
  readonly #read = new Map<string, bigint>();
  readonly #waits = new Wakeable();
  #assigned = new Set<string>();
  #manualPause = false;
  /** Closing: no further record goes to the handler while the work running gets its grace. */
  #draining = false;
  #closing = false;
  #closed = false;
  #inMessage: Promise<void> | undefined;
  /** Each taken record whose work runs, until its end is marked for the committer. */
  readonly #finishing = new RunningWork();

  constructor(deps: KafkaSubscriptionDeps) {
    this.#deps = deps;
    this.groupId = deps.groupId;
    const { consumer, dispatcher } = deps;
    this.#committer = new OffsetCommitter({
      commit: (offsets) => consumer.commitOffsets([...offsets]),
      ...deps.commit,
      onSettled: () => {
        dispatcher.stats.commits = this.#committer.commits;
        this.#waits.wake();
      },
      log: deps.log,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      dispatcher.stats.joins++;
      this.#committer.rejoined();
      this.#assigned = new Set(
        Object.entries(payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)),
      );
      // kafkajs emits this after the join and before the next fetch, which takes the seeks. A
      // consumer it restarts (after a crash) forgets earlier seeks, so they are made at each join.
      for (const { topic, partition, next } of this.#starts.values()) {
        consumer.seek({ topic, partition, offset: next.toString() });
      }
      deps.options.onJoin?.(dispatcher.stats.joins);
    });
    // Commit what is finished before the group moves on, so the next owner starts after it (and
    // takes again what still runs here: the task's protocol makes that harmless).
    consumer.on(consumer.events.REBALANCING, () => void this.#committer.flush());
    consumer.on(consumer.events.FETCH_START, () => void dispatcher.stats.fetches++);
  }

  get stats() {
    return this.#deps.dispatcher.stats;
  }

  assignment(): string[] {
    return [...this.#assigned].sort();
  }

  async start(fromBeginning: boolean): Promise<void> {
    const { consumer, options } = this.#deps;
    // kafkajs fixes "latest" at the first fetch, after subscribe() has returned, so a record
    // produced in between would be skipped. A stream group starting at the end therefore starts
    // each partition it has no commit for at the end it has now, before it returns.
    if (options.kind === "stream" && !fromBeginning) {
      for (const { end, ...start } of await this.#uncommittedStarts()) {
        const key = `${start.topic}:${start.partition}`;
        this.#starts.set(key, start);
        // Started before the end (`fromTime`): `caughtUp` waits for the records up to it.
        if (start.next < end) this.#ends.set(key, end);
      }
    }
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => {
        const handling = this.#batch(payload);
        this.#inMessage = handling.catch(() => {});
        return handling;
      },
    });
  }

  /**
   * Each partition of the topics that this group has no commit for, with its end now and where it
   * starts: that end, or with `fromTime` its first record since then.
   */
  async #uncommittedStarts(): Promise<(Start & { readonly end: bigint })[]> {
    const { admin, options } = this.#deps;
    const topics = [...options.topics];
    const { fromTime } = options;
    const [committed, ends, since] = await Promise.all([
      admin.fetchOffsets({ groupId: this.groupId, topics }),
      Promise.all(topics.map((topic) => topicOffsets(admin, topic))),
      Promise.all(
        topics.map((topic) =>
          fromTime === undefined ? [] : topicOffsetsSince(admin, topic, fromTime)
        ),
      ),
    ]);
    const has = new Set(
      committed.flatMap((t) =>
        t.partitions.filter((p) => BigInt(p.offset) >= 0n).map((p) => `${t.topic}:${p.partition}`)
      ),
    );
    return topics.flatMap((topic, i) =>
      (ends[i] ?? []).filter((p) => !has.has(`${topic}:${p.partition}`)).map((p) => {
        const end = BigInt(p.high);
        const from = since[i]!.find((s) => s.partition === p.partition);
        const next = from === undefined ? end : BigInt(from.offset);
        return { topic, partition: p.partition, next, end };
      })
    );
  }

  /**
   * One fetched batch of a partition: decoded whole, handed to the handler's `prepare` (its
   * signature checks start together), then its records one by one, in order, as kafkajs's own
   * per-message loop does: each offset resolved once its record is done, a heartbeat after each,
   * and no further record once the consumer stops or the partition was sought elsewhere.
   */
  async #batch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const { decode, options, log } = this.#deps;
    const items = batch.messages.map((message) => {
      const bad = undecodableBatch(message);
      return { message, bad, record: bad ? undefined : decode(topic, partition, message) };
    });
    const records = items.flatMap((item) => item.record ?? []);
    if (options.handler.prepare !== undefined && records.length > 1) {
      await options.handler.prepare(records).catch((error) =>
        log("warn", `Preparing a batch of ${this.groupId} failed: ${String(error)}`)
      );
    }
    for (const item of items) {
      if (!isRunning() || isStale()) break;
      await this.#each(topic, partition, item, heartbeat);
      resolveOffset(item.message.offset);
      await heartbeat();
    }
  }

  async #each(
    topic: string,
    partition: number,
    item: {
      message: KafkaMessage;
      bad: UndecodableBatch | undefined;
      record: InboundRecord | undefined;
    },
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    await this.#hold(heartbeat);
    if (this.#closing) return;
    const { message, bad, record } = item;
    if (bad) this.#deps.options.onUndecodable?.({ topic, partition, ...bad });
    // Finished at once unless the handler hands work back; a delivery that failed is finished.
    let finished: Promise<boolean> | undefined;
    const delivery =
      (bad
        ? this.#deps.dispatcher.undecodable({ topic, partition, ...bad }, bad.reason)
        : this.#deps.dispatcher.deliver(record as InboundRecord)).then((d) => {
          finished = d.finished;
        });
    const rebalance = await this.#heartbeatWhile(delivery, heartbeat);
    const done = this.#committer.taken(topic, partition, message.offset);
    if (finished === undefined) done();
    else this.#finishing.track(finished.then((ended) => void (ended && done())));
    const start = this.#starts.get(`${topic}:${partition}`);
    if (start !== undefined) start.next = BigInt(message.offset) + 1n;
    this.#markRead(topic, partition, BigInt(message.offset));
    if (rebalance !== undefined) throw rebalance;
  }

  #held(): boolean {
    return this.#manualPause || this.#draining || this.#deps.dispatcher.executor.full ||
      this.#committer.atBound === true;
  }

  /** Waits, heartbeating, until the next record may go to the handler (or the end). */
  async #hold(heartbeat: () => Promise<void>): Promise<void> {
    if (!this.#held()) return;
    const { dispatcher } = this.#deps;
    dispatcher.stats.pauses++;
    let watching = false;
    while (!this.#closing && this.#held()) {
      if (dispatcher.executor.full && !watching) {
        watching = true;
        dispatcher.executor.whenFree().then(() => {
          watching = false;
          this.#waits.wake();
        });
      }
      await this.#waits.sleep(HOLD_TICK_MS);
      if (!this.#closing && this.#held()) await heartbeat();
    }
  }

  /**
   * Awaits a delivery, heartbeating while it takes long. A rebalance seen meanwhile is returned,
   * to be thrown once the record is accounted for, so kafkajs rejoins the group.
   */
  async #heartbeatWhile(
    delivery: Promise<void>,
    heartbeat: () => Promise<void>,
  ): Promise<unknown> {
    let done = false;
    const settled = delivery.then(
      () => void (done = true),
      (error) => {
        done = true;
        this.#deps.log("error", `Delivery to ${this.groupId} failed: ${String(error)}`);
      },
    ).finally(() => this.#waits.wake());
    let rebalance: unknown;
    await Promise.race([settled, this.#waits.sleep(HOLD_TICK_MS)]);
    while (!done) {
      if (rebalance === undefined) {
        await heartbeat().catch((error) => void (rebalance = error));
      }
      await Promise.race([settled, this.#waits.sleep(HOLD_TICK_MS)]);
    }
    return rebalance;
  }

  pause(): void {
    this.#manualPause = true;
  }

  resume(): void {
    this.#manualPause = false;
    this.#waits.wake();
  }

  #markRead(topic: string, partition: number, offset: bigint): void {
    const key = `${topic}:${partition}`;
    this.#read.set(key, offset + 1n);
    const end = this.#ends.get(key);
    if (end !== undefined && offset + 1n >= end) this.#ends.delete(key);
    this.#checkCaughtUp();
  }

  #checkCaughtUp(): void {
    if (this.#ends.size > 0) return;
    for (const wake of this.#caughtUp.splice(0)) wake();
  }

  caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      this.#caughtUp.push(resolve);
      this.#checkCaughtUp();
    });
  }

  /**
   * See {@link Subscription.behind}. The ends are read first, so a record appended while this
   * looks does not count. Where this run read nothing of a partition yet, its position is where
   * it started: the group's commit, or the end a new stream group starts at.
   */
  async behind(topics: readonly string[] = this.#deps.options.topics): Promise<boolean> {
    const { admin } = this.#deps;
    const mine = topics.filter((t) => this.#deps.options.topics.includes(t));
    const ends = await Promise.all(mine.map((topic) => topicOffsets(admin, topic)));
    const held = mine.flatMap((topic, i) =>
      (ends[i] ?? []).flatMap((p) => {
        const key = `${topic}:${p.partition}`;
        if (!this.#assigned.has(key)) return [];
        const at = this.#read.get(key) ?? this.#starts.get(key)?.next;
        return [{ key, topic, high: BigInt(p.high), low: BigInt(p.low), at }];
      })
    );
    if (held.length === 0) return true;
    const unread = held.filter((p) => p.high > (p.at ?? p.low));
    if (unread.some((p) => p.at !== undefined)) return true;
    if (unread.length === 0) return false;
    // Nothing read there in this run: the consumer started at the group's commit.
    const committed = await admin.fetchOffsets({
      groupId: this.groupId,
      topics: [...new Set(unread.map((p) => p.topic))],
    });
    const start = new Map<string, bigint>(
      committed.flatMap((t) =>
        t.partitions.map((p) => [`${t.topic}:${p.partition}`, BigInt(p.offset)] as const)
      ),
    );
    return unread.some((p) => p.high > (start.get(p.key) ?? -1n));
  }

  idle(): Promise<void> {
    return this.#deps.dispatcher.idle();
  }

  /**
   * Takes no further record (the consumer holds the next one, heartbeating, so the group keeps
   * this member), gives the work running up to `graceMs` to end, commits what finished, leaves
   * the group, then waits for the work still running: what finishes after the commit is delivered
   * again, to this agent's next run or to the partition's next owner.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#draining = true;
    // A dead letter still being written ends now: its record is not committed, so it comes again.
    this.#deps.dispatcher.stop();
    await this.#finishing.grace(graceMs);
    this.#closing = true;
    this.#waits.wake();
    await this.#inMessage;
    await this.#committer.flush().catch(() => {});
    this.#committer.stop();
    await this.#deps.consumer.disconnect();
    await this.idle();
  }
}
