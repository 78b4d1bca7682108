/**
 * Waiting with a limit, so that a stuck step of a stop (a subscription's work, a part of the
 * gateway) never holds the process past its bound.
 *
 * @module
 */

/** Whether `promise` settled within `ms` (its rejection counts as settled). */
export function bounded(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const done = promise.then(() => true, () => true);
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/**
 * The work of a subscription's taken records still running (each until what its end allows is
 * marked for commit), which a closing subscription gives a grace before it leaves its group.
 */
export class RunningWork {
  readonly #running = new Set<Promise<void>>();

  /** Keeps `work` until it settles. */
  track(work: Promise<void>): void {
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work));
  }

  /** Waits up to `graceMs` for the work running now to end. */
  async grace(graceMs: number): Promise<void> {
    if (graceMs > 0 && this.#running.size > 0) await bounded(Promise.all(this.#running), graceMs);
  }
}
