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
  readonly timeoutMs: number;
  /** Output beyond this many bytes (stdout and stderr together) is cut, and says so. */
  readonly maxOutputBytes: number;
  readonly signal?: AbortSignal;
}

/** How a command ended. */
export interface ExecResult {
  /** The exit code, or null when a signal or the time limit ended it. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly truncated: boolean;
}

/** One entry of a folder listing. */
export interface DirEntry {
  readonly name: string;
  readonly kind: "file" | "dir" | "symlink" | "other";
  readonly size: number;
}

/**
 * The workspace as tools see it. Paths are relative to the workspace root (a leading `/` means
 * that root); anything that resolves outside it, through `..` or links, is refused with an error
 * that says so. Writes are atomic: a failed write leaves the old file as it was.
 */
export interface WorkspaceFs {
  readText(path: string, options: { maxBytes: number }): Promise<string>;
  writeText(path: string, content: string): Promise<void>;
  list(path: string): Promise<DirEntry[]>;
}

/** A refusal by the sandbox: a path outside the workspace, a protected file, a missing sandbox. */
export class SandboxError extends Error {
  override name = "SandboxError";
}

/** A sandboxed workspace. */
export interface Sandbox extends AsyncDisposable {
  /** `bwrap`: kernel-confined; `worker`: no bubblewrap here, file tools only, exec is off. */
  readonly kind: "bwrap" | "worker";
  readonly workspace: string;
  readonly fs: WorkspaceFs;
  /** Runs `sh -c command` confined to the workspace with no network; throws SandboxError if exec is off. */
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}
