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
