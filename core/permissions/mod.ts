/**
 * The one table of Deno permissions per subcommand. deno.json's "permissions" sets, the launcher
 * (scripts/kafclaw), the compile task and the tests all derive from it; a unit test keeps deno.json
 * identical to what {@link denoJsonPermissions} returns.
 *
 * A set here is static, so paths that depend on the user (KAFCLAW_HOME, the workspace) cannot be
 * named in it: the sets grant the kind of access a subcommand needs, and the launcher narrows
 * them further at start where it can.
 *
 * @module
 */
export { deniedText } from "./denied.ts";

/** One permission as deno.json writes it: all, none, or a list of allowed values. */
export type Grant = boolean | readonly string[];

/** A named Deno permission set, in the shape of deno.json's "permissions" entries. */
export interface PermissionSet {
  readonly read?: Grant;
  readonly write?: Grant;
  readonly net?: Grant;
  readonly env?: Grant;
  readonly run?: Grant;
  readonly sys?: Grant;
  readonly ffi?: Grant;
}

/** Every subcommand of `kafclaw`, in the order `--help` lists them. */
export const SUBCOMMANDS = [
  "agent",
  "gateway",
  "onboard",
  "status",
  "doctor",
  "config",
  "group",
  "zone",
  "task",
  "orchestrator",
  "cron",
  "approvals",
  "pairing",
  "channels",
  "memory",
  "kshark",
  "version",
  "completion",
] as const;

/** A subcommand name. */
export type Subcommand = typeof SUBCOMMANDS[number];

// The building blocks: revocable units, so that a compiled binary (which holds the union) can drop
// whole grants at start for a role that does not need them.
// commander reads these to decide on colours in help output.
const TERMINAL = { env: ["CLICOLOR_FORCE", "FORCE_COLOR", "NO_COLOR"] } as const;
const HOME_FILES = { read: true, write: true, env: true } as const;
const NETWORK = { net: true } as const;
const SANDBOX = { run: ["bwrap", "setpriv", "prlimit"] } as const;
// statfs: the free space on KAFCLAW_HOME's disk; uid: whose config.json it is; osRelease and
// osUptime also tell the sandbox whether the kernel changed or rebooted since it last checked
// bubblewrap.
const HOST_FACTS = {
  sys: ["hostname", "osRelease", "networkInterfaces", "statfs", "uid", "osUptime"],
} as const;

/** The permission set of each subcommand. `help` serves bare `kafclaw`, `--help` and usage errors. */
export const PERMISSION_SETS: Readonly<Record<Subcommand | "help", PermissionSet>> = {
  // Help and completion read the subcommands' descriptions (cli/_command_table.json), not their
  // modules: nothing they load reads more of the environment than commander does.
  help: { ...TERMINAL },
  version: { ...TERMINAL },
  completion: { ...TERMINAL },
  config: { ...HOME_FILES },
  onboard: { ...HOME_FILES, ...NETWORK },
  status: { ...HOME_FILES, ...NETWORK, ...HOST_FACTS },
  doctor: { ...HOME_FILES, ...NETWORK, ...HOST_FACTS, run: ["bwrap", "git"] },
  agent: { ...HOME_FILES, ...NETWORK, ...SANDBOX, ...HOST_FACTS, ffi: true },
  // --open starts the user's browser through the system's opener (xdg-open; open on macOS).
  gateway: {
    ...HOME_FILES,
    ...NETWORK,
    ...HOST_FACTS,
    run: [...SANDBOX.run, "xdg-open", "open"],
    ffi: true,
  },
  // `group join` holds the agent's own consumer group (and the sponsors' group) as a gateway does:
  // its consumers' run tag needs this process's place and start time, which only the C library
  // tells (core/transport process_facts.ts), so that a join or gateway started right after it
  // crashed can prove it gone, and it can prove a crashed gateway gone. `zone` consumes nothing
  // but state topics, each through a group of its own run that no start reclaims: no ffi.
  group: { ...HOME_FILES, ...NETWORK, ...HOST_FACTS, ffi: true },
  zone: { ...HOME_FILES, ...NETWORK, ...HOST_FACTS },
  task: { ...HOME_FILES, ...NETWORK, ...SANDBOX, ...HOST_FACTS, ffi: true },
  // dispatch submits through the task path (a one-shot requester where no gateway runs).
  orchestrator: { ...HOME_FILES, ...NETWORK, ...SANDBOX, ...HOST_FACTS, ffi: true },
  cron: { ...HOME_FILES, ...NETWORK, ...SANDBOX, ...HOST_FACTS, ffi: true },
  approvals: { ...HOME_FILES },
  pairing: { ...HOME_FILES },
  channels: { ...HOME_FILES },
  memory: { ...HOME_FILES, ...NETWORK, ffi: true },
  // kshark reads the files its command line names (--props, the PEMs they name) and writes its
  // reports where told (--json, --html, --junit), anywhere, and keeps each run's report in
  // $KAFCLAW_HOME/kshark/ for the dashboard, so the launcher does not narrow its
  // file access; it needs no host facts and no ffi, and runs a program only for --network-diag.
  kshark: { ...HOME_FILES, ...NETWORK, run: ["tracepath", "traceroute"] },
};

const KEYS = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;

function mergeGrant(a: Grant | undefined, b: Grant | undefined): Grant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === true || b === true) return true;
  if (a === false) return b;
  if (b === false) return a;
  return [...new Set([...a, ...b])].sort();
}

/** The union of several sets: what a compiled binary, which serves every subcommand, must hold. */
export function unionOf(sets: readonly PermissionSet[]): PermissionSet {
  const out: Record<string, Grant> = {};
  for (const key of KEYS) {
    let grant: Grant | undefined;
    for (const set of sets) grant = mergeGrant(grant, set[key]);
    if (grant !== undefined) out[key] = grant;
  }
  return out as PermissionSet;
}

