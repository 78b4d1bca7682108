/**
 * Runs one program with a time limit, an output cap and an abort signal, and always kills what it
 * started: the child (bubblewrap takes its whole PID namespace down with it) or, for unsandboxed
 * commands, the child's process group.
 *
 * @module
 */
import { type ByteBudget, CappedChunks } from "../../bytes/mod.ts";
import type { ExecResult } from "./types.ts";

/** How to run and bound one program. */
export interface BoundedRun {
  readonly args: readonly string[];
  /** The whole environment of the child (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs: number;
  /**
   * When the child gets killed, if later than `timeoutMs`: for a child that ends itself at the
   * time limit (exec's first process does), this is only the backstop. A run that lasts
   * `timeoutMs` or longer counts as timed out either way.
   */
  readonly killAfterMs?: number;
  /** Bytes written to the child's stdin, which is then closed (default: no stdin). */
  readonly stdin?: Uint8Array;
  readonly maxOutputBytes: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * The child leads a process group of its own and kills it on SIGTERM (see
   * {@link GROUP_WRAPPER}): on timeout or abort it gets SIGTERM (SIGKILL a moment later), and its
   * group SIGKILL when Deno may signal groups. For commands that run on the host, whose background
   * children would outlive them. Otherwise the child alone gets SIGKILL (bubblewrap takes its
   * whole PID namespace down with it).
   */
  readonly killGroup: boolean;
}

/**
 * `sh -c GROUP_WRAPPER name command` runs `command` so that its whole process group can be ended
 * without permission to signal groups: SIGTERM to the wrapper kills the group, and when the
 * command ends the wrapper sends SIGTERM to whatever it left behind, keeping its exit status.
 */
export const GROUP_WRAPPER = `trap 'trap "" TERM; kill -KILL 0' TERM; sh -c "$1" & wait $!; ` +
  `status=$?; trap '' TERM; kill -TERM 0 2>/dev/null; exit $status`;

/** How long a host command has to die after SIGTERM before it gets SIGKILL. */
const TERM_GRACE_MS = 1000;

async function collect(
  stream: ReadableStream<Uint8Array>,
  budget: ByteBudget,
  stop: Promise<void>,
): Promise<string> {
  // Past the budget, output is still read (and dropped), so the command never blocks on a pipe.
  const kept = new CappedChunks(budget);
  const reader = stream.getReader();
  stop.then(() => reader.cancel().catch(() => {}));
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      kept.add(next.value);
    }
  } finally {
    reader.releaseLock();
  }
  // `stream: true` holds back a character cut in half by the cap instead of mangling it.
  return new TextDecoder().decode(kept.bytes(), { stream: budget.overflowed });
}

/** How long output is still read after the command ended, from processes it left behind. */
const DRAIN_MS = 2000;

/** Runs `program`; rejects with the signal's reason when aborted (after killing everything). */
export async function runBounded(program: string, run: BoundedRun): Promise<ExecResult> {
  run.signal?.throwIfAborted();
  const child = new Deno.Command(program, {
    args: [...run.args],
    env: { ...run.env },
    clearEnv: true,
    ...(run.cwd === undefined ? {} : { cwd: run.cwd }),
    stdin: run.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const started = performance.now();
  if (run.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    // A child that dies before reading all of it closes the pipe: its exit says what happened.
    writer.write(run.stdin).then(() => writer.close()).catch(() => {});
  }
  let hardKill: ReturnType<typeof setTimeout> | undefined;
  const signalChild = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* exited already */ }
  };
  // Permission to signal a process group needs --allow-run without a list; without it the
  // wrapper's own trap does the work.
  const killGroup = (): boolean => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  };
  const kill = () => {
    if (!run.killGroup) return signalChild("SIGKILL");
    if (killGroup()) return;
    signalChild("SIGTERM");
    hardKill ??= setTimeout(() => signalChild("SIGKILL"), TERM_GRACE_MS);
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, Math.max(run.timeoutMs, run.killAfterMs ?? 0));
  const onAbort = () => kill();
  run.signal?.addEventListener("abort", onAbort, { once: true });
  const budget: ByteBudget = { left: run.maxOutputBytes, overflowed: false };
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  let endedAt = Infinity;
  const ended = child.status.then((status) => {
    endedAt = performance.now();
    if (run.killGroup) killGroup();
    return status;
  });
  // Something that left the process group may hold the pipes open: stop reading after a while.
  const stop = ended.then(() =>
    new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, DRAIN_MS);
    })
  );
  try {
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout, budget, stop),
      collect(child.stderr, budget, stop),
      ended,
    ]);
    run.signal?.throwIfAborted();
    timedOut ||= endedAt - started >= run.timeoutMs;
    const exitCode = timedOut || status.signal !== null ? null : status.code;
    return { exitCode, stdout, stderr, timedOut, truncated: budget.overflowed };
  } finally {
    clearTimeout(timer);
    clearTimeout(drainTimer);
    clearTimeout(hardKill);
    run.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Runs one of the sandbox's own programs (a scan of the workspace, a rename) to its end and
 * returns its output as bytes, killing it after `timeoutMs`.
 */
export async function runCollected(
  program: string,
  run: {
    readonly args: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
    readonly stdin?: Uint8Array;
  },
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(program, {
    args: [...run.args],
    clearEnv: true,
    env: { ...run.env },
    stdin: run.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(run.timeoutMs),
  }).spawn();
  if (run.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(run.stdin).catch(() => {});
    await writer.close().catch(() => {});
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}
