/**
 * Whether config.json can be trusted, decided as OpenSSH decides for its own config files: a file
 * that someone else could have written (writable by group or others, or owned by another user
 * than the one running, root aside) is refused, because it says which endpoints get the keys and
 * what the agent may do. And how a long-running process notices that the file changed.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** A config file refused because others could have written it; `fix` is the command that helps. */
export class UntrustedConfigError extends ConfigError {
  override name = "UntrustedConfigError";
  /** What is wrong, without the fix. */
  readonly problem: string;
  readonly fix: string;

  constructor(problem: string, fix: string) {
    super(`${problem}; fix it with ${fix}`);
    this.problem = problem;
    this.fix = fix;
  }
}

/** Who the file belongs to and its mode, as `stat` says. */
interface FileFacts {
  readonly uid: number | null;
  readonly mode: number | null;
}

async function facts(path: string): Promise<FileFacts | undefined> {
  try {
    const stat = await Deno.stat(path);
    return { uid: stat.uid, mode: stat.mode };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Throws {@link UntrustedConfigError}, naming the file and the fix, when `path` is writable by group or others or
 * belongs to another user than `uid` (default: this process's) or root. A missing file passes;
 * where the system has no modes or owners (Windows), nothing is checked.
 */
export async function checkConfigTrust(
  path: string,
  options: { readonly uid?: number | null } = {},
): Promise<void> {
  const found = await facts(path);
  if (found === undefined) return;
  const uid = options.uid === undefined ? Deno.uid() : options.uid;
  if (found.mode !== null && (found.mode & 0o022) !== 0) {
    const mode = (found.mode & 0o777).toString(8);
    throw new UntrustedConfigError(
      `Cannot use ${path}: others can write it (mode ${mode})`,
      `chmod 600 ${path}`,
    );
  }
  if (uid !== null && found.uid !== null && found.uid !== uid && found.uid !== 0) {
    throw new UntrustedConfigError(
      `Cannot use ${path}: it belongs to uid ${found.uid}, not to you (uid ${uid})`,
      `chown ${uid} ${path} && chmod 600 ${path}`,
    );
  }
}

/** A change of config.json as {@link watchConfigFile} sees it. */
export type ConfigFileChange = "changed" | "SIGHUP";

/**
 * Calls `onChange` when the file at `path` changes (its size, time, inode, mode or owner, looked
 * at every `intervalMs`, created and removed included) and on SIGHUP. The file as it is when this
 * returns is the baseline, so any change made after the call is reported. Calls never overlap: a
 * change seen while `onChange` runs waits for it. Dispose of the result to stop.
 */
export function watchConfigFile(
  path: string,
  onChange: (why: ConfigFileChange) => void | Promise<void>,
  options: {
    readonly intervalMs?: number;
    /** How the file is looked at between looks; Deno.stat unless a test says otherwise. */
    readonly stat?: (path: string) => Promise<Deno.FileInfo>;
  } = {},
): Disposable {
  const intervalMs = options.intervalMs ?? 1000;
  const stat = options.stat ?? Deno.stat;
  // Taken now, not by a look that could run after the caller's next write and miss it.
  let last = fileSignature(path);
  let running: Promise<void> = Promise.resolve();
  const fire = (why: ConfigFileChange) => {
    running = running.then(() => onChange(why)).catch(() => {});
  };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // One look at a time, each compared with the one before it: looks never finish out of order.
  const look = async () => {
    const now = await stat(path).then(signatureOf, failureSignature);
    if (stopped) return;
    if (now !== last) {
      last = now;
      fire("changed");
    }
    timer = setTimeout(look, intervalMs);
  };
  timer = setTimeout(look, intervalMs);
  const onHup = () => fire("SIGHUP");
  Deno.addSignalListener("SIGHUP", onHup);
  return {
    [Symbol.dispose]() {
      stopped = true;
      clearTimeout(timer);
      Deno.removeSignalListener("SIGHUP", onHup);
    },
  };
}

/** What {@link watchConfigFile} compares: size, time, inode, mode and owner. */
function signatureOf(s: Deno.FileInfo): string {
  return [s.size, s.mtime?.getTime(), s.ino, s.mode, s.uid].join(":");
}

/** A file that is not there, or cannot be looked at, as a signature. */
function failureSignature(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "missing";
  return `unreadable: ${(error as Error).message}`;
}

/** The file's signature as it is now. */
function fileSignature(path: string): string {
  try {
    return signatureOf(Deno.statSync(path));
  } catch (error) {
    return failureSignature(error);
  }
}
