/**
 * Patience for the sandbox's start checks (bubblewrap's `true`, the MCP wrapper's shell, the file
 * helper's first line). A check that ran out of time says only that the machine was slow: on a
 * busy machine (a CI runner, a load of 28 on two cores) a start that takes 25 ms can take ten
 * seconds. Taken as a refusal, it would open the fallback sandbox and turn exec off until the
 * next start. So a check that timed out runs again under the next, longer limit, and only the
 * last one timing out gives up, saying that it timed out and after how long. A check that ended
 * with an error gives up at once: that is bubblewrap's answer, not the machine's speed.
 *
 * @module
 */

/**
 * The default limits of one start check, tried in turn while each times out: ten seconds, then
 * fifty more (a minute in all).
 */
export const DEFAULT_START_LIMITS_MS: readonly number[] = Object.freeze([10000, 50000]);

/** The outcome of one try of a start check. */
export interface CheckTry {
  /** True when the try ran out of its time limit (no answer from what was checked). */
  readonly timedOut: boolean;
}

/**
 * Runs `attempt` under each of `limitsMs` in turn until one does not time out, and returns that
 * try; returns the last try when every one timed out ({@link timedOutReason} says so).
 */
export async function checkPatiently<T extends CheckTry>(
  limitsMs: readonly number[],
  attempt: (limitMs: number) => Promise<T>,
): Promise<T> {
  if (limitsMs.length === 0) throw new RangeError("Cannot check: no time limit given");
  let last: T | undefined;
  for (const limitMs of limitsMs) {
    last = await attempt(limitMs);
    if (!last.timedOut) return last;
  }
  return last as T;
}

/** Milliseconds in words: `800 ms`, `10 s`, `1.5 s`. */
function span(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/**
 * Why the check of `what` gave up after every limit timed out, in one clause: how long it waited
 * in all and under which limits, and that a busy machine is the likely cause.
 */
export function timedOutReason(what: string, limitsMs: readonly number[]): string {
  const total = limitsMs.reduce((sum, ms) => sum + ms, 0);
  const tries = limitsMs.length === 1
    ? ""
    : ` (${limitsMs.length} tries: ${limitsMs.map(span).join(", then ")})`;
  return `${what} timed out after ${span(total)}${tries}; the machine may be too busy`;
}

/** Checks a list of start limits (RangeError on a programmer's mistake). */
export function startLimits(name: string, limitsMs: readonly number[]): readonly number[] {
  if (limitsMs.length === 0 || limitsMs.some((ms) => !Number.isSafeInteger(ms) || ms <= 0)) {
    throw new RangeError(
      `Cannot use sandbox option ${name}: ${JSON.stringify(limitsMs)} is not a non-empty list ` +
        "of positive integers",
    );
  }
  return Object.freeze([...limitsMs]);
}
