/**
 * The kernel-confined sandbox: `exec` and the file tools run inside bubblewrap, where the only
 * files are the workspace (at /work, the only writable bind), read-only system folders and a
 * small /etc of the sandbox's own; no network, no host processes, no inherited environment.
 *
 * Commands and file writes in one workspace run one at a time (reads do not wait): a command
 * is checked for what it planted once all its processes are gone (_scan.ts), and a write or
 * another command running meanwhile could otherwise plant behind that check, or swap a folder
 * for a link under a write.
 *
 * @module
 */
import { FsHelperClient } from "./_fs_client.ts";
import {
  dropArgs,
  HOST_PATH,
  limitArgs,
  SANDBOX_DENO,
  SANDBOX_ROOT,
  sandboxArgs,
  type SandboxView,
  type SystemDir,
} from "./_bwrap_args.ts";
import { BACKSTOP_MS, EXEC_FLAGS, execInner, type GuardedBind } from "./_exec_init.ts";
import {
  adoptWorkspace,
  gitGuard,
  helperBlocked,
  needsAdoption,
  ownUid,
  systemLayout,
  writeSandboxEtc,
} from "./_host.ts";
import { guardedExec } from "./_guarded.ts";
import { runBounded, runCollected } from "./_run.ts";
import type { ViewRunner } from "./_scan.ts";
import { seccompFilter } from "./_seccomp.ts";
import { Serial } from "./_serial.ts";
import { checkPatiently, timedOutReason } from "./_start_check.ts";
import { helperCommand } from "./helper.ts";
import type { ResolvedSandboxConfig } from "./options.ts";
import { splitWorkspacePath } from "./paths.ts";
import {
  type ExecOptions,
  type ExecResult,
  type Sandbox,
  SandboxError,
  type WorkspaceFs,
} from "./types.ts";

