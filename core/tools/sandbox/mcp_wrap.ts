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
 * - A bare command name is looked up inside, on the sandbox's PATH (its system folders, or the
 *   grants' `env.PATH`), so nothing of it is looked at on the host. An absolute command is bound
 *   read-only at its real path (unless the system folders already show it) and run by that path.
 *   An interpreter's script, libraries and caches are not guessed: the owner lists them in `read`.
 * - The process that builds the command line reads only the grants' paths and an absolute
 *   command (the launcher grants exactly that read access, from mcp.json).
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
import {
  type Bind,
  bindsOf,
  grantError,
  inSystem,
  normalizeGrantPath,
  resolveCommand,
} from "./_mcp_grants.ts";
import {
  checkWrapper,
  MCP_SANDBOX_PATH,
  presentArgs,
  probeStart,
  sandboxPath,
  startFailure,
} from "./_mcp_start.ts";
import { DEFAULT_START_LIMITS_MS, startLimits } from "./_start_check.ts";

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
  /**
   * The time limits of the wrapper's own check and of `canStart`, tried in turn while each one
   * times out (_start_check.ts): a busy machine is slow, not without bubblewrap. Default: 10 s,
   * then 50 s.
   */
  readonly startLimitsMs?: readonly number[];
}

/** The wrapper of stdio MCP servers, which can also tell whether one would start. */
export interface McpWrapper extends WrapCommand {
  /**
   * Whether the server would start here, found out without starting it: its sandbox is set up
   * with its grants and asked whether the command is there. Undefined when it would start;
   * otherwise why not, in a sentence.
   */
  canStart(command: string, grants: McpGrants): Promise<string | undefined>;
}

/** The environment every server starts from; its grants' `env` adds to it and overrides it. */
export const MCP_BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: MCP_SANDBOX_PATH,
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
  /**
   * `prlimit` as the sandbox finds it on its own PATH (learned by the wrapper's check): by this
   * path it starts whatever PATH a server's `env` sets, and then looks the command up on that.
   */
  readonly prlimit: string;
  /** This process's Deno binary (see {@link shimProof}). */
  readonly denoPath: string;
  /** The time limits of a start check, tried in turn while each one times out. */
  readonly startLimitsMs: readonly number[];
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

/** One server's sandbox: the `bwrap` arguments up to its command, and the command it runs. */
function sandboxOf(prepared: Prepared, given: string, grants: McpGrants) {
  const command = resolveCommand(given);
  const bound = command.startsWith("/") && !inSystem(command, prepared.system);
  const binds = bindsOf(grants, bound ? command : null);
  const [, ...limits] = limitArgs(prepared.limits);
  const inner = [...innerArgs(prepared, grants, binds), prepared.prlimit, ...limits];
  const drop = prepared.drop === null ? [] : dropStage(prepared, grants, binds);
  return { args: [...drop, ...inner], command };
}

/** The whole `bwrap` command line of one server. */
function wrap(
  prepared: Prepared,
  line: { command: string; args: readonly string[] },
  grants: McpGrants,
): CommandLine {
  const { args, command } = sandboxOf(prepared, line.command, grants);
  const path = sandboxPath(grants);
  return {
    command: "bwrap",
    args: [...shimProof([...args, command], prepared.denoPath), ...line.args],
    startFailure: (stderr) => startFailure(command, path, stderr),
  };
}

/** Whether one server would start (see {@link McpWrapper.canStart}). */
async function canStartIn(
  prepared: Prepared,
  given: string,
  grants: McpGrants,
): Promise<string | undefined> {
  let sandbox;
  try {
    sandbox = sandboxOf(prepared, given, grants);
  } catch (error) {
    return (error as Error).message;
  }
  const args = shimProof([...sandbox.args, ...presentArgs(sandbox.command)], prepared.denoPath);
  const line = { command: "bwrap", args };
  return await probeStart(line, sandbox.command, grants, prepared.startLimitsMs);
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
 * a shell through it (which also finds `prlimit` inside): bubblewrap missing or refused throws a
 * SandboxError (code `unavailable`) that says why, as opening a bubblewrap sandbox does. Pass the
 * result to `McpToolset` as `wrapCommand`; a server whose grants are wrong (a relative path, a
 * link, a command not found) then fails to start with an error that names the grant or the
 * command. Its `canStart` tells the same without starting the server.
 *
 * @example
 * ```ts ignore
 * const wrapCommand = await bwrapMcpWrapper({ stateDir: `${home}/run/mcp` });
 * await using mcp = new McpToolset(servers, { wrapCommand });
 * ```
 */
export async function bwrapMcpWrapper(options: McpWrapOptions): Promise<McpWrapper> {
  const limits = { ...DEFAULT_MCP_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) positive(`limits.${name}`, value);
  positive("uid", options.uid);
  positive("gid", options.gid);
  const etcDir = `${options.stateDir}/mcp-etc`;
  await writeEtc(etcDir);
  const uid = options.uid ?? 65534;
  let prepared: Prepared = {
    system: await systemLayout(),
    etcDir,
    limits,
    drop: (await ownUid(etcDir)) === 0 ? { uid, gid: options.gid ?? uid } : null,
    prlimit: "prlimit",
    denoPath: Deno.execPath(),
    startLimitsMs: startLimits(
      "startLimitsMs",
      options.startLimitsMs ?? DEFAULT_START_LIMITS_MS,
    ),
  };
  const wrapper: McpWrapper = Object.assign(
    (command: string, args: readonly string[], grants: McpGrants) =>
      wrap(prepared, { command, args }, grants),
    { canStart: (command: string, grants: McpGrants) => canStartIn(prepared, command, grants) },
  );
  prepared = { ...prepared, prlimit: await checkWrapper(wrapper, prepared.startLimitsMs) };
  return wrapper;
}
