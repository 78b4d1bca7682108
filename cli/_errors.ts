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

/** A subcommand that this build does not have yet: exit 2, with no pretend output. */
export function notBuiltYet(command: string, arrives: string): never {
  throw new UsageError(
    `\`kafclaw ${command}\` is not available in this build yet (${arrives}); see README.md for what works today`,
  );
}
