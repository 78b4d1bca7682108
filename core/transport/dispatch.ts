/**
 * What both transports do with one delivered record: call the handler, dead-letter or count poison,
 * hand work to the bounded executor. The transports add only their own commit and pause mechanics.
 *
 * @module
 */
import { type BatchPlace, deadLetterBatch, deadLetterRecord } from "./dead_letter.ts";
import { BoundedExecutor } from "./executor.ts";
import type {
  InboundRecord,
  OutboundRecord,
  RecordHandler,
  SubscriptionKind,
  SubscriptionStats,
} from "./types.ts";

/** A log sink: transports report what they skip or retry, never throw it at the caller. */
export type LogFn = (level: "debug" | "info" | "warn" | "error", message: string) => void;

/** What became of a delivered record. */
export interface Delivery {
  /**
   * Resolves once the record's handling has ended: the work its handler handed back has finished
   * (failed or not), or at once when it handed none back (dead-lettered poison included). Only
   * then may its offset be committed, and only when it resolves true: false says the work
   * stopped short (it ended `again`, types.ts `WorkEnd`), so the record must come again.
   */
  readonly finished: Promise<boolean>;
}

const FINISHED: Delivery = { finished: Promise.resolve(true) };

/** Options of a dispatcher. */
export interface DispatcherOptions {
  readonly kind: SubscriptionKind;
  readonly groupId: string;
  readonly handler: RecordHandler;
  readonly concurrency: number;
  readonly deadLetterTopic: string | undefined;
  readonly produce: (records: readonly OutboundRecord[]) => Promise<void>;
  readonly log: LogFn;
  /** The first wait before a failed dead-letter write is tried again (default 1 s; it doubles). */
  readonly deadLetterRetryMs?: number;
}

