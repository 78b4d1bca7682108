/**
 * Offset commits off the fetch path. A consumer tells the committer which records its handler
 * has taken, and later that each is finished (the work the handler handed back has ended); the
 * committer commits in the background, at most one commit in flight, coalescing whatever arrives
 * meanwhile. So a record costs no commit round trip of its own, and the broker's commit linger
 * (`group.coordinator.append.linger.ms`) never delays a fetch that is waiting for one.
 *
 * A partition is committed only up to its oldest record still running (watermark.ts): records
 * finished after it wait behind it. So a worker that crashes in the middle of a task leaves the
 * task's record uncommitted, and it is delivered again, to this agent's next run or to the next
 * owner of its partition, instead of being lost with the crash.
 *
 * What at-least-once means then: after a crash, the records unfinished or finished since the last
 * commit that landed are delivered again. The committer keeps the finished part small: it commits
 * `intervalMs` after a record finishes at the latest, at once when half of `maxUncommitted`
 * records wait, and the consumer holds its next record while `maxUncommitted` records are
 * uncommitted (running ones included). A rebalance commits what is finished, and redelivers the
 * rest. A close gives the work running a grace first (kafka_subscription.ts), then commits what
 * finished; work that ended `again` (its worker stopped it short) is never marked finished. The claim/grant protocol, the replay rule's redelivery (same topic, partition and offset)
 * and the idempotency keys of PROTOCOL.md make a redelivered task harmless.
 *
 * @module
 */
import type { LogFn } from "./dispatch.ts";
import { Watermarks } from "./watermark.ts";

/** One partition's next offset to read, as Kafka commits it. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the last record taken, as a decimal string. */
  readonly offset: string;
}

/** Options of an {@link OffsetCommitter}. */
export interface CommitterOptions {
  /** Sends one commit to the group coordinator. */
  readonly commit: (offsets: readonly PartitionOffset[]) => Promise<void>;
  /** Commit this long after the first uncommitted record at the latest. */
  readonly intervalMs: number;
  /** The most records that may be taken and not yet committed. */
  readonly maxUncommitted: number;
  /** Called when a commit settles, so a held consumer can look again. */
  readonly onSettled: () => void;
  readonly log: LogFn;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Commits taken offsets in the background, within a bound; see the module documentation. */
export class OffsetCommitter {
  readonly #options: CommitterOptions;
  readonly #marks = new Watermarks();
  /** Per partition, the offset finished records allow to commit, not yet in a commit in flight. */
  readonly #pending = new Map<string, { topic: string; partition: number; next: bigint }>();
  /** Records taken and not covered by a commit that landed (running, pending and in flight). */
  #uncommitted = 0;
  /** Records of `#pending` (not yet in a commit in flight). */
  #pendingCount = 0;
  #generation = 0;
  #inFlight: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Commits that landed, for `status` and tests. */
  commits = 0;

  constructor(options: CommitterOptions) {
    if (!Number.isInteger(options.maxUncommitted) || options.maxUncommitted < 1) {
      throw new RangeError(
        `maxUncommitted must be a positive integer, got ${options.maxUncommitted}`,
      );
    }
    this.#options = options;
  }

  /** Records taken and not yet committed. */
  get uncommitted(): number {
    return this.#uncommitted;
  }

  /** True when the consumer must hold its next record until a commit lands. */
  get atBound(): boolean {
    return this.#uncommitted >= this.#options.maxUncommitted;
  }

  /**
   * Notes that the record at `offset` was taken. Its partition is committed past it only once
   * the returned function was called (its handling finished) and every older record's was too.
   */
  taken(topic: string, partition: number, offset: string): () => void {
    const record = this.#marks.taken(topic, partition, BigInt(offset));
    this.#uncommitted++;
    return () => {
      const advance = this.#marks.finish(record);
      if (advance === undefined) return;
      const key = `${topic}:${partition}`;
      this.#pending.set(key, { topic, partition, next: advance.next });
      this.#pendingCount += advance.count;
      this.#schedule();
    };
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#uncommitted * 2 >= this.#options.maxUncommitted) {
      // Each such call waits behind the commit in flight; the first takes what came meanwhile.
      void this.flush();
    } else if (this.#timer === undefined && this.#inFlight === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#options.intervalMs);
    }
  }

  /**
   * A new generation of the group: the consumer reads again from the committed offsets, so what
   * was not committed comes again and is counted again.
   */
  rejoined(): void {
    this.#generation++;
    this.#marks.clear();
    this.#pending.clear();
    this.#pendingCount = 0;
    this.#uncommitted = 0;
    this.#clearTimer();
    this.#options.onSettled();
  }

  /** Commits what is pending, after the commit in flight; resolves when nothing is pending. */
  async flush(): Promise<void> {
    this.#clearTimer();
    while (this.#inFlight !== undefined) await this.#inFlight;
    if (this.#pending.size === 0) return;
    const offsets = [...this.#pending.values()].map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: p.next.toString(),
    }));
    const count = this.#pendingCount;
    const generation = this.#generation;
    this.#pending.clear();
    this.#pendingCount = 0;
    this.#inFlight = this.#send(offsets, count, generation);
    try {
      await this.#inFlight;
    } finally {
      this.#inFlight = undefined;
      this.#options.onSettled();
      if (this.#pending.size > 0 && this.#timer === undefined && !this.#stopped) {
        this.#timer = setTimeout(() => void this.flush(), this.#options.intervalMs);
      }
    }
  }

  async #send(offsets: PartitionOffset[], count: number, generation: number): Promise<void> {
    try {
      await this.#options.commit(offsets);
      this.commits++;
      if (generation === this.#generation) this.#uncommitted -= count;
    } catch (error) {
      const where = offsets.map((o) => `${o.topic}@${o.partition}:${o.offset}`).join(", ");
      this.#options.log("warn", `Commit of ${where} failed: ${errorText(error)}`);
      if (generation !== this.#generation) return;
      // Keep them for the next commit, unless newer offsets of the same partitions came since.
      for (const o of offsets) {
        const key = `${o.topic}:${o.partition}`;
        if (!this.#pending.has(key)) {
          this.#pending.set(key, {
            topic: o.topic,
            partition: o.partition,
            next: BigInt(o.offset),
          });
        }
      }
      this.#pendingCount += count;
    }
  }

  /** Stops the timer for good; pending offsets stay until the next `flush`. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
