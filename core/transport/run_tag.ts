/**
 * Which process a consumer group member belongs to, so that a member left behind by a crashed
 * process can be told from a live one. Every consumer of the Kafka transport carries this
 * process's {@link RunTag} (host name, pid, a random id of this run and, for an agent, its home
 * and run folder) in the user data of its group metadata, which the broker shows to anyone who
 * describes the group.
 *
 * A member is {@link leftBehind} only when this process can prove it, on the same host: the run
 * folder it names (core/agent/run_dir.ts, locked by its process for as long as it lives) is the
 * very folder this process sees there and nobody holds its lock; or, where the PID namespace can
 * be read, its pid is gone, or is this process's own pid from an earlier run (a container
 * restarted as pid 1). Everything else (another host, no tag, nothing this process may read)
 * counts as live: the check fails closed.
 *
 * @module
 */

/** Where a consumer runs, as its group metadata says. */
export interface RunTag {
  readonly host: string;
  /** The PID namespace (`/proc/self/ns/pid`), absent where it cannot be read. */
  readonly ns?: string;
  readonly pid: number;
  /** Random per process: tells this run from an earlier one that had the same pid. */
  readonly run: string;
  /** The agent's home, its identity (`dev:ino`) and its run folder's name there. */
  readonly home?: string;
  readonly homeId?: string;
  readonly dir?: string;
}

/** An agent's run folder (core/agent/run_dir.ts), and how to tell whether one's process lives. */
export interface RunFolder {
  readonly home: string;
  readonly name: string;
  alive(home: string, name: string): Promise<boolean>;
}

const MARK = "kafclaw-run:";

let self: RunTag | null | undefined;

/** This process's tag, with `folder` when given; undefined when the host name cannot be read. */
export function thisRun(folder?: Pick<RunFolder, "home" | "name">): RunTag | undefined {
  if (self === undefined) {
    try {
      const ns = readOr(() => Deno.readLinkSync("/proc/self/ns/pid"));
      self = {
        host: Deno.hostname(),
        ...(ns === undefined ? {} : { ns }),
        pid: Deno.pid,
        run: crypto.randomUUID(),
      };
    } catch {
      self = null;
    }
  }
  if (self === null) return undefined;
  const homeId = folder === undefined ? undefined : readOr(() => dirId(folder.home));
  if (folder === undefined || homeId === undefined) return self;
  return { ...self, home: folder.home, homeId, dir: folder.name };
}

function readOr<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function dirId(path: string): string {
  const { dev, ino } = Deno.statSync(path);
  return `${dev}:${ino}`;
}

/** The bytes of `tag` for a member's user data (empty without a tag). */
export function encodeRunTag(tag: RunTag | undefined): Uint8Array {
  return tag === undefined
    ? new Uint8Array()
    : new TextEncoder().encode(MARK + JSON.stringify(tag));
}

const TEXT_FIELDS = ["ns", "home", "homeId", "dir"] as const;

/** The tag in a member's user data, if it holds one. */
export function decodeRunTag(bytes: Uint8Array | null | undefined): RunTag | undefined {
  if (bytes === null || bytes === undefined) return undefined;
  const text = readOr(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  if (text === undefined || !text.startsWith(MARK)) return undefined;
  const v = readOr(() => JSON.parse(text.slice(MARK.length)));
  if (
    typeof v?.host !== "string" || !Number.isSafeInteger(v.pid) || v.pid <= 0 ||
    typeof v.run !== "string" ||
    TEXT_FIELDS.some((field) => v[field] !== undefined && typeof v[field] !== "string")
  ) return undefined;
  const tag: Record<string, unknown> = { host: v.host, pid: v.pid, run: v.run };
  for (const field of TEXT_FIELDS) if (v[field] !== undefined) tag[field] = v[field];
  return tag as unknown as RunTag;
}

/** Whether process `pid` of this PID namespace runs; undefined when this process cannot tell. */
export function pidRuns(pid: number): boolean | undefined {
  if (readOr(() => Deno.statSync("/proc/self")) === undefined) return undefined;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? false : undefined;
  }
}

/** How {@link leftBehind} learns whether a run lives; the real checks by default. */
export interface Liveness {
  /** Whether the process of run folder `name` in `home` lives (absent: cannot tell). */
  readonly folderAlive?: (home: string, name: string) => Promise<boolean>;
  /** Whether a pid of this PID namespace runs (undefined: cannot tell). */
  readonly pidRuns?: (pid: number) => boolean | undefined;
  /** The identity (`dev:ino`) of a folder as this process sees it (undefined: cannot tell). */
  readonly dirId?: (path: string) => string | undefined;
}

/**
 * Whether a member tagged `tag` was left by a process of this host that is gone, as seen from
 * the process tagged `me`; see the module documentation.
 */
export async function leftBehind(
  tag: RunTag | undefined,
  me: RunTag | undefined,
  live: Liveness = {},
): Promise<boolean> {
  if (tag === undefined || me === undefined || tag.host !== me.host) return false;
  const idOf = live.dirId ?? ((path: string) => readOr(() => dirId(path)));
  if (
    tag.home !== undefined && tag.dir !== undefined && live.folderAlive !== undefined &&
    tag.homeId !== undefined && idOf(tag.home) === tag.homeId
  ) {
    return !await live.folderAlive(tag.home, tag.dir).catch(() => true);
  }
  if (tag.ns === undefined || tag.ns !== me.ns) return false;
  if (tag.pid === me.pid) return tag.run !== me.run;
  return (live.pidRuns ?? pidRuns)(tag.pid) === false;
}
