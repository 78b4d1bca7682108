/**
 * KAFCLAW_HOME and what lives in it. Everything KafClaw writes is under this one folder
 * (`~/.kafclaw` unless `$KAFCLAW_HOME` says otherwise), so the launcher can narrow the process's
 * file access to it.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "./errors.ts";
import { rawSetting } from "./_env_names.ts";

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

/** The environment variables that set `paths.workspace`, first one set wins (then the legacy name). */
export const WORKSPACE_ENV = ["KAFCLAW_PATHS_WORKSPACE", "MIKROBOT_PATHS_WORKSPACE"] as const;

/** `paths.workspace` when nothing sets it: a folder of KAFCLAW_HOME. */
export const DEFAULT_WORKSPACE = "workspace";

/**
 * The workspace as the configuration resolves it, read without the schema (the launcher's start
 * cannot wait for it): `$KAFCLAW_PATHS_WORKSPACE` (or its legacy name), else the file's
 * `paths.workspace`, else `$KAFCLAW_HOME/workspace`. `file` is config.json's parsed value. Undefined where the schema
 * would refuse the value (not a non-blank string); other keys are not looked at.
 *
 * @example
 * ```ts
 * import { workspaceOf } from "./paths.ts";
 * console.assert(workspaceOf("/h/.kafclaw", {}, {}) === "/h/.kafclaw/workspace");
 * console.assert(workspaceOf("/h/.kafclaw", {}, { paths: { workspace: "/srv/w" } }) === "/srv/w");
 * ```
 */
export function workspaceOf(home: string, env: Env, file: unknown): string | undefined {
  const fromEnv = WORKSPACE_ENV.map((name) => env[name]).find((v) => v?.trim());
  let value: unknown;
  if (fromEnv !== undefined) value = fromEnv;
  else {
    const section = field(file, "paths");
    value = isUnset(section) ? undefined : isObject(section) ? field(section, "workspace") : 0;
    if (isUnset(value)) value = DEFAULT_WORKSPACE;
  }
  if (typeof value !== "string" || value.trim() === "") return undefined;
  return resolvePath(value.trim(), home, env);
}

/** The keys that name a file KafClaw reads (the schema's `path` leaves other than the workspace). */
export const FILE_KEYS = [
  "gateway.tlsCert",
  "gateway.tlsKey",
  "group.kafkaTlsCaFile",
  "group.kafkaTlsCertFile",
  "group.kafkaTlsKeyFile",
  "group.inviteFile",
] as const;

/**
 * The files the configuration names ({@link FILE_KEYS}), resolved as the schema resolves paths,
 * read without the schema: the launcher grants reading them. A value the schema refuses (not a
 * string) names nothing.
 */
export function namedFilesOf(home: string, env: Env, file: unknown): string[] {
  return FILE_KEYS.map((key) => rawSetting(key.split("."), env, file))
    .filter((value): value is string => typeof value === "string" && value.trim() !== "")
    .map((value) => resolvePath(value.trim(), home, env));
}

/**
 * The workspaces that the agents of `agents.list` name, resolved like {@link workspaceOf}, read
 * without the schema: the list from `$KAFCLAW_AGENTS_LIST` (JSON) when set, else from the file.
 * Entries without a string `workspace` name none (theirs is inside KAFCLAW_HOME).
 *
 * @example
 * ```ts
 * import { agentWorkspacesOf } from "./paths.ts";
 * const file = { agents: { list: [{ id: "a" }, { id: "b", workspace: "/srv/b" }] } };
 * console.assert(agentWorkspacesOf("/h", {}, file).join() === "/srv/b");
 * ```
 */
export function agentWorkspacesOf(home: string, env: Env, file: unknown): string[] {
  let list: unknown;
  const fromEnv = env.KAFCLAW_AGENTS_LIST;
  try {
    list = fromEnv?.trim() ? JSON.parse(fromEnv) : field(field(file, "agents"), "list");
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const value = field(entry, "workspace");
    return typeof value === "string" && value.trim() !== ""
      ? [resolvePath(value.trim(), home, env)]
      : [];
  });
}

/** The folders of a KafClaw home that no tool may reach: instructions, keys, conversations. */
const PRIVATE_FOLDERS = ["soul", "identity", "sessions"] as const;

/**
 * Why `workspace` cannot be a workspace of an agent of KAFCLAW_HOME `home` (what the rule expects,
 * for "expected …"), or undefined when it can. Tools write in a workspace, so it may not hold the
 * home (its config.json, keys, soul files, timeline, and the homes of the other agents of
 * agents.list, in `agents/<id>/`), nor lie in a home's soul, identity or sessions folder, nor in
 * an agent's home anywhere but in its `workspace/`.
 *
 * @example
 * ```ts
 * import { workspaceProblem } from "./paths.ts";
 * console.assert(workspaceProblem("/h/.kafclaw/workspace", "/h/.kafclaw") === undefined);
 * console.assert(workspaceProblem("/h", "/h/.kafclaw") !== undefined);
 * console.assert(workspaceProblem("/h/.kafclaw/agents/b/soul", "/h/.kafclaw") !== undefined);
 * ```
 */
export function workspaceProblem(workspace: string, home: string): string | undefined {
  const within = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
  const rule = "a folder that neither holds KAFCLAW_HOME nor lies in its soul, identity, " +
    "sessions or agents' homes (tools write in it)";
  if (within(home, workspace)) return rule;
  const agents = join(home, "agents");
  const [id, folder] = within(workspace, agents)
    ? workspace.slice(agents.length + 1).split("/")
    : [undefined, undefined];
  const homeOf = id === undefined ? home : join(agents, id);
  if (PRIVATE_FOLDERS.some((name) => within(workspace, join(homeOf, name)))) return rule;
  return id !== undefined && folder !== "workspace" ? rule : undefined;
}

const isUnset = (value: unknown) => value === undefined || value === null || value === "";
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const field = (value: unknown, name: string) =>
  isObject(value) && Object.hasOwn(value, name) ? value[name] : undefined;

/** The configuration file of a KAFCLAW_HOME. */
export function configFile(home: string): string {
  return join(home, "config.json");
}

/**
 * The folder of a KAFCLAW_HOME where `kafclaw kshark` keeps its latest reports (an HTML page and
 * the JSON of each run), which the gateway's dashboard shows.
 */
export function ksharkReportsDir(home: string): string {
  return join(home, "kshark");
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
