/**
 * One `exec` with the workspace's protected files (_protected.ts) guarded around it: found and
 * bound read-only before, and what the command planted set aside after (_scan.ts).
 *
 * @module
 */
import type { GuardedBind } from "./_exec_init.ts";
import { scanProtected, setAside, type ViewRunner } from "./_scan.ts";
import { type ExecResult, SandboxError } from "./types.ts";

/** What {@link guardedExec} needs from its sandbox. */
export interface GuardedExecParts {
  /** Runs the sandbox's own programs in a fresh view of the workspace. */
  readonly scan: ViewRunner;
  /** Runs the command with these paths bound read-only. */
  readonly run: (binds: readonly GuardedBind[]) => Promise<ExecResult>;
  /** Told why, when what the command left could not be checked: trust nothing after it. */
  readonly unchecked: (reason: string) => void;
}

/**
 * Runs `command` (by `parts.run`) between a scan for protected files and the setting aside of
 * those it planted, also when it failed or was aborted: it may have planted before it ended.
 * A protected file the sandbox cannot bind read-only stops the command before it starts.
 *
 * When the command ends itself or hits its time limit, its first process has ended every other
 * one before this looks (_exec_init.ts). When it is aborted (the owner cancels, the sandbox
 * closes) or outlives the backstop, bubblewrap is killed instead and the kernel tears the
 * sandbox down a moment later; the look after waits for the command's output to close, which a
 * process that closed its output and survived that moment would not hold up.
 */
export async function guardedExec(command: string, parts: GuardedExecParts): Promise<ExecResult> {
  const before = await scanProtected(parts.scan);
  const refused = before.find((entry) => entry.refusal !== null);
  if (refused?.refusal) {
    throw new SandboxError(`Cannot run ${JSON.stringify(command)}: ${refused.refusal}`, {
      code: "protected",
    });
  }
  let result: ExecResult | null = null;
  let failure: unknown = null;
  try {
    result = await parts.run(before.flatMap((entry) => entry.bind === null ? [] : [entry.bind]));
  } catch (error) {
    failure = error;
  }
  let renamed: string[];
  try {
    renamed = await setAside(parts.scan, new Set(before.map((entry) => entry.key)));
  } catch (error) {
    const reason = `${(error as Error).message}; restart kafclaw after checking the workspace`;
    parts.unchecked(reason);
    throw new SandboxError(`Cannot check what ${JSON.stringify(command)} left: ${reason}`);
  }
  if (result === null) throw failure;
  return renamed.length === 0 ? result : { ...result, setAside: renamed };
}
