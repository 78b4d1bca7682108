/**
 * Waiting with a limit, for the task paths of the group.
 *
 * @module
 */

/** The promise's value, or undefined when `ms` passed or `signal` aborted first. */
export function within<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal,
): Promise<T | undefined> {
  if (ms <= 0 || signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (value: T | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      resolve(value);
    };
    const stop = () => done(undefined);
    const timer = setTimeout(stop, ms);
    signal.addEventListener("abort", stop, { once: true });
    promise.then(done);
  });
}
