/**
 * The bubblewrap command lines, built as data (no shell quoting anywhere): the sandbox view, the
 * root-only first stage that drops to an unprivileged uid, and the commands run inside.
 *
 * @module
 */

/** A top-level system folder of the host (`/bin`, `/lib64`, ...): a link (its target) or a folder. */
export interface SystemDir {
  readonly path: string;
  readonly link: string | null;
}

/** Where the sandboxed workspace appears inside. */
export const SANDBOX_ROOT = "/work";
/** Where the file helper's binary (the Deno CLI, or kafclaw compiled) appears inside. */
export const SANDBOX_DENO = "/kafclaw/deno";
/** The uid and gid inside the sandbox (its own user namespace). */
export const SANDBOX_UID = 65534;

/** Host files that common tools need, bound read-only when they exist. */
export const HOST_ETC: readonly string[] = [
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives",
  "/etc/localtime",
];

/** Files of the sandbox's own /etc, written by the host into a folder of their own. */
export const OWN_ETC: Readonly<Record<string, string>> = {
  passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\n` +
    `sandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:sandbox:${SANDBOX_ROOT}:/bin/sh\n`,
  group: `root:x:0:\nsandbox:x:${SANDBOX_UID}:\n`,
  hosts: "127.0.0.1 localhost\n::1 localhost\n",
  "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
};

/** The PATH bubblewrap itself is started with, and the first stage's. */
export const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Everything one sandbox view needs. */
export interface SandboxView {
  readonly system: readonly SystemDir[];
  /** The workspace's real host path. */
  readonly workspace: string;
  /** The host folder holding {@link OWN_ETC}. */
  readonly etcDir: string;
  /**
   * Paths below the workspace (`a/.git`) bound read-only over themselves, parents before
   * children; `""` makes the whole workspace read-only.
   */
  readonly readOnly: readonly string[];
  /** The file helper's binary to bind at {@link SANDBOX_DENO} (the file helper only). */
  readonly deno: string | null;
  readonly tmpBytes: number;
  /** The folder to start in, as parts under /work. */
  readonly cwd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Binds the read-only system folders (/usr and the links or folders beside it). */
export function systemArgs(system: readonly SystemDir[]): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const dir of system) {
    args.push(
      ...(dir.link === null
        ? ["--ro-bind", dir.path, dir.path]
        : ["--symlink", dir.link, dir.path]),
    );
  }
  return args;
}

/** The sandbox proper: every namespace new, an empty root, the workspace the only writable bind. */
export function sandboxArgs(view: SandboxView): string[] {
  const args = [
    "--unshare-all",
    "--unshare-user",
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_UID),
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--hostname",
    "sandbox",
    "--clearenv",
  ];
  for (const [name, value] of Object.entries(view.env)) args.push("--setenv", name, value);
  args.push("--tmpfs", "/", ...systemArgs(view.system));
  for (const file of HOST_ETC) args.push("--ro-bind-try", file, file);
  for (const name of Object.keys(OWN_ETC)) {
    args.push("--ro-bind", `${view.etcDir}/${name}`, `/etc/${name}`);
  }
  const size = String(view.tmpBytes);
  args.push("--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm");
  args.push("--size", size, "--tmpfs", "/tmp");
  const below = [...view.readOnly].sort((a, b) => a.split("/").length - b.split("/").length);
  args.push(below.includes("") ? "--ro-bind" : "--bind", view.workspace, SANDBOX_ROOT);
  for (const path of below.filter((path) => path !== "")) {
    args.push("--ro-bind", `${view.workspace}/${path}`, `${SANDBOX_ROOT}/${path}`);
  }
  if (view.deno !== null) args.push("--ro-bind", view.deno, SANDBOX_DENO);
  args.push("--remount-ro", "/", "--chdir", [SANDBOX_ROOT, ...view.cwd].join("/"));
  return args;
}

/** Every folder above `paths`, outermost first, without `/`. */
export function ancestors(paths: readonly string[]): string[] {
  const found = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/").filter((part) => part !== "");
    for (let depth = 1; depth < parts.length; depth++) {
      found.add(`/${parts.slice(0, depth).join("/")}`);
    }
  }
  return [...found].sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
}

/**
 * The first stage, for a process that runs as root: a mount namespace (and PID namespace, so that
 * killing it kills everything under it) where the paths the sandbox binds are reachable, then a
 * drop to `uid`:`gid` with no capabilities, then the unprivileged `bwrap` of the sandbox proper.
 * Without it the sandbox's uid would map to host root, and process limits do not bind root.
 */
export function dropArgs(view: SandboxView, drop: { uid: number; gid: number }): string[] {
  const args = ["--unshare-pid", "--die-with-parent", "--clearenv", "--setenv", "PATH", HOST_PATH];
  args.push("--tmpfs", "/", ...systemArgs(view.system));
  // The host's /proc: the nested bwrap may mount a new proc only where a full one is visible.
  args.push("--bind", "/proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  // Folders bwrap creates on its own are 0700 root; the dropped uid must traverse them.
  const targets = [...HOST_ETC, view.etcDir, view.workspace, ...(view.deno ? [view.deno] : [])];
  for (const dir of ancestors(targets)) args.push("--perms", "0755", "--dir", dir);
  for (const file of HOST_ETC) args.push("--ro-bind-try", file, file);
  args.push("--ro-bind", view.etcDir, view.etcDir, "--bind", view.workspace, view.workspace);
  if (view.deno !== null) args.push("--ro-bind", view.deno, view.deno);
  args.push("setpriv", "--reuid", String(drop.uid), "--regid", String(drop.gid));
  args.push("--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", "bwrap");
  return args;
}

/** Limits of one process tree; a field left out is not limited. */
export interface ProcessLimits {
  readonly processes: number;
  readonly openFiles: number;
  readonly fileSizeBytes?: number;
  readonly memoryBytes?: number;
  readonly cpuSeconds?: number;
}

/** `prlimit` arguments that bound what runs after them (the process limit counts per sandbox). */
export function limitArgs(limits: ProcessLimits): string[] {
  const args = ["prlimit", `--nproc=${limits.processes}`, `--nofile=${limits.openFiles}`];
  args.push("--core=0");
  if (limits.fileSizeBytes !== undefined) args.push(`--fsize=${limits.fileSizeBytes}`);
  if (limits.memoryBytes !== undefined) args.push(`--as=${limits.memoryBytes}`);
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${limits.cpuSeconds}`);
  return [...args, "--"];
}
