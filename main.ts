/**
 * The one entry point: argv -> subcommand -> exit code. The only place that calls `Deno.exit`.
 *
 * A first argument of `__kafclaw-fs-helper` runs the sandbox's file helper instead of the CLI: a
 * binary made by `deno compile` is its own helper (core/tools/sandbox/helper.ts). The CLI is
 * imported only after that branch, so the helper's process never loads it.
 *
 * @module
 */
import { CliError, StoppedBySignal, UsageError } from "./cli/_errors.ts";
import { processIo } from "./cli/_io.ts";
import { type Prompter, terminalPrompter } from "./cli/_prompt.ts";
import { FS_HELPER_ARG, runFsHelper } from "./core/tools/sandbox/helper.ts";

/** Turns an error thrown by a subcommand into a message for the user and an exit code. */
export function reportError(error: unknown, debug: boolean, err: (s: string) => void): number {
  if (error instanceof UsageError) {
    err(`kafclaw: ${error.message}`);
    return 2;
  }
  if (error instanceof StoppedBySignal) {
    err(`kafclaw: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    err(`kafclaw: ${error.message}`);
    if (debug && error.cause) err(String((error.cause as Error).stack ?? error.cause));
    return 1;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    err(`kafclaw: this subcommand lacks a permission it needs: ${(error as Error).message}`);
    if (debug && (error as Error).stack) err((error as Error).stack!);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  err(`kafclaw: ${message}`);
  if (debug && error instanceof Error && error.stack) err(error.stack);
  else err("kafclaw: run again with --debug for details");
  return 1;
}

if (import.meta.main) {
  if (Deno.args[0] === FS_HELPER_ARG) Deno.exit(runFsHelper(Deno.args.slice(1)));
  const { runCli } = await import("./cli/mod.ts");
  const args = Deno.args;
  const debug = args.includes("--debug");
  let code: number;
  try {
    let prompter: Prompter | undefined;
    code = await runCli({
      io: processIo,
      env: () => Deno.env.toObject(),
      prompter: () => prompter ??= terminalPrompter(),
    }, args);
  } catch (error) {
    code = reportError(error, debug, processIo.err);
  }
  Deno.exit(code);
}
