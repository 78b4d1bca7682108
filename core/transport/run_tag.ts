/**
 * Which process a consumer group member belongs to, so that a member left behind by a crashed
 * process can be told from a live one. Every consumer of the Kafka transport carries this
 * process's {@link RunTag} in the user data of its group metadata, which the broker shows to
 * anyone allowed to describe the group: any agent of the group. So the tag says only what another
 * process needs, and nothing of where this one runs:
 *
 * - `run`: a random id of this run; `pid`, and `start`, when the process started (process_facts.ts),
 *   so that a pid the system gave to another process since is not taken for this one;
 * - `place`: a keyed hash of this host's name and PID namespace under this boot's id. The boot's id
 *   never leaves the host, so only a process of the same host, boot and PID namespace computes the
 *   same value, and only there do `pid` and `start` name a process one can look at;
 * - for an agent, `home`: a keyed hash of the host and the home's identity (`dev:ino`) under a
 *   random secret kept in the home (`run/tag-key`, 0600), and `dir`, its run folder's name
 *   (core/agent/run_dir.ts, locked by its process for as long as it lives).
 *
 * A member is {@link leftBehind} only when this process can prove its process gone: the same
 * home and nobody holds its run folder's lock; or the same place and its pid runs no more, or
 * runs a process that started at another time (or is this process). Everything else (another
 * host, no tag, a foreign client's metadata, nothing this process may read) counts as live: the
 * check fails closed. Host names and pids in messages come from this process's own knowledge,
 * never from a tag: a member of this place runs on this host.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import { join } from "node:path";
import { type ProcessFacts, processFacts } from "./process_facts.ts";

/** What a consumer's group metadata says of its process. */
export interface RunTag {
  /** Random per process: tells this run from an earlier one that had the same pid. */
  readonly run: string;
  readonly pid: number;
  /** When the process started (process_facts.ts), absent where it cannot be read. */
  readonly start?: string;
  /** Keyed hash of host, boot and PID namespace; absent where they cannot be read. */
  readonly place?: string;
  /** Keyed hash of the agent's home on this host, and its run folder's name there. */
  readonly home?: string;
  readonly dir?: string;
}

/** This process as it knows itself: its tag, and what the tag hides (its host and home). */
export interface ThisRun {
  readonly tag: RunTag;
  readonly host: string;
  /** The agent's home, when its consumers name a run folder there. */
  readonly home?: string;
}

/** An agent's run folder (core/agent/run_dir.ts), and how to tell whether one's process lives. */
export interface RunFolder {
  readonly home: string;
  readonly name: string;
  alive(home: string, name: string): Promise<boolean>;
}

const MARK = "kafclaw-run/2:";
/** The most bytes of user data read as a tag: ours are about 200. */
const MAX_BYTES = 1024;
const KEY_FILE = "tag-key";

let self: Omit<ThisRun, "home"> | null | undefined;

/** This process's tag, with `folder` when given; undefined when the host name cannot be read. */
export function thisRun(folder?: Pick<RunFolder, "home" | "name">): ThisRun | undefined {
  self ??= readSelf(processFacts());
  if (self === null) return undefined;
  const home = folder === undefined ? undefined : readOr(() => homeKey(folder.home, self!.host));
  if (folder === undefined || home === undefined) return self;
  return { ...self, tag: { ...self.tag, home, dir: folder.name }, home: folder.home };
}

function readSelf(facts: ProcessFacts): Omit<ThisRun, "home"> | null {
  const host = readOr(() => Deno.hostname());
  if (host === undefined) return null;
  const start = facts.processStart(Deno.pid) ?? undefined;
  const place = placeKey(host, facts);
  return {
    host,
    tag: {
      run: crypto.randomUUID(),
      pid: Deno.pid,
      ...(start === undefined ? {} : { start }),
      ...(place === undefined ? {} : { place }),
    },
  };
}

/** The hash only a process of this host, boot and PID namespace computes. */
export function placeKey(host: string, facts: ProcessFacts): string | undefined {
  const boot = facts.bootId();
  const ns = facts.pidNamespace();
  if (boot === undefined || ns === undefined) return undefined;
  return keyed(boot, ["place", host, ns]);
}

/** The hash only a process of this host seeing this home computes; makes the home's secret. */
export function homeKey(home: string, host: string): string {
  const { dev, ino } = Deno.statSync(home);
  return keyed(homeSecret(home), ["home", host, `${dev}:${ino}`]);
}

function keyed(key: string | Uint8Array, parts: readonly string[]): string {
  return createHmac("sha256", key).update(parts.join("\0")).digest("base64url").slice(0, 22);
}

