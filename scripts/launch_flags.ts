/**
 * The Deno permission flags for a `kafclaw` command line: the subcommand's set from
 * core/permissions, narrowed to this user's KAFCLAW_HOME and the configured workspace, and read
 * access to KafClaw's own code ({@link CODE_FOLDERS}), and reading the files config names (TLS
 * certificates, an invite file) wherever they are. A headless gateway (`gateway --mode
 * headless`, or a non-loopback `gateway.host`) is narrowed further: its network to its ports, the
 * brokers and the LLM and channel hosts (core/config/network.ts), its files to KAFCLAW_HOME even
 * when the workspace or a named file is elsewhere.
 * scripts/kafclaw runs it when its cache of these flags cannot be used, then runs main.ts with
 * exactly them. It prints the configuration file it read on the first line (the launcher keys its
 * cache on that file), the names of the environment variables it read on the second (the
 * launcher keys its cache on their values; `*` when it read the whole environment, which no
 * cache can key on), then one flag a line.
 *
 * What the flags depend on is kept small on purpose, so that the launcher can key its cache on
 * all of it: the command's first word and its `--mode`; the environment variables it reads, which
 * it records as it reads them; config.json and mcp.json; the Deno that runs this script; the
 * checkout. config.json is read without the config schema (zod and croner would double the time
 * this takes), so this script enters core/config through paths.ts and network.ts, not mod.ts. A
 * config that is invalid elsewhere still names its workspace and hosts here; main.ts then reports
 * what is wrong with it. mcp.json is read the same way ({@link mcpNeeds}).
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import {
  configFile,
  type Env,
  namedFilesOf,
  resolveHome,
  workspaceOf,
} from "../core/config/paths.ts";
import { gatewayNetwork } from "../core/config/network.ts";
import {
  denoFlags,
  MCP_ACCESS,
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

/** The flags of a command line, the configuration file and the environment they came from. */
export interface LaunchFlags {
  readonly config: string;
  /** The environment variables read, sorted; `["*"]` when the whole environment was. */
  readonly env: readonly string[];
  readonly flags: readonly string[];
}

/**
 * Computes the flags. `readConfig` gives the text of a file of KAFCLAW_HOME (config.json,
 * mcp.json), undefined when it does not exist, and throws when it cannot be read; `deno` is the
 * Deno binary that will run main.ts.
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
  const { env, read } = recording(options.env);
  const subcommand = permissionSetFor(argv);
  const access = subcommand === "help" ? undefined : MCP_ACCESS[subcommand];
  let home: string;
  let file: unknown;
  let mcp: McpNeeds = { read: [], run: [] };
  try {
    home = resolveHome(env);
    file = configValue(configFile(home), options);
    if (access !== undefined) mcp = mcpNeeds(readQuietly(join(home, "mcp.json"), options));
  } catch {
    // main.ts reports a bad KAFCLAW_HOME properly; the flags only need to be safe.
    home = `${env.HOME ?? "."}/.kafclaw`;
  }
  const done = (flags: string[]) => ({ config: configFile(home), env: read(), flags });
  const inside = (path: string) => path === home || path.startsWith(`${home}/`);
  // onboard asks for the workspace at a prompt, and kshark reads and writes the files its command
  // line names; both may be anywhere: their file access cannot be known before they start, so
  // they keep their sets' whole-disk read and write.
  if (subcommand === "onboard" || subcommand === "kshark") {
    return done(denoFlags(PERMISSION_SETS[subcommand]));
  }
  const network = subcommand === "gateway"
    ? gatewayNetwork({ mode: modeOf(argv), env, file })
    : undefined;
  const locked = network?.headless === true;
  // A headless gateway keeps to KAFCLAW_HOME: a workspace elsewhere is refused as it starts, and
  // a file config names elsewhere (a CA certificate) with a line that says so.
  const extra = locked ? [] : outsideHome(home, env, file);
  const named = locked ? [] : namedFilesOf(home, env, file).filter((path) => !inside(path));
  const set = narrowSet(PERMISSION_SETS[subcommand], {
    home,
    extraRead: [...extra, ...named, ...mcp.read.filter((path) => !inside(path))],
    extraWrite: extra,
    ...(access === "run" ? { extraRun: mcp.run } : {}),
    ...(locked ? { net: [...network.listen, ...network.connect] } : {}),
    deno: options.deno,
  });
  const code = { read: CODE_FOLDERS.map((folder) => `${options.root}/${folder}`) };
  return done(denoFlags(unionOf([set, code])));
}

/**
 * The value of the last `--mode` of a command line (`--mode headless` or `--mode=headless`), as
 * the gateway's option parser takes it; undefined when there is none.
 */
