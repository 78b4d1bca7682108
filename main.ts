/**
 * The one entry point: argv -> subcommand -> exit code. The only place that calls `Deno.exit`, and
 * the only place that turns an error into an exit code ({@link exitCodeOf}).
 *
 * A first argument of `__kafclaw-fs-helper` runs the sandbox's file helper instead of the CLI: a
 * binary made by `deno compile` is its own helper (core/tools/sandbox/helper.ts). The CLI is
 * imported only after that branch, so the helper's process never loads it.
 *
 * @module
 */
import { FS_HELPER_ARG, runFsHelper } from "./core/tools/sandbox/helper.ts";
import { deniedText } from "./core/permissions/mod.ts";

/**
 * Exit codes of the errors a user can meet, by their `name` (each class sets it): 2 when the user
 * asked for something that cannot be done as asked or configured it so (a flag, a key, a name, a
 * schedule, an invalid value from `config set`, the environment or config.json alike), 1 when
 * doing it failed (a file, the network, a broker, a config that others could have written, a full
 * disk), 130 and 143 when Ctrl-C or SIGTERM stopped it (128 plus the signal's number, as a shell
 * reports it). All print their one-line message alone. Any other error exits 1 and suggests
 * `--debug` for its stack.
 */
export const EXIT_CODES: Readonly<Record<string, number>> = Object.freeze({
  UsageError: 2,
  ConfigKeyError: 2,
  ConfigError: 2,
  CronSyntaxError: 2,
  MemoryError: 2,
  OnboardError: 2,
  ProviderNotConfiguredError: 2,
  UnknownAgentError: 2,
  CliError: 1,
  ProviderError: 1,
  SandboxError: 1,
  UntrustedConfigError: 1,
  DiskFullError: 1,
  TimelineDamagedError: 1,
  TimelineVersionError: 1,
  TopicMissingError: 1,
  Cancelled: 130,
  Terminated: 143,
});

/** The exit code of an error a subcommand threw; see {@link EXIT_CODES}. */
export function exitCodeOf(error: unknown): number {
  const name = error instanceof Error ? error.name : undefined;
  return (name !== undefined && EXIT_CODES[name]) || 1;
}

/**
 * A message with Deno's permission wording put as a user can act on it (core/permissions'
 * deniedText: `Requires write access to "/x", run again with the --allow-write flag`, a flag a
 * user of the launcher cannot pass, becomes `kafclaw may not write /x` and why), and the OS's
 * `Permission denied (os error 13)` becomes `permission denied` (any `(os error N)` goes).
 */
export function userText(message: string): string {
  return deniedText(message).replace(
    /\b([A-Z][a-z]+(?: [a-z]+)*) \(os error \d+\)/g,
    (_, what: string) => what.toLowerCase(),
  );
}

/** Turns an error thrown by a subcommand into a message for the user and an exit code. */
export function reportError(
  error: unknown,
  debug: boolean,
  err: (s: string) => void,
  home?: string,
): number {
  const stack = (e: unknown) => (e instanceof Error && e.stack) ? e.stack : String(e);
  const say = (message: string) => err(`kafclaw: ${userText(message).replace(/\s*\n\s*/g, "; ")}`);
  if (error instanceof Error && Object.hasOwn(EXIT_CODES, error.name)) {
    say(error.message);
    if (debug) err(stack(error.cause ?? error));
    return exitCodeOf(error);
  }
  if (error instanceof Deno.errors.NotCapable) {
    say(error.message);
    if (debug) err(stack(error));
    return 1;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    say(refused(error.message, home));
    if (debug) err(stack(error));
    return 1;
  }
  say(error instanceof Error ? error.message : String(error));
  if (debug && error instanceof Error) err(stack(error));
  else err("kafclaw: run again with --debug for details");
  return 1;
}

/**
 * The OS refused a file operation: `KAFCLAW_HOME (/x) is not writable: …` when the path is in it,
 * else the path and the fix.
 */
function refused(message: string, home: string | undefined): string {
  const path = /'([^']+)'/.exec(message)?.[1];
  const inHome = home !== undefined && path !== undefined &&
    (path === home || path.startsWith(home.endsWith("/") ? home : `${home}/`));
  return inHome
    ? `KAFCLAW_HOME (${home}) is not writable: ${message}; check its owner and mode`
    : `${message}: check the owner and mode of that path`;
}

/** KAFCLAW_HOME as configuration resolves it, if this process may read the environment. */
function homeOf(): string | undefined {
  try {
    const home = Deno.env.get("KAFCLAW_HOME");
    if (home) return home.replace(/\/+$/, "");
    const user = Deno.env.get("HOME");
    return user ? `${user.replace(/\/+$/, "")}/.kafclaw` : undefined;
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  if (Deno.args[0] === FS_HELPER_ARG) Deno.exit(runFsHelper(Deno.args.slice(1)));
  const { processIo, runCli, terminalPrompter } = await import("./cli/mod.ts");
  const args = Deno.args;
  let code: number;
  try {
    let prompter: ReturnType<typeof terminalPrompter> | undefined;
    code = await runCli({
      io: processIo,
      env: () => Deno.env.toObject(),
      prompter: () => prompter ??= terminalPrompter(),
    }, args);
  } catch (error) {
    code = reportError(error, args.includes("--debug"), processIo.err, homeOf());
  }
  Deno.exit(code);
}
