/**
 * The I/O edge: reading config.json, writing it atomically (a 0600 temporary file in the same
 * folder, fsync, rename), and loading the configuration. The file system is a small port so tests
 * can make a write fail half-way.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { ConfigError } from "./errors.ts";
import { configFile, type Env, resolveHome } from "./paths.ts";
import {
  type ConfigFileLayer,
  parseConfigFile,
  type ResolvedConfig,
  resolvePrepared,
} from "./resolve.ts";

/** The file operations configuration needs. */
export interface ConfigFs {
  /** The file's text; throws Deno.errors.NotFound when it does not exist. */
  readTextFile(path: string): Promise<string>;
  /** The file's permission bits, or null where the system has none. */
  mode(path: string): Promise<number | null>;
  /** The path with symlinks resolved; throws Deno.errors.NotFound when it does not exist. */
  realPath(path: string): Promise<string>;
  /** Creates a folder (and its parents) with the given mode, unless it exists. */
  ensureDir(path: string, mode: number): Promise<void>;
  /** Creates a new file (failing if it exists) with exactly `mode`, writes `data`, fsyncs. */
  writeNewFile(path: string, data: Uint8Array, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Makes a rename in the folder durable (fsync of the folder), where the system allows. */
  syncDir(path: string): Promise<void>;
}

/** The real file system. */
export const denoFs: ConfigFs = {
  readTextFile: (path) => Deno.readTextFile(path),
  mode: async (path) => (await Deno.stat(path)).mode,
  realPath: (path) => Deno.realPath(path),
  async ensureDir(path, mode) {
    try {
      await Deno.stat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.mkdir(path, { recursive: true, mode });
      await Deno.chmod(path, mode);
    }
  },
  async writeNewFile(path, data, mode) {
    using file = await Deno.open(path, { write: true, createNew: true, mode });
    await Deno.chmod(path, mode);
    for (let written = 0; written < data.length;) {
      written += await file.write(data.subarray(written));
    }
    await file.sync();
  },
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
  async syncDir(path) {
    using dir = await Deno.open(path, { read: true });
    await dir.sync();
  },
};

/** Reads and parses a configuration file; undefined when it does not exist. */
export async function readConfigFile(
  path: string,
  options: { readonly fs?: ConfigFs } = {},
): Promise<ConfigFileLayer | undefined> {
  const fs = options.fs ?? denoFs;
  let text: string;
  try {
    text = await fs.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  return parseConfigFile(path, text, await fs.mode(path));
}

/**
 * Writes a configuration file atomically: KAFCLAW_HOME is created 0700 if missing; the JSON goes
 * to a temporary 0600 file in the same folder, is fsynced and renamed over the file (over the
 * target of a symlink). If anything fails, the old file is left as it was and the error is thrown.
 */
export async function writeConfigFile(
  path: string,
  value: unknown,
  options: { readonly fs?: ConfigFs } = {},
): Promise<void> {
  const fs = options.fs ?? denoFs;
  await fs.ensureDir(dirname(path), 0o700);
  let target = path;
  try {
    target = await fs.realPath(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const folder = dirname(target);
  const temp = join(folder, `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const data = new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n");
  try {
    await fs.writeNewFile(temp, data, 0o600);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.remove(temp).catch(() => {});
    throw error;
  }
  await fs.syncDir(folder).catch(() => {});
}

/** Where to load the configuration from. */
export interface LoadConfigOptions {
  /** The environment to take settings from (the caller passes the process's). */
  readonly env: Env;
  /** KAFCLAW_HOME; default from the environment (see resolveHome). */
  readonly home?: string;
  readonly fs?: ConfigFs;
}

/**
 * Loads the configuration: environment > `$KAFCLAW_HOME/config.json` > defaults. Throws
 * ConfigError when the file cannot be read or parsed, or a value is invalid.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./file.ts";
 * const home = await Deno.makeTempDir();
 * const config = await loadConfig({ env: { KAFCLAW_HOME: home, KAFCLAW_GATEWAY_PORT: "18800" } });
 * console.assert(config.gateway.port === 18800);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function loadConfig(options: LoadConfigOptions): Promise<ResolvedConfig> {
  const home = options.home ?? resolveHome(options.env);
  const file = await readConfigFile(configFile(home), options);
  return await resolvePrepared({ home, env: options.env, file });
}
