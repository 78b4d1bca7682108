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
 * at every `intervalMs`, created and removed included) and on SIGHUP. Calls never overlap: a change
 * seen while `onChange` runs waits for it. Dispose of the result to stop.
 */
export function watchConfigFile(
  path: string,
  onChange: (why: ConfigFileChange) => void | Promise<void>,
  options: { readonly intervalMs?: number } = {},
): Disposable {
  const signature = async () => {
    try {
      const s = await Deno.stat(path);
      return [s.size, s.mtime?.getTime(), s.ino, s.mode, s.uid].join(":");
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "missing";
      return `unreadable: ${(error as Error).message}`;
    }
  };
  let last: Promise<string> = signature();
  let running: Promise<void> = Promise.resolve();
  const fire = (why: ConfigFileChange) => {
    running = running.then(() => onChange(why)).catch(() => {});
  };
  const timer = setInterval(() => {
    const previous = last;
    last = signature();
    Promise.all([previous, last]).then(([a, b]) => a !== b && fire("changed"));
  }, options.intervalMs ?? 1000);
  const onHup = () => fire("SIGHUP");
  Deno.addSignalListener("SIGHUP", onHup);
  return {
    [Symbol.dispose]() {
      clearInterval(timer);
      Deno.removeSignalListener("SIGHUP", onHup);
    },
  };
}
