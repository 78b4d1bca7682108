/**
 * A timeline file that SQLite cannot read as a database: not one at all, or damaged. Opening it,
 * or a query that meets a damaged page, is reported with the file's path and where to turn
 * (`kafclaw doctor` checks the file and says how to recover it), not in SQLite's bare words, which
 * name no file. {@link storageError} is the one place a SQLite error becomes what a user is told.
 */
import { errorChain } from "../errors/mod.ts";
import { diskFullError } from "./disk.ts";

/** The code node:sqlite gives its errors. */
const SQLITE_ERROR = "ERR_SQLITE_ERROR";

/** SQLite's words for a damaged file or one that is not a database. */
export const DAMAGED = /malformed|not a database|corrupt/i;

/** The timeline at `path` cannot be read: SQLite's words are in the message and the cause. */
export class TimelineDamagedError extends Error {
  override name = "TimelineDamagedError";
  /** The timeline's file. */
  readonly path: string;

  constructor(path: string, options: ErrorOptions & { readonly cause: Error }) {
    super(
      `Cannot read the timeline ${JSON.stringify(path)}: ${options.cause.message} (the file is ` +
        `damaged or is not a timeline); kafclaw doctor checks it and says how to recover it`,
      options,
    );
    this.path = path;
  }
}

/** The {@link TimelineDamagedError} that `error`, met on `path`, stands for; else undefined. */
export function damagedError(error: unknown, path: string): TimelineDamagedError | undefined {
  if (!(error instanceof Error)) return undefined;
  // A wrapped error (a failed migration step) is judged by what it wraps too.
  for (const e of errorChain(error)) {
    if (e instanceof TimelineDamagedError) return e;
    // Only SQLite's own errors: a message of ours inside a transaction may say "malformed" too.
    const fromSqlite = e instanceof Error && (e as { code?: unknown }).code === SQLITE_ERROR;
    if (fromSqlite && DAMAGED.test(e.message)) return new TimelineDamagedError(path, { cause: e });
  }
  return undefined;
}

/** What a SQLite error met on the timeline at `path` is reported as: full disk, damage, or itself. */
export function storageError(error: unknown, path: string): unknown {
  return diskFullError(error, path) ?? damagedError(error, path) ?? error;
}
