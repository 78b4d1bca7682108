/**
 * The one parser of durations on the command line (`task submit --deadline`, `group gc
 * --older-than`, kshark's timeouts): a whole number and a unit, `500ms`, `90s`, `15m`, `12h` or
 * `7d`, read the same way by every flag. What a flag accepts beyond that is its rule: whether 0
 * means something (gc collects every agent gone at all), how long it may be (a deadline is waited
 * on with a timer, which cannot wait longer than 24 days), and for kshark, whose CI lines have
 * always been able to say `30` or `1.5s`, seconds without a unit and fractions. Refused in one
 * line that names the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "commander";
import { UsageError } from "./_errors.ts";

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const NAMES = { ms: "milliseconds", s: "seconds", m: "minutes", h: "hours", d: "days" } as const;

/** A unit of a duration: `ms`, `s`, `m`, `h` or `d`. */
export type DurationUnit = keyof typeof UNITS;

const WHOLE = /^(\d{1,9})(ms|s|m|h|d)$/;
const LOOSE = /^(\d{1,9}(?:\.\d{1,9})?)(ms|s|m|h|d)?$/;

/** What one flag accepts on top of the shape: 0 or not, and an upper bound. */
export interface DurationRule {
  /** Whether `0s` (and `0d` ...) is allowed; else the duration must be above 0. */
  readonly zero: boolean;
  /** The longest accepted, in ms, and how a user writes it (`24d`). */
  readonly max?: { readonly ms: number; readonly text: string };
  /**
   * Also a number without a unit, read in this unit, and fractions (`1.5s`): kshark's timeouts,
   * as they were read before this parser.
   */
  readonly loose?: DurationUnit;
  /** Examples for the error (default `90s, 15m, 7d`). */
  readonly examples?: string;
}

/** A deadline: above 0, and no longer than a timer can wait (2^31-1 ms, some 24.8 days). */
export const DEADLINE: DurationRule = { zero: false, max: { ms: 24 * UNITS.d, text: "24d" } };

/** How long something has been gone: 0 and up. */
export const AGE: DurationRule = { zero: true };

/** A kshark timeout: above 0, up to an hour; seconds without a unit, and fractions. */
export const KSHARK_TIMEOUT: DurationRule = {
  zero: false,
  max: { ms: UNITS.h, text: "1h" },
  loose: "s",
  examples: "10s, 500ms, 2m",
};

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

/**
 * A flag's duration under `rule` when commander has already taken it as text (kshark reads its
 * flags after parsing): its ms, or a usage error `Cannot read --flag "text": expected ...`.
 */
export function durationOf(text: string, rule: DurationRule, flag: string): number {
  const ms = read(text, rule);
  if (ms === undefined) {
    throw new UsageError(`Cannot read ${flag} "${text}": expected ${expected(rule)}`);
  }
  return ms;
}

function read(text: string, rule: DurationRule): number | undefined {
  const m = (rule.loose === undefined ? WHOLE : LOOSE).exec(text.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * UNITS[(m[2] ?? rule.loose) as DurationUnit];
  if (!rule.zero && ms === 0) return undefined;
  if (rule.max !== undefined && ms > rule.max.ms) return undefined;
  return ms;
}

function expected(rule: DurationRule): string {
  const range = rule.zero ? "0 or more" : "above 0";
  const upTo = rule.max === undefined ? "" : `, up to ${rule.max.text}`;
  const examples = rule.examples ?? "90s, 15m, 7d";
  if (rule.loose === undefined) {
    return `a whole number ${range} and ms, s, m, h or d (e.g. ${examples})${upTo}`;
  }
  return `a number ${range} and ms, s, m, h or d, or ${
    NAMES[rule.loose]
  } alone (e.g. ${examples})${upTo}`;
}
