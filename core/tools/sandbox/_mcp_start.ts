/**
 * Starting a stdio MCP server's sandbox: the wrapper's own check that bubblewrap works (which
 * also finds `prlimit` inside), the check `kafclaw doctor` runs for each server (its sandbox,
 * with the server's grants and environment, asked only whether the command is there), and the
 * sentence that says why a server did not start, read from what bubblewrap and `prlimit` (not
 * the server) wrote to stderr.
 *
 * @module
 */
import type { McpGrants, WrapCommand } from "../mcp/mod.ts";
import { HOST_PATH } from "./_bwrap_args.ts";
import { runBounded } from "./_run.ts";
import { checkPatiently, timedOutReason } from "./_start_check.ts";
import { type ExecResult, SandboxError } from "./types.ts";

/** What a bare command name is looked up on inside, when the grants' `env` sets no PATH. */
export const MCP_SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";

/** The PATH a server's command is looked up on inside its sandbox. */
export function sandboxPath(grants: McpGrants): string {
  return grants.env.PATH ?? MCP_SANDBOX_PATH;
}

/**
 * Why the server `command` did not start, from its sandbox's stderr; undefined when nothing
 * there is the sandbox's own doing (the server itself started and failed).
 */
export function startFailure(command: string, path: string, stderr: string): string | undefined {
  const exec = /^prlimit: failed to execute (.*): (.*)$/m.exec(stderr);
  if (exec?.[1] === command) {
    return exec[2] === "No such file or directory"
      ? notFound(command, path)
      : `the sandbox cannot run the command ${JSON.stringify(command)}: ${exec[2]}`;
  }
  const bwrap = /^bwrap: (.*)$/m.exec(stderr);
  return bwrap ? `bubblewrap cannot set up the sandbox: ${bwrap[1]}` : undefined;
}

function notFound(command: string, path: string): string {
  return command.startsWith("/")
    ? `the command ${JSON.stringify(command)} cannot start inside the sandbox: the interpreter ` +
      `its first line names is not there (grant its folder in "read")`
    : `the command ${JSON.stringify(command)} is not found inside the sandbox, on its PATH ` +
      `${path}: give the command's absolute path (it is then made visible read-only) and ` +
      `grant in "read" what it needs`;
}

/** Output kept of one check (stdout and stderr together): a path, or bubblewrap's words. */
const CHECK_OUTPUT_BYTES = 65536;

/**
 * Runs a wrapped command line to its end under each of `limitsMs` in turn while it times out
 * (_start_check.ts); throws when bwrap is missing. A run that timed out is killed with its whole
 * process group where this process may signal groups: a bubblewrap killed while it starts can
 * leave a child waiting forever for it, which must hold neither the check nor the machine.
 */
function runWrapped(
  line: { command: string; args: readonly string[] },
  limitsMs: readonly number[],
): Promise<ExecResult> {
  return checkPatiently(limitsMs, (limitMs) => runWrappedOnce(line, limitMs));
}

async function runWrappedOnce(
  line: { command: string; args: readonly string[] },
  limitMs: number,
): Promise<ExecResult> {
  try {
    return await runBounded(line.command, {
      args: line.args,
      env: { PATH: HOST_PATH },
      timeoutMs: limitMs,
      maxOutputBytes: CHECK_OUTPUT_BYTES,
      killGroup: true,
    });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new SandboxError("Cannot start bubblewrap: bwrap is not installed", {
      code: "unavailable",
      cause: error,
    });
  }
}

/**
 * Runs `sh -c 'command -v prlimit'` with no grants through the wrapper (looked up inside, as a
 * server's bare command is) and answers where the sandbox has `prlimit`; throws a SandboxError
 * (code `unavailable`) that says why when that fails. A run that timed out is tried again under
 * the next of `limitsMs`; only the last timing out gives up, saying so.
 */
export async function checkWrapper(
  wrapCommand: WrapCommand,
  limitsMs: readonly number[],
): Promise<string> {
  const grants = { read: [], write: [], network: false, env: {} };
  const line = wrapCommand("sh", ["-c", "command -v prlimit"], grants);
  const output = await runWrapped(line, limitsMs);
  const found = output.stdout.trim();
  if (output.timedOut || output.exitCode !== 0 || !found.startsWith("/")) {
    const why = output.timedOut
      ? timedOutReason("running a shell in the MCP sandbox", limitsMs)
      : output.stderr.trim() || `exit code ${output.exitCode}`;
    throw new SandboxError(`Cannot start bubblewrap: ${why}`, { code: "unavailable" });
  }
  return found;
}

/** The shell test run in place of a server's command: is it there, and may the sandbox run it. */
const PRESENT = 'case $1 in /*) [ -x "$1" ] ;; *) command -v -- "$1" >/dev/null ;; esac';

/** What runs in a server's sandbox in place of its `command`, to test only that it is there. */
export function presentArgs(command: string): string[] {
  return ["/bin/sh", "-c", PRESENT, "sh", command];
}

/**
 * Whether a server would start, from running `line` (its sandbox, with {@link presentArgs} in
 * place of `command`): undefined when it would; otherwise why not, in a sentence.
 */
export async function probeStart(
  line: { command: string; args: readonly string[] },
  command: string,
  grants: McpGrants,
  limitsMs: readonly number[],
): Promise<string | undefined> {
  const output = await runWrapped(line, limitsMs);
  if (output.timedOut) return timedOutReason("the check of its sandbox", limitsMs);
  if (output.exitCode === 0) return undefined;
  const stderr = output.stderr.trim();
  if (stderr === "" && output.exitCode === 127) return notFound(command, sandboxPath(grants));
  if (stderr === "" && output.exitCode === 1) {
    return `the sandbox cannot run the command ${JSON.stringify(command)}: it is not ` +
      `executable by the sandbox's uid`;
  }
  return startFailure(command, sandboxPath(grants), stderr) ??
    (stderr || `exit code ${output.exitCode}`);
}
