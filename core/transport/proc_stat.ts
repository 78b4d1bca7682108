/**
 * Reads a Linux `/proc/<pid>/stat` line: the process's state and its start time (field 22, clock
 * ticks since boot), which with the pid names one process of one boot. The command name (field 2)
 * is in parentheses and may itself hold spaces and parentheses, so the fields are counted from
 * the last `)`.
 *
 * @module
 */

/** What {@link parseProcStat} reads of a process. */
export interface ProcStat {
  /** Field 22, as written (digits). */
  readonly start: string;
  /** Whether only its zombie is left (state Z) or it is dying (X): it runs no more. */
  readonly zombie: boolean;
}

/**
 * The start time and state in a stat line; undefined when the line is not one.
 *
 * @example
 * ```ts
 * import { parseProcStat } from "./proc_stat.ts";
 * const line = "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0";
 * parseProcStat(line); // { start: "987654", zombie: false }
 * ```
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const end = line.lastIndexOf(")");
  if (end < 0) return undefined;
  // Fields 3 (state) onwards.
  const fields = line.slice(end + 1).trim().split(/\s+/);
  const state = fields[0];
  const start = fields[22 - 3];
  if (state === undefined || !/^[A-Za-z]$/.test(state)) return undefined;
  if (start === undefined || !/^[0-9]{1,20}$/.test(start)) return undefined;
  return { start, zombie: state === "Z" || state === "X" || state === "x" };
}
