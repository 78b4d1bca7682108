/**
 * One at a time: what a sandbox runs in a workspace that must not overlap (see the callers for
 * why).
 *
 * @module
 */

/** Runs tasks one at a time, in the order they came. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task given before it has settled; settles as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Settles once every task given so far has settled. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}
