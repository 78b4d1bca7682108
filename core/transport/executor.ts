/**
 * A bounded executor: runs at most `capacity` tasks at once. Consumers hand slow work to it and
 * pause their partitions while it is full, so a handler never blocks the consumer's heartbeats.
 *
 * @module
 */

/** Runs async tasks with a fixed capacity; callers check `full` before submitting. */
export class BoundedExecutor {
  readonly #capacity: number;
  #running = 0;
  #freeWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  readonly #onError: (error: unknown) => void;

  constructor(capacity: number, onError: (error: unknown) => void) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Executor capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#onError = onError;
  }

  /** How many tasks run now. */
  get running(): number {
    return this.#running;
  }

  /** True when no further task may start. */
  get full(): boolean {
    return this.#running >= this.#capacity;
  }

  /**
   * Starts a task; throws if the executor is full (callers pause their input instead). Resolves
   * once the task has ended, failed or not (a failure goes to `onError`).
   */
  submit(task: () => Promise<void>): Promise<void> {
    if (this.full) throw new RangeError("Executor is full: pause the input before submitting");
    this.#running++;
    let settled: Promise<void>;
    try {
      settled = task();
    } catch (error) {
      settled = Promise.reject(error);
    }
    return settled.catch(this.#onError).finally(() => {
      this.#running--;
      const free = this.#freeWaiters.splice(0);
      for (const wake of free) wake();
      if (this.#running === 0) { for (const wake of this.#idleWaiters.splice(0)) wake(); }
    });
  }

  /** Resolves when a slot is free. */
  whenFree(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#freeWaiters.push(resolve));
  }

  /** Resolves when nothing runs. */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
