/**
 * Options of {@link openSandbox}, resolved once into a filled config the rest trusts.
 *
 * @module
 */
import { DEFAULT_START_LIMITS_MS, startLimits } from "./_start_check.ts";
import { type HelperBinary, helperBinary } from "./helper.ts";

/**
 * Resource limits of every command (and, where noted, of the file helper). They apply inside the
 * sandbox's own user namespace, so the process limit counts that sandbox's processes only.
 */
export interface SandboxLimits {
  /**
   * RLIMIT_NPROC: processes and threads of one command together, fork bombs included (the
   * sandbox's own first process and its watcher count too).
   */
  readonly processes: number;
  /**
   * The most memory one command may hold, all its processes together, in bytes. No cgroup is
   * used, so it is shared out: each process may map `memoryBytes / processes` (RLIMIT_AS; see
   * {@link addressSpaceBytes}), and memory no address space counts (memfd, System V shared
   * memory) is refused. /tmp and /dev/shm come on top ({@link memoryBound}).
   */
  readonly memoryBytes: number;
  /** RLIMIT_FSIZE: largest file a command or a file tool may write, in bytes. */
  readonly fileSizeBytes: number;
  /** RLIMIT_CPU: CPU seconds of each process (also capped by the call's own time limit). */
  readonly cpuSeconds: number;
  /** RLIMIT_NOFILE: open files of each process. */
  readonly openFiles: number;
  /** Size of the sandbox's /tmp and /dev/shm (each a tmpfs), in bytes. */
  readonly tmpBytes: number;
}

/** The limits used where {@link SandboxOptions.limits} says nothing. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = Object.freeze({
  processes: 16,
  memoryBytes: 4 * 1024 ** 3,
  fileSizeBytes: 1024 ** 3,
  cpuSeconds: 600,
  openFiles: 1024,
  tmpBytes: 64 * 1024 ** 2,
});

/**
 * RLIMIT_AS of each of a command's processes: the sandbox's memory shared out among them. A
 * runtime that reserves much more address space than it uses needs `memoryBytes` raised or
 * `processes` lowered (Node.js needs about 1 GiB; Deno, which reserves tens of GiB, cannot run).
 */
export function addressSpaceBytes(limits: SandboxLimits): number {
  return Math.floor(limits.memoryBytes / limits.processes);
}

/**
 * The most memory one command can hold in all: every process's address space, plus /tmp and
 * /dev/shm (each a tmpfs of `tmpBytes`). Kernel buffers (pipes, sockets) are not counted; a
 * cgroup would count them, and no cgroup is used.
 */
export function memoryBound(limits: SandboxLimits): number {
  return limits.processes * addressSpaceBytes(limits) + 2 * limits.tmpBytes;
}

/** How to open a sandbox; every field is optional. */
export interface SandboxOptions {
  /** `bwrap` (default) falls back to `worker` when bubblewrap is missing or refused. */
  readonly prefer?: "bwrap" | "worker";
  /**
   * The owner's unsandboxed mode: without bubblewrap, `exec` runs commands on the host (clean
   * environment, same limits of time and output). The caller asks the owner before every call.
   */
  readonly unsandboxed?: boolean;
  readonly limits?: Partial<SandboxLimits>;
  /** Host uid and gid the sandbox drops to when this process runs as root (default 65534). */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * The executable that runs the file helper (default `Deno.execPath()`): the Deno CLI, or
   * kafclaw compiled by `deno compile`; {@link helperBinary} tells which, and so how it starts.
   */
  readonly denoPath?: string;
  /** A file operation that takes longer restarts the file helper (default 15000). */
  readonly fsTimeoutMs?: number;
  /**
   * The time limits of opening's start checks (bubblewrap running `true`, the file helper's
   * first answer), tried in turn while each one times out (_start_check.ts): a busy machine is
   * slow, not without bubblewrap. Only the last timing out gives up. Default: 10 s, then 50 s.
   */
  readonly startLimitsMs?: readonly number[];
  /** Where the sandbox keeps its own small files (default: a new temporary folder). */
  readonly stateDir?: string;
  /**
   * A file where opening remembers that bubblewrap works here, so that the next open skips the
   * check while nothing it depends on changed (probe_cache.ts); default: check at every open.
   */
  readonly probeCache?: string;
  /**
   * The name the errors' suggested commands start with (core/config's commandName); `kafclaw` by
   * default. The default is not imported from core/config: the sandbox's modules import nothing
   * outside core/tools/sandbox, so they load without the project's import map.
   */
  readonly command?: string;
  /**
   * Asked, as root, before the workspace's files are given to the sandbox's uid (the drop from
   * root needs them to be its own): undefined to go ahead, or why not, in one line. Refused, the
   * bubblewrap sandbox is unavailable and opening falls back to the worker sandbox, saying why.
   * Default: go ahead.
   */
  readonly handOver?: (workspace: string) => Promise<string | undefined>;
}

/** {@link SandboxOptions} with every default filled in. */
export interface ResolvedSandboxConfig {
  readonly prefer: "bwrap" | "worker";
  readonly unsandboxed: boolean;
  readonly limits: SandboxLimits;
  readonly uid: number;
  readonly gid: number;
  readonly helper: HelperBinary;
  readonly fsTimeoutMs: number;
  readonly startLimitsMs: readonly number[];
  readonly stateDir: string | null;
  readonly probeCache: string | null;
  readonly command: string;
  readonly handOver: (workspace: string) => Promise<string | undefined>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`Cannot use sandbox option ${name}: ${value} is not a positive integer`);
  }
  return value;
}

/** Fills the defaults and checks the numbers (RangeError on a programmer's mistake). */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxConfig {
  const merged = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
  const limits: SandboxLimits = {
    processes: positiveInteger("limits.processes", merged.processes),
    memoryBytes: positiveInteger("limits.memoryBytes", merged.memoryBytes),
    fileSizeBytes: positiveInteger("limits.fileSizeBytes", merged.fileSizeBytes),
    cpuSeconds: positiveInteger("limits.cpuSeconds", merged.cpuSeconds),
    openFiles: positiveInteger("limits.openFiles", merged.openFiles),
    tmpBytes: positiveInteger("limits.tmpBytes", merged.tmpBytes),
  };
  const uid = positiveInteger("uid", options.uid ?? 65534);
  const gid = positiveInteger("gid", options.gid ?? uid);
  return {
    prefer: options.prefer ?? "bwrap",
    unsandboxed: options.unsandboxed ?? false,
    limits,
    uid,
    gid,
    helper: helperBinary(options.denoPath),
    fsTimeoutMs: positiveInteger("fsTimeoutMs", options.fsTimeoutMs ?? 15000),
    startLimitsMs: startLimits("startLimitsMs", options.startLimitsMs ?? DEFAULT_START_LIMITS_MS),
    stateDir: options.stateDir ?? null,
    probeCache: options.probeCache ?? null,
    command: options.command ?? "kafclaw",
    handOver: options.handOver ?? (() => Promise.resolve(undefined)),
  };
}
