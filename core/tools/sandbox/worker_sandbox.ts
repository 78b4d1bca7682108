/**
 * The fallback where bubblewrap is missing or refused (macOS; Linux with user namespaces
 * restricted): the file tools run in a separate Deno process whose permissions are narrowed to
 * the workspace (read and write there, nothing else: no net, no run, no env), and which checks
 * the real path of everything it touches. File operations and commands in one workspace run one
 * at a time. `exec` is off unless the owner turned on the unsandboxed mode.
 *
 * In a binary made by `deno compile` the helper is that binary (helper.ts), whose permissions
 * cannot be narrowed to a path: it drops net, env, run, sys, ffi and import, but keeps read and
 * write of everything this process may read and write, so here its real-path checks are the only
 * fence around the workspace. Spawning it also needs run permission for the binary's own path.
 *
 * Why a process and not a Web Worker with `deno.permissions`: that Worker option is unstable in
 * Deno 2.9, and without `--unstable-worker-options` Deno ends the whole process (exit code 70)
 * rather than throwing, so it cannot be tried and caught.
 *
 * @module
 */
import { FsHelperClient } from "./_fs_client.ts";
import { HOST_PATH } from "./_bwrap_args.ts";
import { GROUP_WRAPPER, runBounded } from "./_run.ts";
import { Serial } from "./_serial.ts";
import { helperCommand } from "./helper.ts";
import type { ResolvedSandboxConfig } from "./options.ts";
import { splitWorkspacePath } from "./paths.ts";
import {
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  type Sandbox,
  SandboxError,
  type WorkspaceFs,
} from "./types.ts";

/** A workspace without bubblewrap: file tools confined by Deno permissions and real paths. */
export class WorkerSandbox implements Sandbox {
  readonly kind = "worker";
  readonly workspace: string;
  readonly fs: WorkspaceFs;
  /** Why bubblewrap is not used here. */
  readonly reason: string;
  readonly #config: ResolvedSandboxConfig;
  readonly #client: FsHelperClient;
  readonly #serial = new Serial();
  /** Aborted by close(): a command still running is killed. */
  readonly #closing = new AbortController();
  readonly #stateDir: string;
  readonly #ownsStateDir: boolean;
  #closed = false;

  private constructor(
    workspace: string,
    config: ResolvedSandboxConfig,
    state: { dir: string; owned: boolean; reason: string },
  ) {
    this.workspace = workspace;
    this.reason = state.reason;
    this.#config = config;
    this.#stateDir = state.dir;
    this.#ownsStateDir = state.owned;
    this.#client = new FsHelperClient(() => Promise.resolve(this.#spawnHelper()), {
      timeoutMs: config.fsTimeoutMs,
      startLimitsMs: config.startLimitsMs,
    });
    const client = this.#client;
    const serial = this.#serial;
    this.fs = {
      readText: (path: string, options: { maxBytes: number }) =>
        serial.run(() => client.readText(path, options)),
      writeText: (path: string, content: string) =>
        serial.run(() => client.writeText(path, content)),
      readBytes: (path: string, options: { maxBytes: number }) =>
        serial.run(() => client.readBytes(path, options)),
      writeBytes: (path: string, bytes: Uint8Array) =>
        serial.run(() => client.writeBytes(path, bytes)),
      list: (path: string): Promise<DirEntry[]> => serial.run(() => client.list(path)),
    };
  }

  /** Opens the fallback sandbox over the workspace's real path; `reason` says why it is used. */
  static async open(
    workspace: string,
    config: ResolvedSandboxConfig,
    reason: string,
  ): Promise<WorkerSandbox> {
    if (workspace.includes(",")) {
      // Deno's --allow-read takes a comma-separated list: a comma would grant another path.
      throw new SandboxError(
        `Cannot open the sandbox at ${JSON.stringify(workspace)}: without bubblewrap the ` +
          "workspace path must not contain a comma",
        { code: "unavailable" },
      );
    }
    const owned = config.stateDir === null;
    const dir = config.stateDir ?? await Deno.makeTempDir({ prefix: "kafclaw-sandbox-" });
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    return new WorkerSandbox(workspace, config, { dir, owned, reason });
  }

  /**
   * Without the unsandboxed mode: throws SandboxError (code `unavailable`). With it: runs
   * `sh -c command` on the host in the workspace with a clean environment, the call's time limit
   * and output cap, and kills its whole process group at the end.
   */
  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.#closed) throw new SandboxError(`Cannot run a command: the sandbox is closed`);
    if (!this.#config.unsandboxed) {
      throw new SandboxError(
        `Cannot run ${JSON.stringify(command)}: exec is off because bubblewrap is not ` +
          `available (${this.reason}). Install bubblewrap (for example ` +
          `\`apt-get install bubblewrap\`; \`${this.#config.command} doctor\` explains what is ` +
          "missing), or turn " +
          "on the unsandboxed mode, where every command needs the owner's approval",
        { code: "unavailable" },
      );
    }
    return await this.#serial.run(() => this.#execUnsandboxed(command, options));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new SandboxError("Cannot finish the command: the sandbox was closed"));
    await this.#serial.run(() => this.#client.close());
    if (this.#ownsStateDir) await Deno.remove(this.#stateDir, { recursive: true }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #execUnsandboxed(command: string, options: ExecOptions): Promise<ExecResult> {
    const cwd = await this.#hostFolder(options.cwd ?? "");
    return await runBounded("sh", {
      args: ["-c", GROUP_WRAPPER, "kafclaw-exec", command],
      env: { PATH: HOST_PATH, HOME: this.workspace, LANG: "C.UTF-8" },
      cwd,
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      signal: options.signal === undefined
        ? this.#closing.signal
        : AbortSignal.any([options.signal, this.#closing.signal]),
      killGroup: true,
    });
  }

  /** A workspace folder's real host path; refuses what leads outside. */
  async #hostFolder(path: string): Promise<string> {
    const what = `Cannot run in ${JSON.stringify(path)}`;
    const split = splitWorkspacePath(path);
    if (!split.ok) throw new SandboxError(`${what}: ${split.reason}`, { code: "outside" });
    let real: string;
    try {
      real = await Deno.realPath([this.workspace, ...split.parts].join("/"));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new SandboxError(`${what}: no such folder in the workspace`, { code: "not_found" });
    }
    if (real !== this.workspace && !real.startsWith(`${this.workspace}/`)) {
      throw new SandboxError(`${what}: the path leads outside the workspace`, { code: "outside" });
    }
    return real;
  }

  #spawnHelper(): Deno.ChildProcess {
    const { helper } = this.#config;
    const [program = helper.path, ...args] = helperCommand(helper.path, {
      compiled: helper.compiled,
      config: {
        root: this.workspace,
        gitGuard: null,
        maxFileBytes: this.#config.limits.fileSizeBytes,
      },
    });
    return new Deno.Command(program, {
      args,
      cwd: this.#stateDir,
      clearEnv: true,
      env: { DENO_DIR: `${this.#stateDir}/deno`, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }
}