/** The longest wait between two tries of a dead-letter write. */
const DEAD_LETTER_RETRY_MAX_MS = 30_000;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Delivers records to a handler and runs the work it hands back. */
export class Dispatcher {
  readonly stats: SubscriptionStats = {
    delivered: 0,
    poison: 0,
    undecodable: 0,
    deadLettered: 0,
    handlerErrors: 0,
    workStarted: 0,
    workFinished: 0,
    pauses: 0,
    joins: 0,
    fetches: 0,
    commits: 0,
  };
  readonly executor: BoundedExecutor;
  readonly #options: DispatcherOptions;
  /** Records whose work waits for its `ready`, outside the executor. */
  readonly #parked = new Set<Promise<void>>();
  /** Ends the dead-letter writes still being tried ({@link stop}). */
  readonly #stopped = new AbortController();

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.executor = new BoundedExecutor(options.concurrency, (error) => {
      this.stats.handlerErrors++;
      options.log("error", `Work from ${options.groupId} failed: ${errorText(error)}`);
    });
  }

  /**
   * Handles one record. When this resolves the consumer may take the next record; work the
   * handler started goes on in the executor, and the record is finished when `finished` resolves.
   */
  async deliver(record: InboundRecord): Promise<Delivery> {
    this.stats.delivered++;
    let result;
    try {
      result = await this.#options.handler(record);
    } catch (error) {
      this.stats.handlerErrors++;
      return await this.#poison(record, `handler failed: ${errorText(error)}`);
    }
    if (!result) return FINISHED;
    if ("poison" in result) return await this.#poison(record, result.poison);
    this.stats.workStarted++;
    const { work, ready } = result;
    let done = true;
    const task = async () => {
      try {
        const end = await work();
        if (end && "again" in end) {
          done = false;
          const where = `${record.topic}@${record.partition}:${record.offset}`;
          this.#options.log("info", `Left ${where} uncommitted, to come again: ${end.again}`);
        }
      } finally {
        this.stats.workFinished++;
      }
    };
    const finished = ready === undefined ? this.#submit(task) : this.#waiting(ready, task);
    return { finished: finished.then(() => done) };
  }

  /** Starts `task` in the executor as soon as it has room (a woken record may have taken it). */
  async #submit(task: () => Promise<void>): Promise<void> {
    while (this.executor.full) await this.executor.whenFree();
    await this.executor.submit(task);
  }

  /** Starts `task` once `ready` settles; until then it is counted apart from the executor. */
  async #waiting(ready: Promise<unknown>, task: () => Promise<void>): Promise<void> {
    const waits = ready.then(() => {}, () => {});
    this.#parked.add(waits);
    try {
      await waits;
    } finally {
      this.#parked.delete(waits);
    }
    await this.#submit(task);
  }

  /**
   * Gives up the dead-letter writes still being tried: their records end unfinished, so they are
   * not committed and come again (the subscription is closing).
   */
  stop(): void {
    this.#stopped.abort();
  }

  /** Resolves when no work runs, none waits for a slot, and no record waits to start. */
  async idle(): Promise<void> {
    while (this.#parked.size > 0) await Promise.all(this.#parked);
    await this.executor.idle();
  }

  /**
   * Skips a batch the consumer could not decode: work subscriptions dead-letter its offset range
   * and the error (once, not per record), the others log it. The consumer goes on after it.
   */
  async undecodable(batch: BatchPlace, reason: string): Promise<Delivery> {
    this.stats.undecodable++;
    const where = `${batch.topic}@${batch.partition}:${batch.firstOffset}-${batch.lastOffset}`;
    const why = `batch could not be decoded: ${reason}`;
    const { kind, deadLetterTopic, groupId } = this.#options;
    if (kind !== "work" || !deadLetterTopic) {
      this.#options.log("warn", `Skipped ${where}: ${why}`);
      return FINISHED;
    }
    const letter = deadLetterBatch(batch, { deadLetterTopic, reason: why, groupId });
    return await this.#deadLetter(where, why, letter);
  }

  async #poison(record: InboundRecord, reason: string): Promise<Delivery> {
    this.stats.poison++;
    const where = `${record.topic}@${record.partition}:${record.offset}`;
    const { kind, deadLetterTopic, groupId } = this.#options;
    if (kind !== "work" || !deadLetterTopic) {
      this.#options.log("warn", `Skipped poison record ${where}: ${reason}`);
      return FINISHED;
    }
    const letter = await deadLetterRecord(record, { deadLetterTopic, reason, groupId });
    return await this.#deadLetter(where, reason, letter);
  }

  /**
   * Writes the dead letter of the record at `where`. One that cannot be written is tried again in
   * the background, every 1 s doubling to 30 s, and the record stays unfinished meanwhile: its
   * offset is not committed before its letter is written, so it is never lost, while the consumer
   * goes on with the records after it (up to the subscription's bound on uncommitted records).
   */
  async #deadLetter(where: string, reason: string, letter: OutboundRecord): Promise<Delivery> {
    try {
      await this.#write(where, reason, letter);
      return FINISHED;
    } catch (error) {
      this.#options.log(
        "error",
        `Cannot dead-letter ${where}: ${
          errorText(error)
        }; trying again, its offset uncommitted until then`,
      );
      return { finished: this.#deadLetterLater(where, reason, letter) };
    }
  }

  async #write(where: string, reason: string, letter: OutboundRecord): Promise<void> {
    await this.#options.produce([letter]);
    this.stats.deadLettered++;
    this.#options.log("warn", `Dead-lettered ${where} to ${letter.topic}: ${reason}`);
  }

  /** Tries the letter again until it is written (true) or {@link stop} (false: it comes again). */
  async #deadLetterLater(where: string, reason: string, letter: OutboundRecord): Promise<boolean> {
    const signal = this.#stopped.signal;
    let wait = this.#options.deadLetterRetryMs ?? 1_000;
    while (!signal.aborted) {
      await pause(wait, signal);
      if (signal.aborted) break;
      try {
        await this.#write(where, reason, letter);
        return true;
      } catch {
        wait = Math.min(wait * 2, DEAD_LETTER_RETRY_MAX_MS);
      }
    }
    return false;
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