/** The home's random secret, made once (0600; a second process racing to make it takes the first's). */
function homeSecret(home: string): Uint8Array {
  const folder = join(home, "run");
  const path = join(folder, KEY_FILE);
  const existing = readOr(() => Deno.readFileSync(path));
  if (existing !== undefined && existing.length >= 16) return existing;
  Deno.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const temp = join(folder, `.${KEY_FILE}.${crypto.randomUUID()}`);
  Deno.writeFileSync(temp, new TextEncoder().encode(randomBytes(32).toString("hex")), {
    createNew: true,
    mode: 0o600,
  });
  try {
    // Written whole before it takes its name; a name already taken keeps its secret.
    Deno.linkSync(temp, path);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  } finally {
    Deno.removeSync(temp);
  }
  const made = Deno.readFileSync(path);
  if (made.length < 16) throw new Error(`Cannot use ${path}: it is not a key`);
  return made;
}

function readOr<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The bytes of `tag` for a member's user data (empty without a tag). */
export function encodeRunTag(tag: RunTag | undefined): Uint8Array {
  return tag === undefined
    ? new Uint8Array()
    : new TextEncoder().encode(MARK + JSON.stringify(tag));
}

/** What each optional field of a tag may hold; anything else and the tag is no tag. */
const FIELDS = {
  start: /^[0-9.]{1,32}$/,
  place: /^[A-Za-z0-9_-]{1,64}$/,
  home: /^[A-Za-z0-9_-]{1,64}$/,
  dir: /^sandbox-[A-Za-z0-9_]{1,64}$/,
} as const;

/**
 * The tag in a member's user data, if it holds one. User data is another client's to fill (a
 * Python or Go member's holds anything, or nothing): whatever is not a tag of ours is no tag,
 * never an error.
 */
export function decodeRunTag(bytes: Uint8Array | null | undefined): RunTag | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_BYTES) return undefined;
  const text = readOr(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  if (text === undefined || !text.startsWith(MARK)) return undefined;
  const v: unknown = readOr(() => JSON.parse(text.slice(MARK.length)));
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const { run, pid } = v as Record<string, unknown>;
  if (typeof run !== "string" || !/^[A-Za-z0-9-]{1,64}$/.test(run)) return undefined;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || (pid as number) > 0x7fffffff) {
    return undefined;
  }
  const tag: Record<string, unknown> = { run, pid };
  for (const [field, shape] of Object.entries(FIELDS)) {
    const value = Object.hasOwn(v, field) ? (v as Record<string, unknown>)[field] : undefined;
    if (value === undefined) continue;
    if (typeof value !== "string" || !shape.test(value)) return undefined;
    tag[field] = value;
  }
  return tag as unknown as RunTag;
}

/** How {@link leftBehind} learns whether a run lives; the real checks by default. */
export interface Liveness {
  /** Whether the process of run folder `name` in `home` lives (absent: cannot tell). */
  readonly folderAlive?: (home: string, name: string) => Promise<boolean>;
  /** When a pid of this place started; null: it runs no more (process_facts.ts). */
  readonly processStart?: (pid: number) => string | null | undefined;
}

/** Whether a member tagged `tag` is of this host (so `me.host` names where it runs). */
export function sameHost(tag: RunTag | undefined, me: ThisRun | undefined): boolean {
  if (tag === undefined || me === undefined) return false;
  return (tag.place !== undefined && tag.place === me.tag.place) ||
    (tag.home !== undefined && tag.home === me.tag.home);
}

/**
 * Whether a member tagged `tag` was left by a process that is gone, as seen from the process
 * `me`; see the module documentation.
 */
export async function leftBehind(
  tag: RunTag | undefined,
  me: ThisRun | undefined,
  live: Liveness = {},
): Promise<boolean> {
  if (tag === undefined || me === undefined || tag.run === me.tag.run) return false;
  if (
    tag.home !== undefined && tag.dir !== undefined && tag.home === me.tag.home &&
    me.home !== undefined && live.folderAlive !== undefined
  ) {
    return !await live.folderAlive(me.home, tag.dir).catch(() => true);
  }
  if (tag.place === undefined || tag.place !== me.tag.place) return false;
  // This very pid, in another run: that run has ended.
  if (tag.pid === me.tag.pid) return true;
  const start = (live.processStart ?? ((pid) => processFacts().processStart(pid)))(tag.pid);
  if (start === undefined) return false;
  if (start === null) return true;
  // The pid runs: the same process only if it started when the tag says.
  return tag.start !== undefined && start !== tag.start;
}
