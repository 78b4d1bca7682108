/**
 * The clock port of the scheduler and the delivery worker: what time it is, and a sleep that can be
 * cut short. Tests pass a clock they move by hand; production uses {@link systemClock}.
 *
 * @module
 */

/** What time it is, and how to wait. */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// setTimeout fires at once for delays above 2^31 - 1 ms; longer waits are cut to that.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The system clock and timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const stop = new AbortController();
 * const slept = systemClock.sleep(60_000, stop.signal);
 * stop.abort();
 * await slept; // at once
 * ```
 */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS));
      signal?.addEventListener("abort", done, { once: true });
    }),
};
