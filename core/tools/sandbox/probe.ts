/**
 * Whether bubblewrap confines commands on this machine, and if not, why and what to do: what
 * `kafclaw doctor` prints. It does not guess from versions: it opens a real sandbox on a
 * scratch workspace, runs a command in it and lists it through the file helper.
 *
 * @module
 */
import { realWorkspace } from "./_host.ts";
import { BwrapSandbox } from "./bwrap_sandbox.ts";
import { resolveSandboxOptions, type SandboxOptions } from "./options.ts";
import { SandboxError } from "./types.ts";

/** The outcome of {@link probeSandbox}. */
export interface SandboxProbe {
  /** bubblewrap works here: exec and the file tools are kernel-confined. */
  readonly available: boolean;
  /** What was found, in one sentence. */
  readonly reason: string;
  /** What the owner can do about it; null when nothing is needed. */
  readonly hint: string | null;
}

const FALLBACK = "Until then the file tools run in a permission-narrowed Deno process and exec " +
  "is off, unless the owner turns on the unsandboxed mode (every command then needs approval)";

async function sysctl(name: string): Promise<string | null> {
  try {
    return (await Deno.readTextFile(`/proc/sys/${name.replaceAll(".", "/")}`)).trim();
  } catch {
    return null;
  }
}

/** The hint for user namespaces that the kernel refuses, naming the switch that is off. */
async function namespaceHint(): Promise<string> {
  const switches: string[] = [];
  if (await sysctl("kernel.apparmor_restrict_unprivileged_userns") === "1") {
    switches.push(
      "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10 and later): " +
        "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give bwrap an " +
        "AppArmor profile that allows userns",
    );
  }
  if (await sysctl("kernel.unprivileged_userns_clone") === "0") {
    switches.push("`sudo sysctl -w kernel.unprivileged_userns_clone=1` (Debian)");
  }
  if (await sysctl("user.max_user_namespaces") === "0") {
    switches.push("`sudo sysctl -w user.max_user_namespaces=15000`");
  }
  if (switches.length === 0) {
    switches.push(
      "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or " +
        "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04); in a container, run " +
        "it with user namespaces allowed (for example Docker's --security-opt " +
        "seccomp=unconfined --security-opt apparmor=unconfined)",
    );
  }
  return `Enable user namespaces: ${switches.join("; ")}. ${FALLBACK}`;
}

/** Turns a failed start into a reason and a hint (exported for tests). */
export async function explainFailure(message: string): Promise<SandboxProbe> {
  const reason = message.replace(/^Cannot start bubblewrap: /, "");
  if (/execvp bash\b/.test(message)) {
    return {
      available: false,
      reason,
      hint: `Install bash: each command's first process in the sandbox is bash. ${FALLBACK}`,
    };
  }
  if (/not installed/.test(message)) {
    return {
      available: false,
      reason: "bubblewrap (bwrap) is not installed",
      hint: "Install it: `sudo apt-get install bubblewrap` (Debian, Ubuntu), `sudo dnf install " +
        `bubblewrap\` (Fedora), \`sudo pacman -S bubblewrap\` (Arch). ${FALLBACK}`,
    };
  }
  if (/(prlimit|setpriv|sh): .*(not found|No such file)|execvp/.test(message)) {
    return {
      available: false,
      reason,
      hint: `Install util-linux (prlimit, setpriv), which the sandbox runs. ${FALLBACK}`,
    };
  }
  if (/ timed out after /.test(message)) {
    return {
      available: false,
      reason,
      hint: "The machine was too busy for bubblewrap to start in time: run the check again " +
        `when it is less loaded. ${FALLBACK}`,
    };
  }
  if (/namespace|uid map|Operation not permitted|Permission denied/i.test(message)) {
    return { available: false, reason, hint: await namespaceHint() };
  }
  return { available: false, reason, hint: FALLBACK };
}

async function bwrapVersion(): Promise<string> {
  const output = await new Deno.Command("bwrap", { args: ["--version"], stdin: "null" }).output();
  return new TextDecoder().decode(output.stdout).trim() || "bubblewrap";
}

/**
 * Checks that bubblewrap confines commands and runs the file helper here.
 *
 * @example
 * ```ts ignore
 * const probe = await probeSandbox();
 * console.log(probe.available ? probe.reason : `${probe.reason}\n${probe.hint}`);
 * ```
 */
export async function probeSandbox(
  options: SandboxOptions & { readonly scratchDir?: string } = {},
): Promise<SandboxProbe> {
  if (Deno.build.os !== "linux") {
    return {
      available: false,
      reason: `bubblewrap needs Linux; this is ${Deno.build.os}`,
      hint: FALLBACK,
    };
  }
  // A process whose writes are narrowed to KAFCLAW_HOME passes a scratch folder there.
  const scratch = await Deno.makeTempDir({
    prefix: "kafclaw-probe-",
    ...(options.scratchDir ? { dir: options.scratchDir } : {}),
  });
  try {
    const config = resolveSandboxOptions({ ...options, stateDir: `${scratch}/state` });
    const workspace = await realWorkspace(`${scratch}/workspace`);
    const started = performance.now();
    const sandbox = await BwrapSandbox.open(workspace, config);
    try {
      const execMs = Math.round(performance.now() - started);
      const helperStarted = performance.now();
      await sandbox.fs.list(".");
      const helperMs = Math.round(performance.now() - helperStarted);
      const uid = (await Deno.stat(`${scratch}/state`)).uid;
      const who = uid === 0 ? `, dropping from root to uid ${config.uid}` : "";
      return {
        available: true,
        reason: `${await bwrapVersion()} confines commands and file tools (no network${who}; ` +
          `a command starts in ${execMs} ms, the file helper in ${helperMs} ms)`,
        hint: null,
      };
    } finally {
      await sandbox.close();
    }
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    return await explainFailure(error.message);
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
