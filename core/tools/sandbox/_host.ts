/**
 * What the sandbox learns from and prepares on the host: the system folders' layout, the
 * sandbox's own /etc, the `.git` to protect, and (as root) the workspace's owner.
 *
 * @module
 */
import { HOST_PATH, OWN_ETC, systemArgs, type SystemDir } from "./_bwrap_args.ts";
import { SandboxError } from "./types.ts";

const TOP_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
const MERGED_USR: readonly SystemDir[] = [
  { path: "/bin", link: "usr/bin" },
  { path: "/sbin", link: "usr/sbin" },
  { path: "/lib", link: "usr/lib" },
  { path: "/lib64", link: "usr/lib64" },
];

/** The host's `/bin`, `/lib`... as links into /usr or folders of their own. */
export async function systemLayout(): Promise<SystemDir[]> {
  const dirs: SystemDir[] = [];
  for (const path of TOP_DIRS) {
    try {
      const info = await Deno.lstat(path);
      if (info.isSymlink) dirs.push({ path, link: await Deno.readLink(path) });
      else if (info.isDirectory) dirs.push({ path, link: null });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      if (error instanceof Deno.errors.NotCapable) return [...MERGED_USR];
      throw error;
    }
  }
  return dirs;
}

/** Writes the sandbox's own passwd, group, hosts and nsswitch.conf, readable by any uid. */
export async function writeSandboxEtc(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.chmod(dir, 0o755);
  for (const [name, text] of Object.entries(OWN_ETC)) {
    await Deno.writeTextFile(`${dir}/${name}`, text, { mode: 0o644 });
    await Deno.chmod(`${dir}/${name}`, 0o644);
  }
}

/** Runs bubblewrap for the host's own preparations; a failure is `what` and bwrap's words. */
async function hostBwrap(args: readonly string[], what: string): Promise<void> {
  const output = await new Deno.Command("bwrap", {
    args: [...args],
    clearEnv: true,
    env: { PATH: HOST_PATH },
    stdin: "null",
  }).output();
  if (output.success) return;
  const stderr = new TextDecoder().decode(output.stderr).trim();
  throw new SandboxError(`${what}: ${stderr || `exit code ${output.code}`}`, {
    code: "unavailable",
  });
}

/**
 * `dev:ino` of `<workspace>/.git` when it is a real folder or file (it is then bound read-only),
 * null when it is missing. A link is not bound: bubblewrap would follow it on the host.
 */
export async function gitGuard(workspace: string): Promise<string | null> {
  try {
    const info = await Deno.lstat(`${workspace}/.git`);
    if (!info.isDirectory && !info.isFile) return null;
    return `${info.dev}:${info.ino}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** The workspace's real path, created (0700) when missing; it must be a folder. */
export async function realWorkspace(workspace: string): Promise<string> {
  try {
    await Deno.mkdir(workspace, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const real = await Deno.realPath(workspace);
  if (!(await Deno.stat(real)).isDirectory) {
    throw new SandboxError(
      `Cannot open the sandbox at ${JSON.stringify(workspace)}: not a folder`,
      {
        code: "wrong_kind",
      },
    );
  }
  return real;
}

/**
 * As root, hands the workspace to the sandbox's uid: everything in it not owned by `uid`:`gid`
 * gets that owner. It runs as root in a bubblewrap view that holds only /usr (read-only) and the
 * workspace, so a link planted in the workspace can lead the chown nowhere else; `-h` and
 * `find`'s default of not following links make sure of it twice. Files with more than one hard
 * link keep their owner (the other name may be outside the workspace).
 */
export async function adoptWorkspace(
  workspace: string,
  system: readonly SystemDir[],
  owner: { uid: number; gid: number },
): Promise<void> {
  // Not --unshare-all: that includes a user namespace, where uid 0 is the only uid mapped.
  const args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent"];
  args.push("--clearenv", "--setenv", "PATH", HOST_PATH);
  args.push("--tmpfs", "/", ...systemArgs(system));
  args.push("--proc", "/proc", "--dev", "/dev", "--bind", workspace, "/work", "--remount-ro", "/");
  const id = `${owner.uid}:${owner.gid}`;
  // A file with several hard links shares its inode with a name elsewhere: it keeps its owner.
  args.push("find", "/work", "-xdev", "(", "!", "-uid", String(owner.uid), "-o", "!", "-gid");
  args.push(String(owner.gid), ")", "(", "-type", "d", "-o", "-type", "l", "-o", "-links", "1");
  args.push(")", "-exec", "chown", "-h", id, "{}", "+");
  await hostBwrap(args, `Cannot hand the workspace ${JSON.stringify(workspace)} to uid ${id}`);
}

/** Entries {@link needsAdoption} looks at before it leaves the answer to the chown itself. */
const ADOPTION_SCAN_LIMIT = 5000;

/**
 * Whether {@link adoptWorkspace} has anything to do: an entry of the workspace (itself included)
 * not owned by `uid`:`gid` that the chown would take (a folder, a link, a file with one name).
 * It only reads metadata, never following links; on anything it cannot tell (another file
 * system below, an entry it cannot read, more than a few thousand entries) it says yes, so that
 * the confined chown decides. A start of a sandbox whose workspace was handed over before (the
 * usual case) then costs no bubblewrap run for the chown.
 */
export function needsAdoption(workspace: string, owner: { uid: number; gid: number }): boolean {
  try {
    const root = Deno.lstatSync(workspace);
    const folders = [workspace];
    let seen = 0;
    for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
      for (const entry of Deno.readDirSync(folder)) {
        if (++seen > ADOPTION_SCAN_LIMIT) return true;
        const path = `${folder}/${entry.name}`;
        const info = Deno.lstatSync(path);
        if (info.dev !== root.dev) return true;
        if (adoptable(info, owner)) return true;
        if (info.isDirectory) folders.push(path);
      }
    }
    return adoptable(root, owner);
  } catch {
    return true;
  }
}

function adoptable(info: Deno.FileInfo, owner: { uid: number; gid: number }): boolean {
  if (info.uid === owner.uid && info.gid === owner.gid) return false;
  return info.isDirectory || info.isSymlink || info.nlink === 1;
}

/**
 * Why the sandbox's uid cannot run the file helper's binary, or null when it can (or when this
 * process may not look). As root the sandbox runs it as `drop`: the folders above it are opened
 * for that uid inside the sandbox, wherever the checkout is, but the file's own mode must let the
 * uid execute it, which a Deno installed under umask 077 does not.
 */
export async function helperBlocked(
  path: string,
  drop: { uid: number; gid: number },
): Promise<string | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return null;
    if (error instanceof Deno.errors.NotFound) return `${JSON.stringify(path)} does not exist`;
    throw error;
  }
  const mode = (info.mode ?? 0o755) & 0o7777;
  const execute = info.uid === drop.uid ? 0o100 : info.gid === drop.gid ? 0o010 : 0o001;
  if ((mode & execute) !== 0) return null;
  return `${JSON.stringify(path)} cannot be run by uid ${drop.uid} ` +
    `(mode ${mode.toString(8).padStart(4, "0")}; chmod a+rx makes it runnable)`;
}

/** The uid this process runs as, read from a folder it just created (needs no sys permission). */
export async function ownUid(createdDir: string): Promise<number | null> {
  return (await Deno.stat(createdDir)).uid;
}
