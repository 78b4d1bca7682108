/**
 * The one parser of durations on the command line (`task submit --deadline`, `group gc
 * --older-than`): a whole number and a unit, `500ms`, `90s`, `15m`, `12h` or `7d`, read the same
 * way by every flag. What a flag accepts beyond that is its rule: whether 0 means something (gc
 * collects every agent gone at all) and how long it may be (a deadline is waited on with a timer,
 * which cannot wait longer than 24 days). Refused in one line that names the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "commander";

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const SHAPE = /^(\d{1,9})(ms|s|m|h|d)$/;

/** What one flag accepts on top of the shape: 0 or not, and an upper bound. */
export interface DurationRule {
  /** Whether `0s` (and `0d` ...) is allowed; else the duration must be above 0. */
  readonly zero: boolean;
  /** The longest accepted, in ms, and how a user writes it (`24d`). */
  readonly max?: { readonly ms: number; readonly text: string };
}

/** A deadline: above 0, and no longer than a timer can wait (2^31-1 ms, some 24.8 days). */
export const DEADLINE: DurationRule = { zero: false, max: { ms: 24 * UNITS.d, text: "24d" } };

/** How long something has been gone: 0 and up. */
export const AGE: DurationRule = { zero: true };

/**
 * The commander parser of a duration flag under `rule`: its ms, or commander's usage error (which
 * names the flag and the value) saying what was expected.
 *
 * @example
 * ```ts
 * import { AGE, duration } from "./_durations.ts";
 * console.assert(duration(AGE)("7d") === 604_800_000);
 * ```
 */
export function duration(rule: DurationRule): (value: string) => number {
  return (value) => {
    const ms = read(value, rule);
    if (ms === undefined) throw new InvalidArgumentError(`expected ${expected(rule)}`);
    return ms;
  };
}

function read(text: string, rule: DurationRule): number | undefined {
  const m = SHAPE.exec(text.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
  if (!rule.zero && ms === 0) return undefined;
  if (rule.max !== undefined && ms > rule.max.ms) return undefined;
  return ms;
}

function expected(rule: DurationRule): string {
  const range = rule.zero ? "0 or more" : "above 0";
  const upTo = rule.max === undefined ? "" : `, up to ${rule.max.text}`;
  return `a whole number ${range} and ms, s, m, h or d (e.g. 90s, 15m, 7d)${upTo}`;
}
