/**
 * exec's first process: what runs as pid 1 of the command's sandbox (bubblewrap's
 * `--as-pid-1`), and why it is built the way it is.
 *
 * The sandbox must be empty when bubblewrap returns: the workspace is checked for planted files
 * right after a command (see _scan.ts), and a process of the command still running then could
 * plant one behind the check. The kernel gives that for free when pid 1 of a PID namespace
 * exits: it kills every other process of the namespace and reaps them before pid 1's parent
 * (bubblewrap) sees the exit. So pid 1 must be ours, must end the command on time, and must be
 * out of the command's reach:
 *
 * - signals: a process inside cannot stop or kill its namespace's pid 1 (the kernel drops
 *   signals to it that it has no handler for; the ones bash handles only end it sooner);
 * - its memory: the seccomp filter refuses ptrace, process_vm_readv/writev and pidfd_getfd to
 *   every process of the command (_seccomp.ts), and /proc/1 is an empty read-only folder
 *   there, so no process of the same uid may trace pid 1 or write its /proc/1/mem;
 * - time: the time limit is kept by pid 1 itself, not by a timer process the command could
 *   stop; pid 1 is the command's parent and looks whether it still runs, at first every
 *   millisecond and then, doubling, every tenth of a second, waiting in `read -t` on a fifo
 *   of its own that no one else can open.
 *
 * Bash also reaps processes orphaned while the command runs, as an init should: it does so
 * between builtins, which the short waits leave it time for.
 *
 * @module
 */
import { limitArgs } from "./_bwrap_args.ts";
import { addressSpaceBytes, type SandboxLimits } from "./options.ts";

/**
 * Pid 1's program: `$1` the time limit in ms, `$2` the expected `dev:ino` of the read-only
 * binds (space-separated), `$3` their count, then the binds' paths, then the command's argv.
 * It exits with the command's status, 124 when the time ran out, 125 when a bind is not what
 * the host checked (a command running meanwhile could have swapped a folder for a link); its
 * exit ends every other process of the sandbox.
 */
const INIT_SCRIPT = `
limit=$1 expect=$2 count=$3
shift 3
if ((count > 0)); then
  got=$(stat -c %d:%i -- "\${@:1:count}" 2>/dev/null) || got=
  if [[ "\${got//$'\\n'/ }" != "$expect" ]]; then
    echo "kafclaw sandbox: a protected file changed while the sandbox started; not run" >&2
    exit 125
  fi
fi
shift "$count"
fifo=/tmp/.kafclaw-init-$$
mkfifo -m 600 "$fifo" && exec 8<>"$fifo" && rm -f "$fifo" || exit 125
"$@" </dev/null &
command=$!
micros() {
  if [[ -n \${EPOCHREALTIME-} ]]; then t=\${EPOCHREALTIME/[.,]/}; else t=$((SECONDS * 1000000)); fi
}
micros
start=$t step=1000
while kill -0 "$command" 2>/dev/null; do
  micros
  left=$((limit * 1000 - (t - start)))
  ((left > 0)) || exit 124
  ((step < left)) || step=$left
  printf -v span '0.%06d' "$step"
  read -r -t "$span" -u 8
  step=$((step * 2 > 100000 ? 100000 : step * 2))
done
wait "$command"
`;

/**
 * exec's own bubblewrap options: its first process is ours, hidden under an empty read-only
 * /proc/1, and the seccomp filter comes on stdin (_seccomp.ts).
 */
export const EXEC_FLAGS: readonly string[] = [
  "--as-pid-1",
  "--tmpfs",
  "/proc/1",
  "--remount-ro",
  "/proc/1",
  "--seccomp",
  "0",
];

/** How long past its time limit a command's sandbox may take to end itself before it is killed. */
export const BACKSTOP_MS = 5000;

/** A read-only bind that the first process checks before it starts the command. */
export interface GuardedBind {
  /** The path below /work. */
  readonly path: string;
  /** `dev:ino` that `stat` must find there (of `path` itself, or of `check` when given). */
  readonly id: string;
  /** The path below /work to stat instead of `path` (a repository's HEAD, say). */
  readonly check?: string;
}

/**
 * What runs inside for `exec`: {@link INIT_SCRIPT}, run by bash as pid 1, which
 * checks the guarded binds, then runs `sh -c command` under the limits (processes, address
 * space of each, file size, CPU, open files) and ends everything at the time limit.
 */
export function execInner(
  command: string,
  options: { limits: SandboxLimits; timeoutMs: number; binds: readonly GuardedBind[] },
): string[] {
  const { limits, timeoutMs, binds } = options;
  const cpuSeconds = Math.min(limits.cpuSeconds, Math.ceil(timeoutMs / 1000) + 1);
  const limited = limitArgs({ ...limits, memoryBytes: addressSpaceBytes(limits), cpuSeconds });
  const checks = binds.map((bind) => `/work/${bind.check ?? bind.path}`.replace(/\/$/, ""));
  const expect = binds.map((bind) => bind.id).join(" ");
  return [
    "bash",
    "-c",
    INIT_SCRIPT,
    "kafclaw-init",
    String(timeoutMs),
    expect,
    String(binds.length),
    ...checks,
    ...limited,
    "/bin/sh",
    "-c",
    command,
  ];
}
