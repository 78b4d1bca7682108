/**
 * The sandbox port: where tools touch the workspace and run commands. The kernel confines them
 * (bubblewrap), not a check on command text (ARCHITECTURE.md, "Sandbox: two layers").
 *
 * @module
 */

/** Limits and inputs of one command. */
export interface ExecOptions {
  /** Folder to run in, relative to the workspace (default: the workspace). */
  readonly cwd?: string;
  /** Wall-clock limit; past it the whole process tree is killed and `timedOut` is set. */
  readonly timeoutMs: number;
  /** Output beyond this many bytes (stdout and stderr together) is cut, and says so. */
  readonly maxOutputBytes: number;
  /** Aborting kills the whole process tree; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** How a command ended. */
export interface ExecResult {
  /**
   * The exit code; null when the time limit or an abort ended the command. A command killed by a
   * signal inside the sandbox (a limit, say) reports 128 + the signal's number, as a shell does.
   */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly truncated: boolean;
  /**
   * What the sandbox renamed after the command because it would run code when the owner uses
   * the workspace (a planted `.git`, `.envrc`...), as the new names; absent when nothing was.
   */
  readonly setAside?: readonly string[];
}

/** One entry of a folder listing. */
export interface DirEntry {
  readonly name: string;
  readonly kind: "file" | "dir" | "symlink" | "other";
  readonly size: number;
}

/**
 * The most `readBytes` returns and `writeBytes` takes in one call (64 MiB): binary content
 * travels base64-encoded in one line of the file helper's protocol, which this keeps bounded.
 */
export const MAX_BINARY_BYTES = 64 * 1024 * 1024;

/**
 * The workspace as tools see it. Paths are relative to the workspace root (a leading `/` means
 * that root, so `/etc/passwd` names `etc/passwd` inside the workspace); anything that resolves
 * outside it, through `..` or links, is refused with an error that says so. `readText` and
 * `readBytes` refuse a file larger than `maxBytes` (code `too_large`). Writes are atomic (a
 * temporary file, then a rename): a failed write leaves the old file as it was. Protected files
 * (`.git` and other files that run code when the owner uses the workspace, at any depth) are
 * read-only: writing one is refused (code `protected`).
 */
export interface WorkspaceFs {
  /** A file's content as UTF-8 text. */
  readText(path: string, options: { maxBytes: number }): Promise<string>;
  /** Creates or replaces a file with `content`, UTF-8 encoded; missing folders are created. */
  writeText(path: string, content: string): Promise<void>;
  /**
   * A file's content as bytes (audio, images). A `maxBytes` above {@link MAX_BINARY_BYTES} is
   * lowered to it.
   */
  readBytes(path: string, options: { maxBytes: number }): Promise<Uint8Array>;
  /**
   * Creates or replaces a file with `bytes`, like {@link writeText}; more than
   * {@link MAX_BINARY_BYTES} is refused (code `too_large`).
   */
  writeBytes(path: string, bytes: Uint8Array): Promise<void>;
  list(path: string): Promise<DirEntry[]>;
}

/** Why the sandbox refused or failed, for callers that branch on it. */
export type SandboxErrorCode =
  /** The path leads outside the workspace (`..`, a link, a NUL character). */
  | "outside"
  /** No such file or folder in the workspace. */
  | "not_found"
  /**
   * A protected path (one that runs code when the owner uses the workspace) or a read-only file
   * system.
   */
  | "protected"
  /** A file larger than the limit. */
  | "too_large"
  /** A folder where a file was expected, or the other way round, or a special file. */
  | "wrong_kind"
  /** exec is off: no bubblewrap and no unsandboxed mode. */
  | "unavailable"
  /** The sandbox itself failed (the file helper died or stalled, bubblewrap refused). */
  | "failed";

/** A refusal by the sandbox: a path outside the workspace, a protected file, a missing sandbox. */
export class SandboxError extends Error {
  override name = "SandboxError";
  readonly code: SandboxErrorCode;

  constructor(message: string, options: { code?: SandboxErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? "failed";
  }
}

/** A sandboxed workspace. */
export interface Sandbox extends AsyncDisposable {
  /**
   * `bwrap`: kernel-confined, exec and file tools inside bubblewrap. `worker`: no bubblewrap here;
   * file tools in a permission-narrowed Deno helper, exec off unless opened `unsandboxed`.
   */
  readonly kind: "bwrap" | "worker";
  /** The workspace folder on the host (its real path). */
  readonly workspace: string;
  readonly fs: WorkspaceFs;
  /** Runs `sh -c command` confined to the workspace with no network; throws SandboxError if exec is off. */
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}
