/**
 * KAFCLAW_HOME and what lives in it. Everything KafClaw writes is under this one folder
 * (`~/.kafclaw` unless `$KAFCLAW_HOME` says otherwise), so the launcher can narrow the process's
 * file access to it.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "./errors.ts";

/** The environment as configuration reads it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * KAFCLAW_HOME: `$KAFCLAW_HOME` if set (a leading `~/` means `$HOME/`), else `$HOME/.kafclaw`.
 * Throws ConfigError when it would be a relative path or there is no HOME to start from.
 */
export function resolveHome(env: Env): string {
  const explicit = env.KAFCLAW_HOME?.trim();
  if (explicit) {
    const home = expandTilde(explicit, env);
    if (!isAbsolute(home)) {
      throw new ConfigError(
        `KAFCLAW_HOME must be an absolute path, got ${JSON.stringify(explicit)}`,
      );
    }
    return resolve(home);
  }
  const userHome = env.HOME?.trim();
  if (!userHome) throw new ConfigError("Cannot find the home directory: set KAFCLAW_HOME or HOME");
  return join(userHome, ".kafclaw");
}

function expandTilde(path: string, env: Env): string {
  const userHome = env.HOME?.trim();
  if (userHome && (path === "~" || path.startsWith("~/"))) return join(userHome, path.slice(1));
  return path;
}

/**
 * A configured path made absolute: `~/x` is under HOME, a relative path is under KAFCLAW_HOME.
 */
export function resolvePath(path: string, home: string, env: Env): string {
  const expanded = expandTilde(path, env);
  return isAbsolute(expanded) ? resolve(expanded) : join(home, expanded);
}

/** The configuration file of a KAFCLAW_HOME. */
export function configFile(home: string): string {
  return join(home, "config.json");
}

/** Where KafClaw keeps each kind of thing. */
export interface KafclawPaths {
  /** KAFCLAW_HOME itself (0700). */
  readonly home: string;
  /** `config.json` (0600). */
  readonly config: string;
  /** `timeline.db`, the SQLite database. */
  readonly timeline: string;
  /** `sessions/`, one append-only JSONL file per conversation. */
  readonly sessions: string;
  /** `identity/`, the agent's key pair and certificate. */
  readonly identity: string;
  /** `soul/`, the agent's instruction files (not writable by tools). */
  readonly soul: string;
  /** The agent's workspace, the only place tools write (`paths.workspace`). */
  readonly workspace: string;
}

/**
 * The paths of a resolved configuration.
 *
 * @example
 * ```ts
 * import { paths } from "./paths.ts";
 * const p = paths({ home: "/h/.kafclaw", paths: { workspace: "/h/.kafclaw/workspace" } });
 * console.assert(p.timeline === "/h/.kafclaw/timeline.db");
 * ```
 */
export function paths(
  config: { readonly home: string; readonly paths: { readonly workspace: string } },
): KafclawPaths {
  const home = config.home;
  return {
    home,
    config: configFile(home),
    timeline: join(home, "timeline.db"),
    sessions: join(home, "sessions"),
    identity: join(home, "identity"),
    soul: join(home, "soul"),
    workspace: config.paths.workspace,
  };
}
