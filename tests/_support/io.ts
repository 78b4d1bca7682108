import type { Io } from "../../cli/_io.ts";

/**
 * An Io that keeps what was written, so a test can read what a subcommand printed: each line, and
 * each streamed piece, as one entry.
 */
export function memoryIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
    write: (t) => void stdout.push(t),
  };
}
