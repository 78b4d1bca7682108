/**
 * The soul files as every turn reads them: kept in memory, and read again from the disk only
 * when a file changed. Each turn lists the folder and looks at each file's inode, size, and
 * modification and change times (synchronous calls of a few microseconds each, no trip through
 * the file thread pool); a file whose look differs from the one it had when it was read is read
 * again, and a file gone is gone from the prompt. So an edit (by the owner's editor, the soul
 * tool, or another process) is in the very next turn, without a restart.
 *
 * A file changed within {@link SETTLE_MS} of when it was read is read again at every turn until
 * it is older than that: a second edit in the same tick of the file system's clock, keeping the
 * size, would otherwise look the same (the rule git uses for its "racily clean" index entries).
 * After that, any change shows: the change time (whole seconds in Deno's file information, and
 * not one a program can set) moves on even when an edit keeps the size and inode and puts the
 * modification time back (`cp -p`, `touch -r`).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { SOUL_FILES, type SoulFile } from "./context.ts";

/** How old a file's last change must be, when it is read, for its look alone to be trusted. */
export const SETTLE_MS = 2000;

interface Known {
  /** Inode, size, modification and change times when it was read. */
  readonly look: string;
  readonly text: string;
  /** Whether its look alone tells a later change (see {@link SETTLE_MS}). */
  readonly settled: boolean;
}

/** A file's inode, size, modification and change times, or undefined when it is not there. */
function lookOf(path: string): { readonly look: string; readonly changedAt: number } | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const modified = info.mtime?.getTime() ?? 0;
  const changed = info.ctime?.getTime() ?? 0;
  return {
    look: `${info.dev}:${info.ino}:${info.size}:${modified}:${changed}`,
    changedAt: Math.max(modified, changed),
  };
}

/**
 * The names in a folder (none when it does not exist: asked with existsSync first, as a thrown
 * and caught NotFound cost a turn far more, in a home without a soul folder).
 */
function namesIn(dir: string): Set<string> {
  if (!existsSync(dir)) return new Set();
  try {
    return new Set(Array.from(Deno.readDirSync(dir), (entry) => entry.name));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Set();
    throw error;
  }
}

/** The soul files of one folder, read again only when changed; see the module documentation. */
export class SoulFiles {
  readonly #dir: string;
  readonly #now: () => number;
  readonly #known = new Map<SoulFile, Known>();
  /** How many files were read from the disk so far (for tests and benchmarks). */
  reads = 0;

  constructor(dir: string, options: { readonly now?: () => number } = {}) {
    this.#dir = dir;
    this.#now = options.now ?? Date.now;
  }

  /** The soul files that exist, in the order of {@link SOUL_FILES}, as they are now. */
  async read(): Promise<Partial<Record<SoulFile, string>>> {
    const names = namesIn(this.#dir);
    const out: Partial<Record<SoulFile, string>> = {};
    const fresh: Promise<void>[] = [];
    for (const name of SOUL_FILES) {
      const path = `${this.#dir}/${name}`;
      const seen = names.has(name) ? lookOf(path) : undefined;
      const known = this.#known.get(name);
      if (seen === undefined) {
        this.#known.delete(name);
        continue;
      }
      if (known?.settled && known.look === seen.look) {
        out[name] = known.text;
        continue;
      }
      // Slot kept in order; filled once read.
      out[name] = "";
      fresh.push(this.#readOne(name, path, seen, out));
    }
    await Promise.all(fresh);
    return out;
  }

  async #readOne(
    name: SoulFile,
    path: string,
    seen: { readonly look: string; readonly changedAt: number },
    out: Partial<Record<SoulFile, string>>,
  ): Promise<void> {
    const settled = this.#now() - seen.changedAt > SETTLE_MS;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      // Removed between its look and its read.
      this.#known.delete(name);
      delete out[name];
      return;
    }
    this.reads++;
    // The look taken before the read: a change during the read differs from it next turn.
    this.#known.set(name, { look: seen.look, text, settled });
    out[name] = text;
  }
}
