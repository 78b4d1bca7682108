/**
 * Stdio MCP servers under bubblewrap: the {@link WrapCommand} that the MCP client runs a server's
 * command through. A server is third-party code, so it gets the recipe `exec` gets (an empty
 * root, read-only /usr and the /bin-/lib links, a sandbox-own /etc, fresh /proc, /dev and sized
 * tmpfs /tmp and /dev/shm, every namespace new, no nested user namespaces, a new session, a clean
 * environment, limits by `prlimit`, and as root a drop to an unprivileged uid first) and, of the
 * host, only what its grants give:
 *
 * - `read` paths bound read-only and `write` paths bound read-write, each at its own path (the
 *   more specific grant wins where they nest). A grant must be a real path (no link on the way):
 *   bubblewrap follows links on the host, and a link could have been planted by a server.
 * - The command, looked up on the host's PATH when it is a bare name, is bound read-only at its
 *   real path and run by that path. An interpreter's script, libraries and caches are not
 *   guessed: the owner lists them in `read`.
 * - `env` is the whole environment, over a few defaults of the sandbox's own (PATH, HOME=/tmp,
 *   TMPDIR, LANG); nothing is taken from the host's environment.
 * - `network: true` shares the host's network namespace (`--share-net`), and with it the host's
 *   loopback: the gateway, a local broker, anything listening on 127.0.0.1. That is why it is
 *   off by default and only the owner's explicit grant turns it on. Without it the server has a
 *   loopback of its own and nothing else.
 * - `cwd` is a folder inside (default /tmp).
 *
 * As root the server runs as an unprivileged host uid (65534 by default), so what it is granted
 * must be readable (`write`: writable) by that uid; the folders above a grant need not be.
 *
 * @module
 */
import type { CommandLine, McpGrants, WrapCommand } from "../mcp/mod.ts";
import {
  ancestors,
  HOST_ETC,
  HOST_PATH,
  limitArgs,
  OWN_ETC,
  SANDBOX_UID,
  systemArgs,
  type SystemDir,
} from "./_bwrap_args.ts";
import { ownUid, systemLayout } from "./_host.ts";
import { SandboxError } from "./types.ts";

/** Limits of one MCP server's process tree (inside its own user namespace). */
export interface McpServerLimits {
  /** RLIMIT_NPROC: processes and threads (a Deno or Node server runs a few dozen threads). */
  readonly processes: number;
  /** RLIMIT_NOFILE: open files of each process. */
  readonly openFiles: number;
  /** RLIMIT_FSIZE: largest file the server may write, in bytes. */
  readonly fileSizeBytes: number;
  /** Size of the sandbox's /tmp and /dev/shm (each a tmpfs), in bytes. */
  readonly tmpBytes: number;
  /**
   * RLIMIT_AS, in bytes; unset by default: V8 and other JITs reserve far more address space than
   * they use, so a cap that fits `exec` may break them.
   */
  readonly memoryBytes?: number;
  /** RLIMIT_CPU, in seconds; unset by default: a server lives as long as the agent. */
  readonly cpuSeconds?: number;
}

/** The limits used where {@link McpWrapOptions.limits} says nothing. */
export const DEFAULT_MCP_LIMITS: McpServerLimits = Object.freeze({
  processes: 256,
  openFiles: 1024,
  fileSizeBytes: 1024 ** 3,
  tmpBytes: 64 * 1024 ** 2,
});

/** How to prepare {@link bwrapMcpWrapper}. */
export interface McpWrapOptions {
  /** A host folder for the sandbox's own /etc (written into `mcp-etc`); the caller removes it. */
  readonly stateDir: string;
  /** Host uid the server drops to when this process runs as root (default 65534). */
  readonly uid?: number;
  /** Host gid the server drops to when this process runs as root (default: `uid`). */
  readonly gid?: number;
  /** Limits of every server; what is left out comes from {@link DEFAULT_MCP_LIMITS}. */
  readonly limits?: Partial<McpServerLimits>;
  /** Where bare command names are looked up on the host (default: this process's PATH). */
  readonly searchPath?: string;
}

/** The environment every server starts from; its grants' `env` adds to it and overrides it. */
export const MCP_BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/tmp",
  TMPDIR: "/tmp",
  LANG: "C.UTF-8",
});

/** Host files that name resolution and TLS need, bound read-only when the network is granted. */
const NET_ETC: readonly string[] = [
  "/etc/resolv.conf",
  "/etc/gai.conf",
  "/etc/services",
  "/etc/protocols",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/pki",
];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What {@link bwrapMcpWrapper} learned and prepared on the host. */
interface Prepared {
  readonly system: readonly SystemDir[];
  readonly etcDir: string;
  readonly limits: McpServerLimits;
  readonly drop: { uid: number; gid: number } | null;
  readonly searchPath: string;
  /** This process's Deno binary (see {@link shimProof}). */
  readonly denoPath: string;
}

