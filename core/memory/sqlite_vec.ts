/**
 * Finding and loading sqlite-vec, the SQLite extension behind the vector index.
 *
 * The library comes from npm: `sqlite-vec` (pinned in deno.json) depends on one package per
 * platform (`sqlite-vec-linux-x64` and so on) holding `vec0.so`, `vec0.dylib` or `vec0.dll`, and
 * its `getLoadablePath()` resolves that file through `import.meta.resolve`, which in Deno points
 * into the npm cache (`$DENO_DIR/npm/registry.npmjs.org/sqlite-vec-linux-x64/0.1.9/vec0.so`) or a
 * `node_modules` folder. Inside a binary made by `deno compile` that path is in the binary's
 * embedded file system, which SQLite's loader cannot open; then the library is copied once into
 * `extractDir` and loaded from there.
 *
 * Loading needs a connection opened with extensions allowed, which needs `--allow-ffi`. Whatever
 * fails, the loader records why and memory works by keywords alone: it never throws.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { basename, join } from "node:path";
import { getLoadablePath } from "sqlite-vec";

/** The sqlite-vec release pinned in deno.json. */
export const SQLITE_VEC_VERSION = "0.1.9";

/** Whether vectors can be searched on a connection, and if not, why. */
export interface VectorSupport {
  readonly available: boolean;
  /** The library that was loaded. */
  readonly path?: string;
  /** Why vectors are unavailable, as a sentence for status output. */
  readonly reason?: string;
}

/** Options of {@link SqliteVecLoader}. */
export interface SqliteVecOptions {
  /**
   * Finds the vec0 library (default {@link sqliteVecPath}, the one from npm); it may throw when
   * there is none for this platform.
   */
  readonly locate?: () => string;
  /** Where to copy the library when it cannot be loaded where it is (a compiled binary). */
  readonly extractDir?: string;
}

/**
 * The path of the platform's vec0 library from npm. Throws an Error naming the platform when
 * sqlite-vec has no build for it.
 */
export function sqliteVecPath(): string {
  return getLoadablePath();
}

/** Whether this process may load native code (`--allow-ffi`), which extensions need. */
export function ffiGranted(): boolean {
  return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}

function message(error: unknown): string {
  return (error as Error).message;
}

/**
 * Loads sqlite-vec into connections as {@link Timeline.open}'s `extensions` hook and remembers
 * how that went.
 *
 * @example
 * ```ts
 * import { Timeline } from "../timeline/mod.ts";
 * import { SqliteVecLoader } from "./sqlite_vec.ts";
 * const loader = new SqliteVecLoader();
 * const timeline = Timeline.open(":memory:", { extensions: (db) => loader.load(db) });
 * console.assert(loader.status.available === (timeline.memory.vectors.version() !== undefined));
 * timeline.close();
 * ```
 */
export class SqliteVecLoader {
  readonly #options: SqliteVecOptions;
  #status: VectorSupport = { available: false, reason: "sqlite-vec was not loaded" };

  constructor(options: SqliteVecOptions = {}) {
    this.#options = options;
  }

  /** How the last {@link load} went. */
  get status(): VectorSupport {
    return this.#status;
  }

  /** Loads the library into `db`; records the outcome instead of throwing. */
  load(db: DatabaseSync): void {
    let path: string;
    try {
      path = (this.#options.locate ?? sqliteVecPath)();
    } catch (error) {
      this.#status = { available: false, reason: `sqlite-vec is not available: ${message(error)}` };
      return;
    }
    let failure: string;
    try {
      db.loadExtension(path);
      this.#status = { available: true, path };
      return;
    } catch (error) {
      failure = `Cannot load sqlite-vec from ${path}: ${message(error)}`;
    }
    if (this.#options.extractDir !== undefined) {
      try {
        const copy = extract(path, this.#options.extractDir);
        db.loadExtension(copy);
        this.#status = { available: true, path: copy };
        return;
      } catch (error) {
        failure += `; nor from a copy in ${this.#options.extractDir}: ${message(error)}`;
      }
    }
    this.#status = { available: false, reason: failure };
  }
}

/**
 * Copies the library into `dir/sqlite-vec-<version>/` (0700) unless a copy of its size is there;
 * returns its path. The file keeps its name: SQLite finds the entry point (`sqlite3_vec_init`)
 * from it.
 */
function extract(path: string, dir: string): string {
  const bytes = Deno.readFileSync(path);
  const folder = join(dir, `sqlite-vec-${SQLITE_VEC_VERSION}`);
  const target = join(folder, basename(path));
  Deno.mkdirSync(folder, { recursive: true, mode: 0o700 });
  let size = -1;
  try {
    size = Deno.statSync(target).size;
  } catch {
    // not extracted yet
  }
  if (size !== bytes.length) Deno.writeFileSync(target, bytes, { mode: 0o700 });
  return target;
}
