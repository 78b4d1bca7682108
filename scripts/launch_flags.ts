/**
 * The Deno permission flags for a `kafclaw` command line: the subcommand's set from
 * core/permissions, narrowed to this user's KAFCLAW_HOME and the configured workspace, and read
 * access to KafClaw's own code ({@link CODE_FOLDERS}).
 * scripts/kafclaw runs it when its cache of these flags cannot be used, then runs main.ts with
 * exactly them. It prints the configuration file it read on the first line (the launcher keys its
 * cache on that file), then one flag a line.
 *
 * What the flags depend on is kept small on purpose, so that the launcher can key its cache on
 * all of it: the first word of the command line; HOME, KAFCLAW_HOME and KAFCLAW_PATHS_WORKSPACE
 * (or MIKROBOT_PATHS_WORKSPACE); config.json; the Deno that runs this script; the checkout. The
 * workspace is read without the config schema (zod and croner would double the time this takes),
 * so this script enters core/config through paths.ts, not mod.ts. A config that is invalid
 * elsewhere still names its workspace here; main.ts then reports what is wrong with it.
 *
 * @module
 */
import { configFile, type Env, resolveHome, workspaceOf } from "../core/config/paths.ts";
import {
  denoFlags,
  narrowSet,
  PERMISSION_SETS,
  permissionSetFor,
  unionOf,
} from "../core/permissions/mod.ts";

/**
 * The folders of KafClaw's code. scripts/kafclaw runs main.ts with lazy dynamic imports, so that
 * Deno reads only the modules a command uses (otherwise it reads and resolves every module that
 * any `import()` names before main.ts starts); a module loaded that way needs read access.
 */
export const CODE_FOLDERS = ["cli", "core", "web", "channels", "kshark"] as const;

/** The flags of a command line, and the configuration file they were computed from. */
export interface LaunchFlags {
  readonly config: string;
  readonly flags: readonly string[];
}

/**
 * Computes the flags. `readConfig` gives config.json's text, undefined when it does not exist,
 * and throws when it cannot be read; `deno` is the Deno binary that will run main.ts.
 */
export function launchFlags(
  argv: readonly string[],
  options: {
    env: Env;
    readConfig: (path: string) => string | undefined;
    deno: string;
    /** The checkout that holds main.ts. */
    root: string;
  },
): LaunchFlags {
  const { env } = options;
  let home: string;
  let extra: string[] = [];
  try {
    home = resolveHome(env);
    extra = outsideHome(home, options);
  } catch {
    // main.ts reports a bad KAFCLAW_HOME properly; the flags only need to be safe.
    home = `${env.HOME ?? "."}/.kafclaw`;
  }
  const set = narrowSet(PERMISSION_SETS[permissionSetFor(argv)], {
    home,
    extraRead: extra,
    extraWrite: extra,
    deno: options.deno,
  });
  const code = { read: CODE_FOLDERS.map((folder) => `${options.root}/${folder}`) };
  return { config: configFile(home), flags: denoFlags(unionOf([set, code])) };
}

/** The configured workspace when it is outside KAFCLAW_HOME (which the set grants anyway). */
function outsideHome(
  home: string,
  options: { env: Env; readConfig: (path: string) => string | undefined },
): string[] {
  let file: unknown;
  try {
    const text = options.readConfig(configFile(home));
    file = text === undefined ? undefined : JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    // An unreadable or invalid config.json: main.ts will say what is wrong; no workspace needed.
    return [];
  }
  const workspace = workspaceOf(home, options.env, file);
  return workspace === undefined || workspace.startsWith(`${home}/`) ? [] : [workspace];
}

if (import.meta.main) {
  const argv = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
  const { config, flags } = launchFlags(argv, {
    env: Deno.env.toObject(),
    readConfig(path) {
      try {
        return Deno.readTextFileSync(path);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
    // This script runs under the same Deno as main.ts will (scripts/kafclaw), so its path is that one.
    deno: Deno.execPath(),
    root: new URL("..", import.meta.url).pathname.replace(/\/$/, ""),
  });
  for (const line of [config, ...flags]) console.log(line);
}