/** One bind of a grant: the host path, at the same path inside. */
interface Bind {
  readonly path: string;
  readonly writable: boolean;
}

function grantError(what: string, why: string): Error {
  return new Error(`Cannot run the MCP server in the sandbox: ${what} ${why}`);
}

/** An absolute path with `.`, `..` and repeated or trailing slashes resolved by text. */
function normalizeGrantPath(path: string): string {
  if (!path.startsWith("/") || path.includes("\0")) {
    throw grantError(JSON.stringify(path), "is not an absolute path");
  }
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * The grants' binds and the command's (when it is outside the system folders), outermost first,
 * so that a nested grant is mounted over its parent.
 */
function bindsOf(grants: McpGrants, command: string | null): Bind[] {
  const byPath = new Map<string, boolean>(command === null ? [] : [[command, false]]);
  for (const [list, writable] of [[grants.read, false], [grants.write, true]] as const) {
    for (const given of list) {
      const path = normalizeGrantPath(given);
      if (path === "/") throw grantError(JSON.stringify(given), "is the whole host: grant folders");
      byPath.set(path, writable || (byPath.get(path) ?? false));
    }
  }
  const depth = (path: string) => path.split("/").length;
  const binds = [...byPath].map(([path, writable]) => ({ path, writable }))
    .sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1));
  binds.forEach(refuseLink);
  return binds;
}

/**
 * Every grant must be its own real path, with no link on the way. Otherwise a server granted to
 * write somewhere on that way (this one, or another one) could swap a folder for a link, to
 * `/root/.ssh` say, and bubblewrap, root in the first stage, would follow it at the next start.
 */
