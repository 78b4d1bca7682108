/**
 * Waiting with a limit, so that a stuck step of a stop (a subscription's work, a part of the
 * gateway) never holds the process past its bound; and waits that a wake cuts short.
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

/** Waits that a wake ends early: a loop's pauses that a close, a resume or freed room cut short. */
export class Wakeable {
  #wakers: Array<() => void> = [];

  /** Resolves after `ms`, or at the next {@link wake}. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(woken, ms);
      function woken() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakers.push(woken);
    });
  }

  /** Resolves at the next {@link wake}. */
  untilWoken(): Promise<void> {
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  /** Ends every wait begun so far. */
  wake(): void {
    for (const woken of this.#wakers.splice(0)) woken();
  }
}
