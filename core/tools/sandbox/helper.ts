/**
 * How the file helper is started, from source and from a binary made by `deno compile`.
 *
 * From source, `Deno.execPath()` is the Deno CLI: the helper runs as `deno run` with read and
 * write narrowed to the workspace and the helper's whole source as a `data:` URL. A compiled
 * binary does not understand `run`: it is started as `<binary> __kafclaw-fs-helper <config>`, and
 * main.ts, seeing that reserved first argument, runs {@link runFsHelper} instead of the CLI. Its
 * Deno permissions are the compile set, baked in, which cannot be narrowed to a path at spawn
 * time; the helper revokes every grant it does not use (net, env, run, sys, ffi, import) as it
 * starts, and keeps read and write whole. Under bubblewrap that is no loss: the helper's view holds
 * only the workspace and read-only system folders. Without bubblewrap the helper's real-path
 * checks are then the only fence around the workspace (see README.md, "Sandbox").
 *
 * main.ts imports this file directly, not through mod.ts, so that the helper's process loads this
 * file, `_fs_helper.ts` and `paths.ts` only: nothing of the CLI.
 *
 * @module
 */
import { type FsHelperConfig, fsHelperMain, fsHelperUrl } from "./_fs_helper.ts";

/**
 * The reserved first argument that makes main.ts run the file helper. No subcommand may be named
 * so (subcommands are plain words), and it is not a commander command, so `--help` never lists it.
 */
export const FS_HELPER_ARG = "__kafclaw-fs-helper";

/** The executable that runs the file helper, and whether it is kafclaw compiled. */
export interface HelperBinary {
  readonly path: string;
  /**
   * True for kafclaw compiled by `deno compile` (started with {@link FS_HELPER_ARG}), false for
   * the Deno CLI (started with `run` and a `data:` URL).
   */
  readonly compiled: boolean;
}

/** What the running process knows of itself; {@link helperBinary} reads it from Deno. */
export interface SelfFacts {
  readonly execPath: string;
  /** `Deno.build.standalone`: true in a binary made by `deno compile` (Deno 2.x). */
  readonly standalone: boolean;
}

/**
 * Which executable runs the file helper, and how. The rule:
 *
 * - no `path` given (or this process's own executable): `Deno.execPath()`, compiled exactly when
 *   `Deno.build.standalone` says this process is a `deno compile` binary;
 * - another `path` (the `denoPath` sandbox option): the Deno CLI when its file name is `deno` or
 *   `deno.exe`, kafclaw compiled otherwise.
 *
 * @example
 * ```ts
 * import { helperBinary } from "./helper.ts";
 * helperBinary("/usr/local/bin/kafclaw"); // { path: "/usr/local/bin/kafclaw", compiled: true }
 * helperBinary("/home/me/.deno/bin/deno"); // { path: "/home/me/.deno/bin/deno", compiled: false }
 * ```
 */
export function helperBinary(path?: string, self?: SelfFacts): HelperBinary {
  const facts = self ?? { execPath: Deno.execPath(), standalone: Deno.build.standalone };
  if (path === undefined || path === facts.execPath) {
    return { path: facts.execPath, compiled: facts.standalone };
  }
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  return { path, compiled: name !== "deno" && name !== "deno.exe" };
}

/**
 * The argv (program first) that starts the file helper with `config`. `program` is where the
 * helper's binary is as the starter sees it (inside bubblewrap, its bind there).
 *
 * @example
 * ```ts
 * import { FS_HELPER_ARG, helperCommand } from "./helper.ts";
 * const config = { root: "/work", gitGuard: null, maxFileBytes: 1024 };
 * const argv = helperCommand("/kafclaw/deno", { compiled: true, config });
 * // ["/kafclaw/deno", "__kafclaw-fs-helper", '{"root":"/work","gitGuard":null,"maxFileBytes":1024}']
 * ```
 */
export function helperCommand(
  program: string,
  options: { compiled: boolean; config: FsHelperConfig },
): string[] {
  const { config } = options;
  if (options.compiled) return [program, FS_HELPER_ARG, JSON.stringify(config)];
  return [
    program,
    "run",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    "--quiet",
    `--allow-read=${config.root}`,
    `--allow-write=${config.root}`,
    fsHelperUrl(config),
  ];
}

/** Grants the helper never uses; a compiled binary holds them all, so it drops them first. */
const UNUSED_GRANTS = ["net", "env", "run", "sys", "ffi", "import"] as const;

/** The config in `args[0]`, or why it is not one. */
function parseConfig(args: readonly string[]): FsHelperConfig | string {
  let value: unknown;
  try {
    value = JSON.parse(args[0] ?? "");
  } catch {
    return "expected the file helper's config as JSON";
  }
  const config = value as Partial<FsHelperConfig> | null;
  const ok = args.length === 1 && typeof config === "object" && config !== null &&
    typeof config.root === "string" && config.root.startsWith("/") &&
    (config.gitGuard === null || typeof config.gitGuard === "string") &&
    Number.isSafeInteger(config.maxFileBytes) && (config.maxFileBytes as number) > 0;
  return ok ? config as FsHelperConfig : "expected one argument, the file helper's config as JSON";
}

/**
 * The file helper as main.ts runs it after {@link FS_HELPER_ARG}: drops the grants it does not
 * use, then serves requests on stdin until it ends. Returns the exit code: 0 when stdin ended,
 * 2 when `args` is not the config the sandbox passes.
 */
export function runFsHelper(args: readonly string[]): number {
  const config = parseConfig(args);
  if (typeof config === "string") {
    console.error(`kafclaw: ${FS_HELPER_ARG} is started by the sandbox only: ${config}`);
    return 2;
  }
  for (const name of UNUSED_GRANTS) Deno.permissions.revokeSync({ name });
  fsHelperMain(config);
  return 0;
}