function refuseLink(bind: Bind): void {
  let real: string;
  try {
    real = Deno.realPathSync(bind.path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // bubblewrap says so when it starts
    throw error;
  }
  if (real !== bind.path) {
    throw grantError(
      JSON.stringify(bind.path),
      `leads through a link: grant its real path ${JSON.stringify(real)} instead`,
    );
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/** The command's real host path: an absolute path as it is, a bare name looked up on `search`. */
function resolveCommand(command: string, search: string): string {
  let found: string | undefined;
  if (command.startsWith("/")) {
    if (isFile(command)) found = command;
  } else if (command.includes("/") || command === "") {
    throw grantError(`the command ${JSON.stringify(command)}`, "must be a name or absolute path");
  } else {
    found = search.split(":").filter((dir) => dir.startsWith("/"))
      .map((dir) => `${dir}/${command}`).find(isFile);
  }
  if (found === undefined) {
    throw grantError(`the command ${JSON.stringify(command)}`, "is not found on the host");
  }
  return Deno.realPathSync(found);
}

/** Whether `path` is already visible read-only inside: under /usr or a system folder. */
function inSystem(path: string, system: readonly SystemDir[]): boolean {
  const roots = ["/usr", ...system.filter((d) => d.link === null).map((d) => d.path)];
  return roots.some((root) => path.startsWith(`${root}/`));
}

function bindArgs(binds: readonly Bind[]): string[] {
  return binds.flatMap((b) => [b.writable ? "--bind" : "--ro-bind", b.path, b.path]);
}

/** The sandbox proper, up to the command. */
function innerArgs(prepared: Prepared, grants: McpGrants, binds: readonly Bind[]): string[] {
  const args = ["--unshare-all", ...(grants.network ? ["--share-net"] : []), "--unshare-user"];
  args.push("--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_UID), "--disable-userns");
  args.push("--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv");
  for (const [name, value] of Object.entries({ ...MCP_BASE_ENV, ...grants.env })) {
    if (!ENV_NAME.test(name)) {
      throw grantError(`the variable ${JSON.stringify(name)}`, "is invalid");
    }
    args.push("--setenv", name, value);
  }
  args.push("--tmpfs", "/", ...systemArgs(prepared.system));
  for (const file of [...HOST_ETC, ...(grants.network ? NET_ETC : [])]) {
    args.push("--ro-bind-try", file, file);
  }
  for (const name of Object.keys(OWN_ETC)) {
    args.push("--ro-bind", `${prepared.etcDir}/${name}`, `/etc/${name}`);
  }
  const size = String(prepared.limits.tmpBytes);
  args.push("--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm");
  args.push("--size", size, "--tmpfs", "/tmp", ...bindArgs(binds));
  const cwd = normalizeGrantPath(grants.cwd ?? "/tmp");
  args.push("--remount-ro", "/", "--chdir", cwd);
  return args;
}

/** As root, the first stage: the grants reachable, then a drop to an unprivileged uid. */
function dropStage(prepared: Prepared, grants: McpGrants, binds: readonly Bind[]): string[] {
  const drop = prepared.drop!;
  const etc = [...HOST_ETC, ...(grants.network ? NET_ETC : [])];
  const args = ["--unshare-pid", "--die-with-parent", "--clearenv", "--setenv", "PATH", HOST_PATH];
  args.push("--tmpfs", "/", ...systemArgs(prepared.system));
  args.push("--bind", "/proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  // Folders bwrap creates on its own are 0700 root; the dropped uid must traverse them.
  const targets = [...etc, prepared.etcDir, ...binds.map((b) => b.path)];
  for (const dir of ancestors(targets)) args.push("--perms", "0755", "--dir", dir);
  for (const file of etc) args.push("--ro-bind-try", file, file);
  args.push("--ro-bind", prepared.etcDir, prepared.etcDir, ...bindArgs(binds));
  args.push("setpriv", "--reuid", String(drop.uid), "--regid", String(drop.gid));
  args.push("--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", "bwrap");
  return args;
}

/**
 * Deno's `node:child_process`, through which the MCP SDK spawns, takes the arguments after one
 * equal to `Deno.execPath()` for Node's and rewrites them (`run -A ...` goes in, `--` goes
 * out), unless a Deno subcommand follows. A Deno server binds that very path twice in a row, so
 * it is written here with a `/./` before its last part: the same file to bubblewrap and execve.
 */
function shimProof(args: readonly string[], denoPath: string): string[] {
  const cut = denoPath.lastIndexOf("/");
  const same = `${denoPath.slice(0, cut)}/.${denoPath.slice(cut)}`;
  return args.map((arg) => arg === denoPath ? same : arg);
}

/** The whole `bwrap` command line of one server. */
function wrap(
  prepared: Prepared,
  line: { command: string; args: readonly string[] },
  grants: McpGrants,
): CommandLine {
  const command = resolveCommand(line.command, prepared.searchPath);
  const binds = bindsOf(grants, inSystem(command, prepared.system) ? null : command);
  const inner = [...innerArgs(prepared, grants, binds), ...limitArgs(prepared.limits)];
  const drop = prepared.drop === null ? [] : dropStage(prepared, grants, binds);
  const ours = shimProof([...drop, ...inner, command], prepared.denoPath);
  return { command: "bwrap", args: [...ours, ...line.args] };
}

async function writeEtc(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.chmod(dir, 0o755);
  // The server may be granted the network: its own /etc lets it ask DNS (none without network).
  const files = { ...OWN_ETC, "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n" };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text, { mode: 0o644 });
    await Deno.chmod(`${dir}/${name}`, 0o644);
  }
}

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
    throw new RangeError(
      `Cannot use MCP sandbox option ${name}: ${value} is not a positive integer`,
    );
  }
}

/**
 * Prepares the bubblewrap wrapper for stdio MCP servers and checks that it works here by running
 * `true` through it: bubblewrap missing or refused throws a SandboxError (code `unavailable`)
 * that says why, as opening a bubblewrap sandbox does. Pass the result to `McpToolset` as
 * `wrapCommand`; a server whose grants are wrong (a relative path, a link, a command not found)
 * then fails to connect with an error that names the grant.
 *
 * @example
 * ```ts ignore
 * const wrapCommand = await bwrapMcpWrapper({ stateDir: `${home}/run/mcp` });
 * await using mcp = new McpToolset(servers, { wrapCommand });
 * ```
 */
export async function bwrapMcpWrapper(options: McpWrapOptions): Promise<WrapCommand> {
  const limits = { ...DEFAULT_MCP_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) positive(`limits.${name}`, value);
  positive("uid", options.uid);
  positive("gid", options.gid);
  const etcDir = `${options.stateDir}/mcp-etc`;
  await writeEtc(etcDir);
  const uid = options.uid ?? 65534;
  const prepared: Prepared = {
    system: await systemLayout(),
    etcDir,
    limits,
    drop: (await ownUid(etcDir)) === 0 ? { uid, gid: options.gid ?? uid } : null,
    searchPath: options.searchPath ?? Deno.env.get("PATH") ?? HOST_PATH,
    denoPath: Deno.execPath(),
  };
  const wrapCommand: WrapCommand = (command, args, grants) =>
    wrap(prepared, { command, args }, grants);
  await check(wrapCommand);
  return wrapCommand;
}

/** Runs `true` with no grants through the wrapper; throws a SandboxError when it fails. */
async function check(wrapCommand: WrapCommand): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    const line = wrapCommand("true", [], { read: [], write: [], network: false, env: {} });
    output = await new Deno.Command(line.command, {
      args: [...line.args],
      clearEnv: true,
      env: { PATH: HOST_PATH },
      stdin: "null",
      signal: AbortSignal.timeout(10000),
    }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new SandboxError("Cannot start bubblewrap: bwrap is not installed", {
      code: "unavailable",
      cause: error,
    });
  }
  if (!output.success) {
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
    const why = decode(output.stderr) || decode(output.stdout) || `exit code ${output.code}`;
    throw new SandboxError(`Cannot start bubblewrap: ${why}`, { code: "unavailable" });
  }
}
