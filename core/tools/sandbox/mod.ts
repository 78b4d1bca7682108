/**
 * The sandbox: where tools touch the workspace and run commands, confined by the kernel
 * (bubblewrap) and never by matching command text. See ARCHITECTURE.md, "Sandbox: two layers".
 *
 * - {@link openSandbox} opens one workspace's sandbox: `bwrap` where bubblewrap works, `worker`
 *   (file tools in a permission-narrowed Deno process, exec off unless unsandboxed) elsewhere.
 * - {@link probeSandbox} tells `doctor` whether bubblewrap works here, and if not why and how to
 *   enable it.
 *
 * How it confines (details in each file):
 * - `exec` runs `sh -c` under bubblewrap: empty root, /usr and the /bin-/lib links read-only, a
 *   sandbox-own /etc (passwd, group, hosts, nsswitch.conf) plus the host's ld.so cache,
 *   alternatives and localtime, fresh /proc and /dev, sized tmpfs /tmp and /dev/shm, the workspace
 *   at /work as the only writable bind; every namespace new (network included: loopback only),
 *   no nested user namespaces, a new session, a clean environment. Limits (processes, address
 *   space of each as a share of the command's memory, file size, CPU, open files) are set by
 *   `prlimit` inside, so the process limit counts that sandbox's processes only; a seccomp
 *   filter refuses memory no address space counts (_seccomp.ts). Its first process is ours and
 *   out of the command's reach, so nothing of the command outlives it (_exec_init.ts).
 * - Files that run code when the owner later uses the workspace (`.git` at any depth, `.envrc`,
 *   editor folders: _protected.ts) are read-only to every tool: the file tools refuse them, a
 *   command gets the existing ones bound read-only, and what a command planted is renamed to an
 *   inert name once it has ended (_scan.ts). Commands and writes run one at a time.
 * - Run as root, a first bubblewrap stage drops to uid 65534 (or `uid`) with no capabilities
 *   before the sandbox proper, and the workspace is handed to that uid when opened.
 * - The file tools run in a resident Deno helper inside the same view, allowed to read and write
 *   /work only, which refuses any real path outside /work. In a binary made by `deno compile` the
 *   helper is that binary, started with a reserved argument that main.ts routes to it (see
 *   helper.ts for how it is started and what that changes).
 *
 * @example
 * ```ts ignore
 * import { openSandbox } from "./mod.ts";
 * await using sandbox = await openSandbox(workspace, { limits: { processes: 128 } });
 * const { stdout } = await sandbox.exec("git status", { timeoutMs: 30000, maxOutputBytes: 65536 });
 * const text = await sandbox.fs.readText("README.md", { maxBytes: 1048576 });
 * ```
 *
 * @module
 */
export { openSandbox } from "./open.ts";
export { probeSandbox, type SandboxProbe } from "./probe.ts";
export {
  addressSpaceBytes,
  DEFAULT_SANDBOX_LIMITS,
  memoryBound,
  type ResolvedSandboxConfig,
  resolveSandboxOptions,
  type SandboxLimits,
  type SandboxOptions,
} from "./options.ts";
export { splitWorkspacePath, type WorkspacePath } from "./paths.ts";
export {
  FS_HELPER_ARG,
  type HelperBinary,
  helperBinary,
  helperCommand,
  runFsHelper,
  type SelfFacts,
} from "./helper.ts";
export { BwrapSandbox } from "./bwrap_sandbox.ts";
export { needsAdoption } from "./_host.ts";
export {
  bwrapMcpWrapper,
  type McpServerLimits,
  type McpWrapOptions,
  type McpWrapper,
} from "./mcp_wrap.ts";
export { WorkerSandbox } from "./worker_sandbox.ts";
export {
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  MAX_BINARY_BYTES,
  type Sandbox,
  SandboxError,
  type SandboxErrorCode,
  type WorkspaceFs,
} from "./types.ts";