export function modeOf(argv: readonly string[]): string | undefined {
  let mode: string | undefined;
  for (const [i, arg] of argv.entries()) {
    if (arg === "--") break;
    if (arg === "--mode") mode = argv[i + 1];
    else if (arg.startsWith("--mode=")) mode = arg.slice("--mode=".length);
  }
  return mode;
}

/**
 * `env` as a view that records the names read through it, and a function that returns them
 * sorted (`["*"]` once anything listed or enumerated the whole environment).
 */
function recording(source: Env): { env: Env; read: () => string[] } {
  const names = new Set<string>();
  let all = false;
  const env = new Proxy({ ...source }, {
    get(target, name) {
      if (typeof name === "string") names.add(name);
      return Reflect.get(target, name);
    },
    has(target, name) {
      if (typeof name === "string") names.add(name);
      return Reflect.has(target, name);
    },
    getOwnPropertyDescriptor(target, name) {
      if (typeof name === "string") names.add(name);
      return Reflect.getOwnPropertyDescriptor(target, name);
    },
    ownKeys(target) {
      all = true;
      return Reflect.ownKeys(target);
    },
  });
  return { env, read: () => all ? ["*"] : [...names].sort() };
}

/** config.json's parsed value; undefined when it does not exist, cannot be read or is no JSON. */
function configValue(
  path: string,
  options: { readConfig: (path: string) => string | undefined },
): unknown {
  try {
    const text = options.readConfig(path);
    return text === undefined ? undefined : JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    // An unreadable or invalid config.json: main.ts will say what is wrong; nothing is granted.
    return undefined;
  }
}

/** The configured workspace when it is outside KAFCLAW_HOME (which the set grants anyway). */
function outsideHome(home: string, env: Env, file: unknown): string[] {
  const workspace = workspaceOf(home, env, file);
  return workspace === undefined || workspace.startsWith(`${home}/`) ? [] : [workspace];
}

/** What the stdio MCP servers of mcp.json need of the process that starts them. */
export interface McpNeeds {
  /** Absolute paths to read: commands, and the servers' `read` and `write` grants. */
  readonly read: readonly string[];
  /** Commands to run: those of the servers marked `unsandboxed`. */
  readonly run: readonly string[];
}

/** No control character and no comma (Deno's flags separate their values with commas). */
const FLAG_VALUE = /^[^,\p{Cc}]+$/u;

/** An absolute path, normalised, that a flag can carry; undefined for anything else and `/`. */
function hostPath(value: unknown): string | undefined {
  if (typeof value !== "string" || !isAbsolute(value) || !FLAG_VALUE.test(value)) return undefined;
  const path = resolve(value);
  return path === "/" ? undefined : path;
}

/** A command to run: a bare name (looked up on PATH) or a host path. */
function runnable(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (value.includes("/")) return hostPath(value);
  return FLAG_VALUE.test(value) && value !== "." && value !== ".." ? value : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a server's settings are a stdio server's, as core/tools/mcp reads them. */
function isStdio(server: Record<string, unknown>): boolean {
  if (server.transport !== undefined) return server.transport === "stdio";
  if (server.type !== undefined) return server.type === "stdio";
  return "command" in server;
}

/**
 * What the stdio servers of mcp.json (its text, undefined when there is none) need of the process
 * that starts them, read without the schema: the absolute paths the file names for each enabled
 * server (its command and its `read` and `write` grants: the sandbox checks and binds them) and
 * the commands of the servers marked `unsandboxed` (started directly). Only what the file names:
 * a value the schema or the sandbox refuses (a relative path, `/`) is left out, and so is one a
 * flag cannot carry (a comma or a control character in it); such a server then fails to start
 * with an error that says why. A file that is not JSON adds nothing: main.ts says what is wrong.
 */
export function mcpNeeds(text: string | undefined): McpNeeds {
  let servers: unknown;
  try {
    servers = text === undefined ? undefined : JSON.parse(text)?.mcpServers;
  } catch {
    return { read: [], run: [] };
  }
  const read = new Set<string>();
  const run = new Set<string>();
  for (const server of isObject(servers) ? Object.values(servers) : []) {
    if (!isObject(server) || !isStdio(server) || server.enabled === false) continue;
    const paths = [
      server.command,
      ...[server.read, server.write].flatMap((list) => Array.isArray(list) ? list : []),
    ];
    for (const path of paths.map(hostPath)) if (path !== undefined) read.add(path);
    const command = server.unsandboxed === true ? runnable(server.command) : undefined;
    if (command !== undefined) run.add(command);
  }
  return { read: [...read], run: [...run] };
}

/** A file's text, undefined when it does not exist or cannot be read. */
function readQuietly(
  path: string,
  options: { readConfig: (path: string) => string | undefined },
): string | undefined {
  try {
    return options.readConfig(path);
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  const argv = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
  const { config, env, flags } = launchFlags(argv, {
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
  for (const line of [config, env.join(" "), ...flags]) console.log(line);
}
