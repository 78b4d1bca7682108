/**
 * What the kernel says of processes of this host, for the run tag (run_tag.ts): whether a pid
 * runs and since when, which boot this is and which PID namespace this process sees.
 *
 * Deno refuses every read of `/proc` to a process without `--allow-all`, so under the permission
 * sets subcommands run with (core/permissions) none of this can be read through Deno's own file
 * calls. It is read through the C library instead (`--allow-ffi`, which the long-running sets
 * hold): `kill(pid, 0)` for whether a pid runs (not hidden by a `hidepid` mount, unlike `/proc`),
 * then on Linux `/proc/<pid>/stat` (its start time, in clock ticks since boot), the boot's id
 * (`/proc/sys/kernel/random/boot_id`) and the link `/proc/self/ns/pid`. On macOS the same questions
 * go to `proc_pidinfo` (start time to the microsecond) and `sysctlbyname("kern.bootsessionuuid")`;
 * macOS has no PID namespaces. Anywhere else, or without `--allow-ffi`, every answer is "cannot
 * tell" (undefined), and the run tag's checks fail closed.
 *
 * @module
 */
import { parseProcStat } from "./proc_stat.ts";

/** The answers, in the form run_tag.ts uses them. */
export interface ProcessFacts {
  /** This boot's id (undefined: cannot tell). */
  bootId(): string | undefined;
  /** This process's PID namespace, `""` where the system has none (undefined: cannot tell). */
  pidNamespace(): string | undefined;
  /**
   * When process `pid` started, as an opaque string; null when no such process runs (or only its
   * zombie); undefined when this process cannot tell.
   */
  processStart(pid: number): string | null | undefined;
}

const EPERM = 1;
const ESRCH = 3;
const CANNOT_TELL: ProcessFacts = {
  bootId: () => undefined,
  pidNamespace: () => undefined,
  processStart: () => undefined,
};

let facts: ProcessFacts | undefined;

/** The facts of this system; loaded once, on first use. */
export function processFacts(): ProcessFacts {
  facts ??= load();
  return facts;
}

function load(): ProcessFacts {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return CANNOT_TELL;
  try {
    if (Deno.build.os === "linux") return linuxFacts();
    if (Deno.build.os === "darwin") return darwinFacts();
  } catch {
    // No C library where one was expected: nothing can be told.
  }
  return CANNOT_TELL;
}

const LINUX_LIBC = ["libc.so.6", "libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];

function linuxFacts(): ProcessFacts {
  const symbols = {
    kill: { parameters: ["i32", "i32"], result: "i32" },
    open: { parameters: ["buffer", "i32"], result: "i32" },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
    readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
    __errno_location: { parameters: [], result: "pointer" },
  } as const;
  const c = openFirst(LINUX_LIBC, symbols).symbols;
  const errno = () => new Deno.UnsafePointerView(c.__errno_location()!).getInt32();
  const readFile = (path: string): string | undefined => {
    const fd = c.open(cString(path), 0);
    if (fd < 0) return undefined;
    try {
      const buffer = new Uint8Array(4096);
      const n = Number(c.read(fd, buffer, BigInt(buffer.length)));
      return n < 0 ? undefined : new TextDecoder().decode(buffer.subarray(0, n));
    } finally {
      c.close(fd);
    }
  };
  return {
    bootId: () => readFile("/proc/sys/kernel/random/boot_id")?.trim() || undefined,
    pidNamespace() {
      const buffer = new Uint8Array(256);
      const n = Number(c.readlink(cString("/proc/self/ns/pid"), buffer, BigInt(buffer.length)));
      return n <= 0 ? undefined : new TextDecoder().decode(buffer.subarray(0, n));
    },
    processStart(pid) {
      const alive = runs(pid, c.kill, errno);
      if (alive !== true) return alive === false ? null : undefined;
      const stat = readFile(`/proc/${pid}/stat`);
      // It ended between the two calls, or /proc hides it: the start time decides, or nothing.
      if (stat === undefined) return runs(pid, c.kill, errno) === false ? null : undefined;
      const parsed = parseProcStat(stat);
      if (parsed === undefined) return undefined;
      return parsed.zombie ? null : parsed.start;
    },
  };
}

/** struct proc_bsdinfo (sys/proc_info.h): 136 bytes; what is read of it. */
const BSDINFO = { size: 136, status: 4, startSec: 120, startUsec: 128 } as const;
const PROC_PIDTBSDINFO = 3;
const SZOMB = 5;

function darwinFacts(): ProcessFacts {
  const symbols = {
    kill: { parameters: ["i32", "i32"], result: "i32" },
    proc_pidinfo: { parameters: ["i32", "i32", "u64", "buffer", "i32"], result: "i32" },
    sysctlbyname: {
      parameters: ["buffer", "buffer", "buffer", "pointer", "usize"],
      result: "i32",
    },
    __error: { parameters: [], result: "pointer" },
  } as const;
  const c = openFirst(["/usr/lib/libSystem.B.dylib"], symbols).symbols;
  const errno = () => new Deno.UnsafePointerView(c.__error()!).getInt32();
  return {
    bootId() {
      const value = new Uint8Array(128);
      const length = new BigUint64Array([BigInt(value.length)]);
      const failed = c.sysctlbyname(cString("kern.bootsessionuuid"), value, length, null, 0n);
      if (failed !== 0) return undefined;
      return new TextDecoder().decode(value.subarray(0, Number(length[0]))).replace(/\0.*$/s, "") ||
        undefined;
    },
    pidNamespace: () => "",
    processStart(pid) {
      const alive = runs(pid, c.kill, errno);
      if (alive !== true) return alive === false ? null : undefined;
      const info = new Uint8Array(BSDINFO.size);
      if (c.proc_pidinfo(pid, PROC_PIDTBSDINFO, 0n, info, info.length) !== info.length) {
        return runs(pid, c.kill, errno) === false ? null : undefined;
      }
      const view = new DataView(info.buffer);
      if (view.getUint32(BSDINFO.status, true) === SZOMB) return null;
      const sec = view.getBigUint64(BSDINFO.startSec, true);
      const usec = view.getBigUint64(BSDINFO.startUsec, true);
      return `${sec}.${usec.toString().padStart(6, "0")}`;
    },
  };
}

/** Whether `pid` runs: true, false (no such process), undefined (cannot tell). */
function runs(
  pid: number,
  kill: (pid: number, signal: number) => number,
  errno: () => number,
): boolean | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > 0x7fffffff) return undefined;
  if (kill(pid, 0) === 0) return true;
  const why = errno();
  // EPERM: it runs, as another user's.
  return why === ESRCH ? false : why === EPERM ? true : undefined;
}

function openFirst<S extends Deno.ForeignLibraryInterface>(
  names: readonly string[],
  symbols: S,
): Deno.DynamicLibrary<S> {
  let last: unknown;
  for (const name of names) {
    try {
      return Deno.dlopen(name, symbols);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`) as Uint8Array<ArrayBuffer>;
}