/**
 * The name under which a compiled binary may start itself: without bubblewrap (macOS) the sandbox's
 * file helper is the binary run again with a reserved argument (core/tools/sandbox/helper.ts).
 * Deno resolves the name on PATH when the binary starts, so this holds for a binary installed as
 * `kafclaw` on PATH, as the install instructions say.
 */
export const SELF_COMMAND = "kafclaw";

/**
 * The set `deno compile` bakes into the binary: the union of every subcommand's set, plus starting
 * itself ({@link SELF_COMMAND}).
 */
export const COMPILE_SET: PermissionSet = unionOf([
  ...Object.values(PERMISSION_SETS),
  { run: [SELF_COMMAND] },
]);

/**
 * What the stdio MCP servers of `mcp.json` need of a subcommand's process, which the launcher
 * adds from that file: `run` for the subcommands that start agents (read what the file names, to
 * check and bind it; run the commands of unsandboxed servers), `check` for `doctor` (read only).
 */
export const MCP_ACCESS: Readonly<Partial<Record<Subcommand, "run" | "check">>> = {
  agent: "run",
  gateway: "run",
  cron: "run",
  doctor: "check",
};

/** The set name the launcher passes to `deno run -P=<name>` for an argv. */
export function permissionSetFor(argv: readonly string[]): Subcommand | "help" {
  const first = argv.find((a) => !a.startsWith("-"));
  return (SUBCOMMANDS as readonly string[]).includes(first ?? "") ? first as Subcommand : "help";
}

/** Command-line flags (`--allow-read`, ...) that grant exactly a set. */
export function denoFlags(set: PermissionSet): string[] {
  const flags: string[] = [];
  for (const key of KEYS) {
    const grant = set[key];
    if (grant === undefined || grant === false) continue;
    flags.push(grant === true ? `--allow-${key}` : `--allow-${key}=${grant.join(",")}`);
  }
  return flags;
}

/** The "permissions" object of deno.json: every subcommand's set plus `kafclaw`, the compile set. */
export function denoJsonPermissions(): Record<string, PermissionSet> {
  return { ...PERMISSION_SETS, kafclaw: COMPILE_SET };
}

/**
 * The set the test suite runs under: the compile set plus what only tests do (spawn the CLI under
 * its own sets, kcat, python3 and the broker scripts). CLI end-to-end tests run each subcommand as
 * a child process under that subcommand's exact set.
 */
export const TEST_SET: PermissionSet = unionOf([COMPILE_SET, { run: true, sys: true }]);

/**
 * `bwrap` in each folder of the PATH the sandbox starts it with: a process that starts the
 * sandbox reads which one it is to tell whether bubblewrap still works as it did when it last
 * checked (core/tools/sandbox/probe_cache.ts). {@link narrowSet} grants reading them.
 */
export const SANDBOX_PROBE_READS: readonly string[] = Object.freeze(
  ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    .map((dir) => `${dir}/bwrap`),
);

/** Facts known at start that let the launcher narrow a static set. */
export interface NarrowingFacts {
  /** KAFCLAW_HOME, resolved: the only place the product reads and writes its own files. */
  readonly home: string;
  /** Extra paths a subcommand must read (a kshark properties file, a workspace elsewhere). */
  readonly extraRead?: readonly string[];
  /** Extra paths a subcommand must write (a workspace outside KAFCLAW_HOME). */
  readonly extraWrite?: readonly string[];
  /** Extra commands a subcommand must run (those of unsandboxed MCP servers). */
  readonly extraRun?: readonly string[];
  /**
   * The only addresses (`host:port`) a subcommand may listen on or connect to, when its network
   * is narrowed (a headless gateway: its ports, the brokers, the LLM and channel hosts).
   */
  readonly net?: readonly string[];
  /**
   * The Deno binary that runs the subcommand: a set that starts the sandbox may also start it
   * again, as the file helper of the no-bubblewrap fallback.
   */
  readonly deno?: string;
}

/**
 * Narrows a set's file access to KAFCLAW_HOME (and any extra read paths), and lets a set that
 * starts the sandbox (it may run `bwrap`) start `facts.deno` too and read
 * {@link SANDBOX_PROBE_READS}. A set that runs commands may run `facts.extraRun` too. A set with
 * the whole network gets `facts.net` alone when it is given. Grants that are already lists or
 * absent stay as they are otherwise.
 */
export function narrowSet(set: PermissionSet, facts: NarrowingFacts): PermissionSet {
  const out: Record<string, Grant> = { ...set };
  const sandbox = Array.isArray(set.run) && set.run.includes("bwrap");
  if (set.read === true) {
    out.read = [facts.home, ...(facts.extraRead ?? []), ...(sandbox ? SANDBOX_PROBE_READS : [])];
  }
  if (set.write === true) out.write = [facts.home, ...(facts.extraWrite ?? [])];
  if (facts.deno !== undefined && sandbox) out.run = [...(set.run as string[]), facts.deno];
  if (set.net === true && facts.net !== undefined) {
    // An empty list would be no grant at all, which deno.json's sets write as `false`.
    out.net = facts.net.length > 0 ? [...new Set(facts.net)] : false;
  }
  if (Array.isArray(out.run) && facts.extraRun?.length) {
    out.run = [...new Set([...out.run, ...facts.extraRun])];
  }
  return out as PermissionSet;
}

/**
 * Whether this process may reach any host: true under a set with the whole network (a compiled
 * binary's, `-P=gateway`), false under the launcher's headless flags, which name each host.
 */
export function holdsWholeNetwork(): boolean {
  return Deno.permissions.querySync({ name: "net" }).state === "granted";
}
