/**
 * Whether bubblewrap works here, remembered. Opening a sandbox starts bubblewrap once to find
 * out (25-40 ms of every start); the answer changes only with what it depends on, so it is kept
 * in a small file (0600, under KAFCLAW_HOME) with those inputs, and bubblewrap is checked again
 * when any of them changed: the `bwrap` binary the sandbox runs (path, device, inode, size,
 * mtime, ctime), the kernel's release, the time it booted (every reboot checks again), the uid
 * this process runs as, the workspace and what the check asks of bubblewrap; and when the answer
 * is a day old.
 *
 * The kernel's user-namespace switches (`kernel.unprivileged_userns_clone` and the like) are not
 * among the inputs: Deno lets a process read /proc only with every permission, which the agent
 * does not have. They are usually set at boot, which counts; one changed by hand is found by the
 * next check within the day, by `kafclaw doctor`, or by the next command, which then fails with
 * bubblewrap's own message (never runs unconfined).
 *
 * Only a working bubblewrap is remembered: a refusal is checked at every start, so a passing
 * failure never turns the sandbox off for good. Where an input cannot be read (no permission for
 * it, another OS), nothing is remembered and every start checks, as before.
 *
 * @module
 */
import { HOST_PATH } from "./_bwrap_args.ts";

/**
 * The `bwrap` the sandbox may run: one in each folder of the PATH it starts bubblewrap with
 * (core/permissions grants reading exactly these, as SANDBOX_PROBE_READS).
 */
export const BWRAP_CANDIDATES: readonly string[] = HOST_PATH.split(":").map((d) => `${d}/bwrap`);

/**
 * What the check asks of bubblewrap, named so that an answer remembered for an older check is
 * not trusted: exec now runs bash as pid 1 under a seccomp filter read from stdin.
 */
const CHECK = "exec as pid 1 (bash), seccomp on stdin";

/** How long a remembered answer is trusted though none of its inputs changed. */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** How far two readings of the boot time may differ for the same boot (clock adjustments). */
const BOOT_SLACK_SECONDS = 10;

/** The remembered check for one workspace. */
export interface ProbeMemory {
  /** Whether bubblewrap was found working here, with the same inputs, within the last day. */
  recall(): Promise<boolean>;
  /** Remembers that bubblewrap works here now. Never throws. */
  remember(): Promise<void>;
  /** Forgets it (opening failed where it was remembered working). Never throws. */
  forget(): Promise<void>;
}

/** What the check's answer depends on (the boot time apart); undefined where it cannot be read. */
export async function probeInputs(
  workspace: string,
  uid: number | null,
): Promise<string | undefined> {
  if (uid === null) return undefined;
  try {
    let bwrap = "none";
    for (const path of BWRAP_CANDIDATES) {
      const info = await Deno.stat(path).catch((error) => {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      });
      if (info === undefined) continue;
      const times = `${info.mtime?.getTime()} ${info.ctime?.getTime()}`;
      bwrap = `${path} ${info.dev}:${info.ino} ${info.size} ${times}`;
      break;
    }
    return [
      `workspace ${workspace}`,
      `uid ${uid}`,
      `bwrap ${bwrap}`,
      `kernel ${Deno.osRelease()}`,
      `check ${CHECK}`,
    ].join("\n");
  } catch {
    return undefined;
  }
}

/** When the machine booted, in seconds since the epoch; undefined where it cannot be read. */
function bootTime(): number | undefined {
  try {
    return Math.round(Date.now() / 1000 - Deno.osUptime());
  } catch {
    return undefined;
  }
}

/**
 * The remembered check for `workspace`, kept in `file`. Its folder is created 0700 when missing;
 * the uid the check runs as is read from it.
 */
export async function probeMemory(file: string, workspace: string): Promise<ProbeMemory> {
  const folder = file.slice(0, file.lastIndexOf("/"));
  let inputs: string | undefined;
  try {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    inputs = await probeInputs(workspace, (await Deno.stat(folder)).uid);
  } catch {
    inputs = undefined;
  }
  const booted = bootTime();
  const known = inputs !== undefined && booted !== undefined;
  return {
    async recall() {
      if (!known) return false;
      try {
        const saved = JSON.parse(await Deno.readTextFile(file));
        const age = Date.now() - saved?.checkedAt;
        return saved.inputs === inputs && Math.abs(saved.booted - booted) <= BOOT_SLACK_SECONDS &&
          age >= 0 && age < MAX_AGE_MS;
      } catch {
        return false;
      }
    },
    async remember() {
      if (!known) return;
      const temp = `${file}.${crypto.randomUUID().slice(0, 8)}.tmp`;
      try {
        const text = JSON.stringify({ inputs, booted, checkedAt: Date.now() });
        await Deno.writeTextFile(temp, text + "\n", { mode: 0o600, createNew: true });
        await Deno.rename(temp, file);
      } catch {
        await Deno.remove(temp).catch(() => {});
      }
    },
    async forget() {
      await Deno.remove(file).catch(() => {});
    },
  };
}
