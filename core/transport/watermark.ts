/**
 * Where a consumer may commit each partition: up to the oldest record whose handling has not
 * finished, never past it. Records finish out of order (their work runs side by side in the
 * executor); one still running keeps its partition's commit behind it, however many after it
 * finished, so after a crash everything unfinished is delivered again (PROTOCOL.md, delivery
 * semantics: at-least-once).
 *
 * @module
 */

/** One taken record of a partition, running until {@link Watermarks.finish} marks it done. */
export interface TakenRecord {
  readonly key: string;
  readonly offset: bigint;
  done: boolean;
}

/** How far a partition's commit may move now, and how many records that covers. */
export interface Advance {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, as Kafka commits it: the oldest still running, or past the last. */
  readonly next: bigint;
  /** The finished records the move covers. */
  readonly count: number;
}

interface PartitionMarks {
  readonly topic: string;
  readonly partition: number;
  /** Taken and not yet covered by an advance, oldest first. */
  readonly open: TakenRecord[];
}

/** The records taken per partition and not yet committable; see the module documentation. */
export class Watermarks {
  readonly #partitions = new Map<string, PartitionMarks>();

  /** Notes that the record at `offset` was taken; it runs until `finish` is called with it. */
  taken(topic: string, partition: number, offset: bigint): TakenRecord {
    const key = `${topic}:${partition}`;
    let marks = this.#partitions.get(key);
    if (marks === undefined) {
      marks = { topic, partition, open: [] };
      this.#partitions.set(key, marks);
    }
    const record: TakenRecord = { key, offset, done: false };
    const { open } = marks;
    let at = open.length;
    while (at > 0 && open[at - 1]!.offset > offset) at--;
    open.splice(at, 0, record);
    return record;
  }

  /**
   * Marks `record` finished. Returns how far its partition's commit may move, or nothing when an
   * older record of the partition still runs (or the record was forgotten by `clear`).
   */
  finish(record: TakenRecord): Advance | undefined {
    const marks = this.#partitions.get(record.key);
    if (marks === undefined || !marks.open.includes(record)) return undefined;
    record.done = true;
    const { open } = marks;
    let count = 0;
    while (open[count]?.done === true) count++;
    if (count === 0) return undefined;
    const last = open.splice(0, count).at(-1)!;
    if (open.length === 0) this.#partitions.delete(record.key);
    const next = open[0]?.offset ?? last.offset + 1n;
    return { topic: marks.topic, partition: marks.partition, next, count };
  }

  /** Forgets every record (a new generation of the group delivers them again). */
  clear(): void {
    this.#partitions.clear();
  }
}
