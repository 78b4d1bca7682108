/**
 * Cron expressions: the Vixie cron dialect, checked field by field, with next run times computed by
 * croner in a time zone.
 *
 * - Five fields, `minute hour day-of-month month day-of-week` (0-59, 0-23, 1-31, 1-12 or JAN-DEC,
 *   0-7 or SUN-SAT with 0 and 7 both Sunday). No seconds field: jobs are minute-grained, as in
 *   every cron, and a sixth field would be read differently by different tools.
 * - Each field is a comma list of `*`, `N` and `N-M`, where `*` and `N-M` may take a step `/S`
 *   (every S-th value); names count as numbers, case-insensitively. croner's extensions (`L`, `W`,
 *   `#`, `?`) are refused, so a schedule means the same in any cron.
 * - Macros `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`).
 * - When both day-of-month and day-of-week are restricted, a day matches when EITHER does (Vixie
 *   cron). The Go original required both; this is a deliberate difference: `0 0 13 * FRI` runs on
 *   every 13th and every Friday, not only on Friday the 13th.
 * - A time zone comes from a `CRON_TZ=Zone` (or `TZ=Zone`) prefix, as in cronie and robfig/cron,
 *   else from the caller, else UTC. On a daylight-saving day a fixed time that does not exist
 *   (02:30 when clocks jump from 02:00 to 03:00) runs at the first minute after the gap, one that
 *   exists twice runs once; a job every 30 minutes runs in both of the repeated hours.
 *
 * @example
 * ```ts
 * import { CronSchedule } from "./cron.ts";
 * const schedule = CronSchedule.parse("CRON_TZ=Europe/Berlin 0 9 * * MON-FRI");
 * const next = schedule.next(new Date("2026-11-27T12:00:00Z")); // a Friday, after 09:00
 * console.assert(next?.toISOString() === "2026-11-30T08:00:00.000Z");
 * ```
 *
 * @module
 */
import { Cron } from "croner";
import { checkFields } from "./_fields.ts";

/** A cron expression that cannot be used, with the expression and what is wrong with it. */
export class CronSyntaxError extends Error {
  /** Always `CronSyntaxError`. */
  override name = "CronSyntaxError";
  /** The expression as given. */
  readonly expression: string;
  /** What is wrong with it, e.g. `unknown time zone "Mars/Base"`. */
  readonly problem: string;

  /** An error for `expression`, saying `problem`. */
  constructor(expression: string, problem: string) {
    super(`Cannot parse cron expression ${JSON.stringify(expression)}: ${problem}`);
    this.expression = expression;
    this.problem = problem;
  }
}

/** Options of {@link CronSchedule.parse}. */
export interface CronScheduleOptions {
  /** The IANA time zone when the expression has no `CRON_TZ=` prefix (default UTC). */
  readonly timezone?: string;
}

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const ZONE_PREFIX = /^(?:CRON_TZ|TZ)=(\S*)\s+/;

/** True for an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone !== "";
  } catch {
    return false;
  }
}

/** A valid cron expression in a time zone. */
export class CronSchedule {
  /** The expression as given (trimmed), prefix included. */
  readonly expression: string;
  /** The five fields, macros expanded. */
  readonly fields: string;
  /** The time zone the fields are read in. */
  readonly timezone: string;
  /** Whether the time zone came from the expression's `CRON_TZ=` prefix. */
  readonly zoneInExpression: boolean;
  readonly #cron: Cron;

  private constructor(expression: string, fields: string, timezone: string, inExpr: boolean) {
    this.expression = expression;
    this.fields = fields;
    this.timezone = timezone;
    this.zoneInExpression = inExpr;
    this.#cron = new Cron(fields, { timezone, mode: "5-part", domAndDow: false, paused: true });
  }

  /** Parses and checks an expression. Throws {@link CronSyntaxError} naming what is wrong. */
  static parse(expression: string, options: CronScheduleOptions = {}): CronSchedule {
    const text = expression.trim();
    const fail = (problem: string): never => {
      throw new CronSyntaxError(expression, problem);
    };
    const prefix = ZONE_PREFIX.exec(text);
    const timezone = prefix?.[1] ?? options.timezone ?? "UTC";
    if (!isTimeZone(timezone)) fail(`unknown time zone ${JSON.stringify(timezone)}`);
    const body = prefix ? text.slice(prefix[0].length) : text;
    let fields = body.split(/\s+/).filter((f) => f !== "");
    if (fields.length === 1 && fields[0]!.startsWith("@")) {
      const macro = MACROS[fields[0]!.toLowerCase()] ??
        fail(
          `unknown macro ${JSON.stringify(fields[0])} ` +
            "(use @hourly, @daily, @weekly, @monthly or @yearly)",
        );
      fields = macro.split(" ");
    }
    if (fields.length !== 5) {
      const seconds = fields.length === 6 ? "; a seconds field is not supported" : "";
      fail(
        "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as " +
          `@daily, got ${fields.length}${seconds}`,
      );
    }
    const problem = checkFields(fields);
    if (problem) fail(problem);
    const schedule = new CronSchedule(text, fields.join(" "), timezone, prefix !== null);
    // A date that no month has (February 30th) never comes; say so now rather than never run.
    if (!schedule.next(new Date(0))) fail("it never matches a date");
    return schedule;
  }

  /** The first run strictly after `after`, or undefined if there is none. */
  next(after: Date): Date | undefined {
    return this.#cron.nextRun(after) ?? undefined;
  }
}

/** An expression with its time zone as a `CRON_TZ=` prefix (the form jobs are stored in). */
export function withTimeZone(expression: string, timezone: string | undefined): string {
  const text = expression.trim().replace(ZONE_PREFIX, "");
  return timezone === undefined ? text : `CRON_TZ=${timezone} ${text}`;
}
