/**
 * The steps a gateway stops in: each started part's name and its stop, run last started first,
 * each bounded by what is left of the whole stop's time (a step still gets a moment).
 *
 * @module
 */
import { bounded } from "../transport/mod.ts";

/** One started part: its name, and how it stops within a given time. */
export type Step = readonly [name: string, stop: (ms: number) => Promise<unknown>];

/**
 * Runs each step's stop, last started first, each bounded by what is left of `timeoutMs`; empties
 * `steps` and resolves with the names of those that did not end in time.
 */
export async function stopAll(steps: Step[], timeoutMs: number): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  const late: string[] = [];
  for (const [name, stop] of steps.splice(0).reverse()) {
    // A step always gets a moment, so a late one still sends its last records.
    const left = Math.max(until - Date.now(), 250);
    if (!await bounded(stop(left), left)) late.push(name);
  }
  return late;
}

/** A part starting: its step's name, the start, and its stop once started. */
type Starting<T> = readonly [name: string, start: Promise<T>, stop: (part: T) => Step[1]];

/**
 * Waits for parts starting together. Each that starts gets its step in `steps`, in the order
 * given; once all have settled, the first failure is thrown, so that what did start is stopped
 * with the rest.
 */
export async function startAll<T extends unknown[]>(
  steps: Step[],
  ...parts: { [K in keyof T]: Starting<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(parts.map(([, start]) => start));
  settled.forEach((one, n) => {
    if (one.status === "fulfilled") steps.push([parts[n]![0], parts[n]![2](one.value)]);
  });
  const failed = settled.find((one) => one.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return settled.map((one) => (one as PromiseFulfilledResult<unknown>).value) as T;
}
