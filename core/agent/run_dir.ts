/**
 * The run folder of one agent process: `$KAFCLAW_HOME/run/sandbox-*`, where its sandbox keeps its
 * state. The process holds a lock on the folder's `.alive` file for as long as it lives; the kernel
 * drops the lock when the process ends, however it ends (kill -9 included). So another process
 * can tell a live neighbour from one that died without cleaning up: {@link sweepRunDirs} removes
 * the folders of dead ones at start, and a session lease held by a dead one is taken over at once.
 *
 * @module
 */
import { join } from "node:path";

const PREFIX = "sandbox-";
const NAME = /^sandbox-[A-Za-z0-9_]+$/;
const ALIVE = ".alive";

/** The run folder of this process; {@link RunDir.close} removes it. */
export class RunDir implements AsyncDisposable {
  /** Its path. */
  readonly path: string;
  /** Its name under `run/`, which names this process to others (see {@link runDirAlive}). */
  readonly name: string;
  readonly #lock: Deno.FsFile;

  private constructor(path: string, name: string, lock: Deno.FsFile) {
    this.path = path;
    this.name = name;
    this.#lock = lock;
  }

  /** Makes a new run folder under `home/run` and holds its lock. */
  static async claim(home: string): Promise<RunDir> {
    const run = join(home, "run");
    await Deno.mkdir(run, { recursive: true, mode: 0o700 });
    const path = await Deno.makeTempDir({ dir: run, prefix: PREFIX });
    try {
      // Locked before it takes its name, so `.alive` is never seen unlocked while we live.
      const temp = join(path, `${ALIVE}.new`);
      const lock = await Deno.open(temp, { create: true, write: true, mode: 0o600 });
      try {
        await lock.lock(true);
        await Deno.rename(temp, join(path, ALIVE));
      } catch (error) {
        lock.close();
        throw error;
      }
      return new RunDir(path, path.slice(run.length + 1), lock);
    } catch (error) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** Removes the folder and lets the lock go. */
  async close(): Promise<void> {
    await Deno.remove(this.path, { recursive: true }).catch(() => {});
    try {
      this.#lock.close();
    } catch {
      // Already closed.
    }
  }

  /** See {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Whether the process that owns run folder `name` lives. A name that is not a run folder's is
 * taken as alive (nothing can be known of it); a folder that is gone, or whose `.alive` nobody
 * holds, is dead. A folder still without `.alive` is being made, unless older than `graceMs`.
 */
export async function runDirAlive(
  home: string,
  name: string,
  options: { readonly graceMs?: number } = {},
): Promise<boolean> {
  if (!NAME.test(name)) return true;
  const path = join(home, "run", name);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(path, ALIVE), { read: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    try {
      const made = (await Deno.stat(path)).mtime?.getTime() ?? 0;
      return Date.now() - made < (options.graceMs ?? 60_000);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }
  try {
    return !await file.tryLock(true);
  } finally {
    file.close();
  }
}

/**
 * Removes the run folders under `home/run` whose processes are dead, and returns their names.
 * Folders of live processes are left alone.
 */
export async function sweepRunDirs(home: string): Promise<string[]> {
  const run = join(home, "run");
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(run));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return removed;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !NAME.test(entry.name)) continue;
    if (await runDirAlive(home, entry.name)) continue;
    await Deno.remove(join(run, entry.name), { recursive: true }).catch(() => {});
    removed.push(entry.name);
  }
  return removed.sort();
}