const EXEC_ENV = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: SANDBOX_ROOT,
  TMPDIR: "/tmp",
  LANG: "C.UTF-8",
  USER: "sandbox",
};
/** Threads the file helper (a Deno runtime) may have. */
const HELPER_PROCESSES = 128;
const HELPER_ENV = { ...EXEC_ENV, DENO_DIR: "/tmp/deno", NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
/** The time limit of one scan of the workspace for protected files. */
const SCAN_TIMEOUT_MS = 120000;

/** The folder a command runs in, as parts below the workspace; refuses one outside it. */
function folderOf(options: ExecOptions): readonly string[] {
  const cwd = splitWorkspacePath(options.cwd ?? "");
  if (cwd.ok) return cwd.parts;
  throw new SandboxError(`Cannot run in ${JSON.stringify(options.cwd)}: ${cwd.reason}`, {
    code: "outside",
  });
}

/** What the host side keeps for one bubblewrap sandbox. */
interface Host {
  readonly workspace: string;
  readonly system: readonly SystemDir[];
  readonly stateDir: string;
  readonly ownsStateDir: boolean;
  /** Set when this process runs as root: the uid and gid the sandbox drops to. */
  readonly drop: { uid: number; gid: number } | null;
}

/** A workspace confined by bubblewrap. Open it with {@link openSandbox}. */
export class BwrapSandbox implements Sandbox {
  readonly kind = "bwrap";
  readonly workspace: string;
  readonly fs: WorkspaceFs;
  readonly #config: ResolvedSandboxConfig;
  readonly #host: Host;
  readonly #client: FsHelperClient;
  /** Commands and file writes, one at a time. */
  readonly #serial = new Serial();
  /** Aborted by close(): commands still running are killed. */
  readonly #closing = new AbortController();
  #closed = false;
  /** Set when what a command left could not be checked: nothing may change the workspace. */
  #broken: string | null = null;

  private constructor(config: ResolvedSandboxConfig, host: Host) {
    this.#config = config;
    this.#host = host;
    this.workspace = host.workspace;
    const client = new FsHelperClient(() => this.#spawnHelper(), {
      timeoutMs: config.fsTimeoutMs,
      startLimitsMs: config.startLimitsMs,
    });
    this.#client = client;
    const writing = <T>(task: () => Promise<T>) => this.#serial.run(() => this.#usable(task));
    this.fs = {
      readText: (path, options) => client.readText(path, options),
      readBytes: (path, options) => client.readBytes(path, options),
      list: (path) => client.list(path),
      writeText: (path, content) => writing(() => client.writeText(path, content)),
      writeBytes: (path, bytes) => writing(() => client.writeBytes(path, bytes)),
    };
  }

  /**
   * Prepares the host side (the sandbox's /etc, and as root the workspace's owner), then runs
   * `true` in the sandbox: bubblewrap missing or refused throws a SandboxError that says why.
   * A `true` that ran out of time runs again under the next of `config.startLimitsMs`: only when
   * the last one times out too is bubblewrap given up on, saying the check timed out.
   * With `checked`, bubblewrap is known to work here (a remembered check) and `true` is not run.
   */
  static async open(
    workspace: string,
    config: ResolvedSandboxConfig,
    options: { readonly checked?: boolean } = {},
  ): Promise<BwrapSandbox> {
    const ownsStateDir = config.stateDir === null;
    const stateDir = config.stateDir ?? await Deno.makeTempDir({ prefix: "kafclaw-sandbox-" });
    try {
      await writeSandboxEtc(`${stateDir}/etc`);
      const system = await systemLayout();
      const root = (await ownUid(`${stateDir}/etc`)) === 0;
      const drop = root ? { uid: config.uid, gid: config.gid } : null;
      if (drop !== null) {
        // Without its file helper the sandbox would run commands but fail every file tool.
        const blocked = await helperBlocked(config.helper.path, drop);
        if (blocked !== null) {
          throw new SandboxError(`Cannot start the file helper: ${blocked}`, {
            code: "unavailable",
          });
        }
        if (needsAdoption(workspace, drop)) {
          const refused = await config.handOver(workspace);
          if (refused !== undefined) throw new SandboxError(refused, { code: "unavailable" });
          await adoptWorkspace(workspace, system, drop);
        }
      }
      const sandbox = new BwrapSandbox(config, { workspace, system, stateDir, ownsStateDir, drop });
      if (options.checked) return sandbox;
      const limits = config.startLimitsMs;
      const check = await checkPatiently(
        limits,
        (timeoutMs) => sandbox.#run("true", { timeoutMs, maxOutputBytes: 4096 }, []),
      );
      if (check.exitCode !== 0) {
        await sandbox.close();
        const why = check.timedOut
          ? timedOutReason("running `true` in the sandbox", limits)
          : (check.stderr || check.stdout).trim() || `exit code ${check.exitCode}`;
        throw new SandboxError(`Cannot start bubblewrap: ${why}`, { code: "unavailable" });
      }
      return sandbox;
    } catch (error) {
      if (ownsStateDir) await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      if (error instanceof Deno.errors.NotFound) {
        throw new SandboxError("Cannot start bubblewrap: bwrap is not installed", {
          code: "unavailable",
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Runs `sh -c command` in the sandbox, with the workspace's protected files (_protected.ts)
   * read-only; what the command planted is set aside once it has ended, and listed in
   * `setAside`. The exit code of a refused start is bwrap's own.
   */
  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.#closed) throw new SandboxError(`Cannot run a command: the sandbox is closed`);
    folderOf(options);
    const guarded = () =>
      guardedExec(command, {
        scan: this.#viewRunner(),
        run: (binds) => this.#run(command, options, binds),
        unchecked: (reason) => this.#broken = reason,
      });
    return await this.#serial.run(() => this.#usable(guarded));
  }

  /** Kills commands still running (their calls reject), stops the file helper, removes its files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new SandboxError("Cannot finish the command: the sandbox was closed"));
    // A command killed now is still checked for what it planted before the files go.
    await this.#serial.idle();
    await this.#client.close();
    if (this.#host.ownsStateDir) {
      await Deno.remove(this.#host.stateDir, { recursive: true }).catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #usable<T>(task: () => Promise<T>): Promise<T> {
    if (this.#broken !== null) {
      throw new SandboxError(`Cannot change the workspace: ${this.#broken}`, { code: "failed" });
    }
    return await task();
  }

  /** One command under exec's first process, the seccomp filter and the limits. */
  async #run(
    command: string,
    options: ExecOptions,
    binds: readonly GuardedBind[],
  ): Promise<ExecResult> {
    const cwd = folderOf(options);
    const filter = seccompFilter(Deno.build.arch);
    if (filter === null) {
      throw new SandboxError(`Cannot run a command on ${Deno.build.arch}: no seccomp filter`, {
        code: "unavailable",
      });
    }
    const readOnly = binds.map((bind) => bind.path);
    const view = this.#view({ cwd, readOnly, deno: null });
    const { limits } = this.#config;
    const inner = execInner(command, { limits, timeoutMs: options.timeoutMs, binds });
    return await runBounded("bwrap", {
      args: this.#argv(view, [...EXEC_FLAGS, ...inner]),
      env: { PATH: HOST_PATH },
      stdin: filter,
      timeoutMs: options.timeoutMs,
      killAfterMs: options.timeoutMs + BACKSTOP_MS,
      maxOutputBytes: options.maxOutputBytes,
      signal: options.signal === undefined
        ? this.#closing.signal
        : AbortSignal.any([options.signal, this.#closing.signal]),
      killGroup: false,
    });
  }

  /** Runs our own commands (scans, renames) in a fresh view of the workspace. */
  #viewRunner(): ViewRunner {
    return (command, options) => {
      const readOnly = options.writable ? [] : [""];
      const view = this.#view({ cwd: [], readOnly, deno: null });
      return runCollected("bwrap", {
        args: this.#argv(view, [...command]),
        env: { PATH: HOST_PATH },
        timeoutMs: SCAN_TIMEOUT_MS,
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      });
    };
  }

  #view(parts: Pick<SandboxView, "cwd" | "readOnly" | "deno">): SandboxView {
    return {
      system: this.#host.system,
      workspace: this.#host.workspace,
      etcDir: `${this.#host.stateDir}/etc`,
      tmpBytes: this.#config.limits.tmpBytes,
      env: parts.deno === null ? EXEC_ENV : HELPER_ENV,
      ...parts,
    };
  }

  #argv(view: SandboxView, inner: string[]): string[] {
    const sandbox = [...sandboxArgs(view), ...inner];
    return this.#host.drop === null ? sandbox : [...dropArgs(view, this.#host.drop), ...sandbox];
  }

  async #spawnHelper(): Promise<Deno.ChildProcess> {
    const guard = await gitGuard(this.#host.workspace);
    // The helper's binary (the Deno CLI, or kafclaw compiled) is bound read-only at SANDBOX_DENO.
    const { helper } = this.#config;
    const view = this.#view({
      cwd: [],
      readOnly: guard === null ? [] : [".git"],
      deno: helper.path,
    });
    // Only processes and open files: V8 reserves far more address space than it uses, the helper
    // stays for the sandbox's life, Deno writes its own cache, and the helper checks the size of
    // what it writes itself.
    const { openFiles } = this.#config.limits;
    const bounded = limitArgs({ processes: HELPER_PROCESSES, openFiles });
    const command = helperCommand(SANDBOX_DENO, {
      compiled: helper.compiled,
      config: {
        root: SANDBOX_ROOT,
        gitGuard: guard,
        maxFileBytes: this.#config.limits.fileSizeBytes,
      },
    });
    return new Deno.Command("bwrap", {
      args: this.#argv(view, [...bounded, ...command]),
      clearEnv: true,
      env: { PATH: HOST_PATH },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }
}
