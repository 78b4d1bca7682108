/**
 * The Kafka transport's one producer, and the topics it has written to.
 *
 * kafkajs's producer asks Kafka, at each metadata refresh (every five minutes, and whenever it
 * meets a topic new to it), for every topic it has ever written to, and the refresh fails when one
 * of them no longer exists; from then on every send fails, whatever its topic, with Kafka's
 * "does not host this topic-partition". Deleting a topic one agent wrote to is ordinary here:
 * `group gc` deletes the inbox of an agent that is gone, which each agent that sent it a task or a
 * grant has written to. So a producer that wrote to a topic Kafka no longer has is retired (let go
 * of, and disconnected in the background), and the next send makes a new one.
 *
 * @module
 */
import type { Producer } from "kafkajs";

interface Made {
  readonly producer: Promise<Producer>;
  /** The topics sent to through it: kafkajs keeps each in its metadata for good. */
  readonly written: Set<string>;
}

/** One producer at a time, made by the first who needs it; see the module documentation. */
export class ProducerSlot {
  readonly #make: () => Promise<Producer>;
  #current: Made | undefined;
  readonly #retiring = new Set<Promise<void>>();
  #retired = 0;

  /** `make` connects a new producer (and throws when it cannot: the next call tries again). */
  constructor(make: () => Promise<Producer>) {
    this.#make = make;
  }

  /** How many producers were retired so far: a send through one retired since may go again. */
  get retired(): number {
    return this.#retired;
  }

  /** The producer now, made and connected by the first who needs it. */
  producer(): Promise<Producer> {
    return this.#made().producer;
  }

  #made(): Made {
    if (this.#current !== undefined) return this.#current;
    const made: Made = { producer: this.#make(), written: new Set() };
    this.#current = made;
    // One that cannot connect is forgotten, so that a later call tries again.
    made.producer.catch(() => {
      if (this.#current === made) this.#current = undefined;
    });
    return made;
  }

  /** Notes that the producer now sends to `topics` (kafkajs adds them to its metadata first). */
  writing(topics: Iterable<string>): void {
    const { written } = this.#made();
    for (const topic of topics) written.add(topic);
  }

  /**
   * Retires the producer when it has written to a topic not in `existing` (every topic Kafka has);
   * returns whether it did.
   */
  retireIfGone(existing: ReadonlySet<string>): boolean {
    const made = this.#current;
    if (made === undefined || [...made.written].every((t) => existing.has(t))) return false;
    this.retire();
    return true;
  }

  /** Lets the producer go: the next send makes another; this one disconnects when its sends end. */
  retire(): void {
    if (this.#current === undefined) return;
    this.#retired++;
    this.#drop();
  }

  #drop(): void {
    const made = this.#current;
    if (made === undefined) return;
    this.#current = undefined;
    const gone = made.producer.then((p) => p.disconnect()).catch(() => {});
    this.#retiring.add(gone);
    gone.finally(() => this.#retiring.delete(gone));
  }

  /** Disconnects the producer and any retired one still disconnecting. */
  async close(): Promise<void> {
    this.#drop();
    await Promise.all([...this.#retiring]);
  }
}
