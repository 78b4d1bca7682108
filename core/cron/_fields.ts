/**
 * The field-by-field check of a five-field cron expression, so that a mistake is reported with the
 * field and the value at fault rather than as whatever the cron library makes of it.
 *
 * @module
 */

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names standing for min, min + 1, … */
  readonly names?: readonly string[];
  readonly nameRange?: string;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, nameRange: "JAN-DEC" },
  // 7 is Sunday too, as in Vixie cron.
  { name: "day-of-week", min: 0, max: 7, names: DAYS, nameRange: "SUN-SAT" },
];

// `*` or `N` or `N-M`, then an optional `/S`.
const ITEM = /^(?:(\*)|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:\/([0-9]+))?$/;

/** A value of a field (a number or a name), or the problem with it. */
function value(spec: FieldSpec, raw: string): number | string {
  if (/^[0-9]+$/.test(raw)) {
    const n = Number(raw);
    return n < spec.min || n > spec.max
      ? `${spec.name} ${raw} is out of range ${spec.min}-${spec.max}`
      : n;
  }
  const index = spec.names?.indexOf(raw.toUpperCase()) ?? -1;
  if (index >= 0) return spec.min + index;
  const names = spec.nameRange ? ` or a name (${spec.nameRange})` : "";
  return `${spec.name} ${JSON.stringify(raw)} is not a number${names}`;
}

/** The problem with one comma-separated item of a field, if any. */
function checkItem(spec: FieldSpec, item: string): string | undefined {
  const match = ITEM.exec(item);
  if (!match) {
    return `${spec.name} ${JSON.stringify(item)} is not one of *, N, N-M, */S or N-M/S`;
  }
  const [, star, from, to, step] = match;
  if (step !== undefined) {
    if (!star && to === undefined) {
      return `${spec.name} ${JSON.stringify(item)}: a step needs * or a range N-M before it`;
    }
    const span = spec.max - spec.min + 1;
    if (Number(step) < 1 || Number(step) > span) {
      return `${spec.name} ${JSON.stringify(item)}: the step must be between 1 and ${span}`;
    }
  }
  if (star) return undefined;
  const low = value(spec, from!);
  if (typeof low === "string") return low;
  if (to === undefined) return undefined;
  const high = value(spec, to);
  if (typeof high === "string") return high;
  return low > high ? `${spec.name} range ${JSON.stringify(item)} runs backwards` : undefined;
}

/** The first problem with five cron fields, or undefined when they are valid. */
export function checkFields(fields: readonly string[]): string | undefined {
  for (const [i, spec] of FIELDS.entries()) {
    for (const item of fields[i]!.split(",")) {
      const problem = checkItem(spec, item);
      if (problem) return problem;
    }
  }
  return undefined;
}
