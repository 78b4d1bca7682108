/**
 * The CLI's error sentinels. Subcommands throw these; main.ts alone turns them into exit codes, so
 * `Deno.exit` lives in one place.
 *
 * @module
 */

/** The user asked for something the CLI cannot do as asked: exit 2 with a one-line reason. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Something failed while doing what was asked (a file, the network, a broker): exit 1. */
export class CliError extends Error {
  override name = "CliError";
}

/**
 * The command left because of a signal, after cleaning up: exit 128 plus the signal's number, 130
 * for SIGINT (Ctrl-C), 143 for SIGTERM, as a shell reports a process that a signal ended.
 */
export class StoppedBySignal extends Error {
  override name = "StoppedBySignal";
  readonly signal: "SIGINT" | "SIGTERM";
  readonly exitCode: number;

  constructor(signal: "SIGINT" | "SIGTERM") {
    super(signal === "SIGINT" ? "cancelled" : "stopped (SIGTERM)");
    this.signal = signal;
    this.exitCode = signal === "SIGINT" ? 130 : 143;
  }
}

/** A subcommand that this build does not have yet: exit 2, with no pretend output. */
export function notBuiltYet(command: string, arrives: string): never {
  throw new UsageError(
    `\`kafclaw ${command}\` is not available in this build yet (${arrives}); see README.md for what works today`,
  );
}
