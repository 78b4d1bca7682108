/**
 * The one parser of counts on the command line (`--limit`, `--valid-hours`, `--batch-size` ...):
 * digits only, from 1 up, within a maximum where the option has one, refused in the same words
 * by every subcommand. (`Number()` alone would take `1e3`, `0x10` or ` 5`.)
 *
 * @module
 */
import { InvalidArgumentError } from "commander";

/**
 * A commander parser of whole numbers from 1 to `max` (no upper bound without it).
 *
 * @example
 * ```ts
 * import { wholeNumber } from "./_numbers.ts";
 * console.assert(wholeNumber(100)("42") === 42);
 * ```
 */
export function wholeNumber(max?: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(
        max === undefined
          ? "expected a whole number above 0"
          : `expected a whole number from 1 to ${max}`,
      );
    }
    return n;
  };
}
