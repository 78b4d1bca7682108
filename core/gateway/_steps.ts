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
 * Waits for two parts starting together. Each that starts gets its step in `steps`, in the order
 * given; once both have settled, the first failure is thrown, so that what did start is stopped
 * with the rest.
 */
export async function startBoth<A, B>(
  steps: Step[],
  a: Starting<A>,
  b: Starting<B>,
): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a[1], b[1]]);
  if (first.status === "fulfilled") steps.push([a[0], a[2](first.value)]);
  if (second.status === "fulfilled") steps.push([b[0], b[2](second.value)]);
  if (first.status === "rejected") throw first.reason;
  if (second.status === "rejected") throw second.reason;
  return [first.value, second.value];
}
