/**
 * Room on the disk that holds KAFCLAW_HOME. A full disk is said plainly, naming where, both before
 * work starts ({@link requireFreeSpace}) and when a write fails anyway ({@link diskFullError}),
 * instead of surfacing as SQLite's "disk I/O error" or an OS error number.
 *
 * @module
 */
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { chainMessages, errorChain } from "../errors/mod.ts";

/** The least free space a process that writes (a turn, a job) starts with: 1 MiB. */
export const MIN_FREE_BYTES = 1024 * 1024;

/** Thrown when a write failed, or would fail, because the disk is full. */
export class DiskFullError extends Error {
  override name = "DiskFullError";
  /** The file or folder that could not be written. */
  readonly path: string;
  /** Bytes free on its file system when this was noticed (undefined when unknown). */
  readonly free: number | undefined;

  constructor(path: string, free: number | undefined, options?: ErrorOptions) {
    super(
      `The disk holding ${path} is full${
        free === undefined ? "" : ` (${showBytes(free)} free)`
      }: ` +
        `free some space there and try again`,
      options,
    );
    this.path = path;
    this.free = free;
  }
}

/** `40 KiB`, `1.5 MiB`, `3.2 GiB`. */
export function showBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} bytes`;
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, "") : Math.floor(value)} ${units[unit]}`;
}

/**
 * Bytes an unprivileged process may still write on the file system holding `path` (its nearest
 * existing folder when it does not exist yet).
 */
export function freeBytes(path: string): number {
  let at = path;
  while (true) {
    try {
      const stats = statfsSync(at);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch (error) {
      // node:fs reports a missing path as an error with code ENOENT.
      const missing = error instanceof Deno.errors.NotFound ||
        (error as { code?: unknown }).code === "ENOENT";
      const parent = dirname(at);
      if (!missing || parent === at) throw error;
      at = parent;
    }
  }
}

/** Throws {@link DiskFullError} when the disk holding `path` has less than `minBytes` free. */
export function requireFreeSpace(path: string, minBytes: number = MIN_FREE_BYTES): void {
  const free = freeBytes(path);
  if (free < minBytes) throw new DiskFullError(path, free);
}

/**
 * Creates folder `dir` (0700) if needed and checks, as {@link requireFreeSpace} does, that its disk
 * has room; a full disk is thrown as {@link DiskFullError}.
 */
export async function ensureRoom(dir: string, minBytes: number = MIN_FREE_BYTES): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw diskFullError(error, dir) ?? error;
  }
  requireFreeSpace(dir, minBytes);
}

// ENOSPC and EDQUOT as Deno reports them: a plain Error whose message says "(os error N)".
const OS_FULL = /\(os error (28|122)\)/;
// SQLite's words for SQLITE_FULL and SQLITE_IOERR (`exec` errors carry no code, only these).
const SQLITE_FULL = "database or disk is full";
const SQLITE_IOERR = "disk I/O error";

/**
 * The {@link DiskFullError} that `error`, thrown while writing `path`, stands for; undefined when
 * it is something else. SQLite reports some writes on a full disk only as an I/O error, which
 * counts as full when the disk then has less than {@link MIN_FREE_BYTES} free.
 */
export function diskFullError(error: unknown, path: string): DiskFullError | undefined {
  if (error instanceof DiskFullError) return error;
  if (!(error instanceof Error)) return undefined;
  // A wrapped error (a failed migration step) is judged by what it wraps too.
  const chain = errorChain(error);
  const found = chain.find((e): e is DiskFullError => e instanceof DiskFullError);
  if (found) return new DiskFullError(path, found.free, { cause: error });
  const messages = chainMessages(error);
  const free = () => {
    try {
      return freeBytes(path);
    } catch {
      return undefined;
    }
  };
  if (messages.some((m) => OS_FULL.test(m) || m === SQLITE_FULL)) {
    return new DiskFullError(path, free(), { cause: error });
  }
  if (messages.some((m) => m.startsWith(SQLITE_IOERR))) {
    const left = free();
    if (left !== undefined && left < MIN_FREE_BYTES) {
      return new DiskFullError(path, left, { cause: error });
    }
  }
  return undefined;
}
