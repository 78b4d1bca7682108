/**
 * Full disks for tests, two ways:
 * - {@link smallDisk}: a real small tmpfs, where this machine lets the test mount one (as root
 *   with mount allowed); {@link TMPFS} says whether it can, and tests that need one are ignored
 *   (reported as skipped) where it cannot;
 * - {@link sizeLimited}: a child process under a file-size limit (`prlimit --fsize`, with SIGXFSZ
 *   ignored), where a write past the limit fails half-way as on a full disk. It needs no
 *   privileges, so it runs everywhere.
 */
import { statfsSync } from "node:fs";

/** A mounted tmpfs of a few MiB that can be filled. */
export interface SmallDisk extends AsyncDisposable {
  /** Its mount point. */
  readonly path: string;
  /** Fills it until about `leaveBytes` are free. */
  fill(leaveBytes?: number): Promise<void>;
  /** Removes what {@link SmallDisk.fill} wrote. */
  drain(): Promise<void>;
  /** Bytes free now. */
  free(): number;
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Mounts a tmpfs of `sizeKiB` on a fresh folder; undefined where this machine does not allow it. */
export async function smallDisk(sizeKiB = 2048): Promise<SmallDisk | undefined> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-disk-" });
  if (!await run("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0755`, "tmpfs", path])) {
    await Deno.remove(path);
    return undefined;
  }
  const filler = `${path}/.filler`;
  const free = () => {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  };
  return {
    path,
    free,
    async fill(leaveBytes = 0) {
      using file = await Deno.open(filler, { create: true, append: true });
      const block = new Uint8Array(4096);
      try {
        while (free() > leaveBytes) {
          const want = Math.min(block.length, Math.max(1, free() - leaveBytes));
          await file.write(block.subarray(0, want));
        }
      } catch (error) {
        if (!/\(os error 28\)/.test((error as Error).message)) throw error;
      }
    },
    drain: () => Deno.remove(filler).catch(() => {}),
    async [Symbol.asyncDispose]() {
      await run("umount", ["-l", path]);
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Whether {@link smallDisk} works on this machine (checked once, by mounting one). */
export const TMPFS: boolean = await (async () => {
  const disk = await smallDisk(64);
  await disk?.[Symbol.asyncDispose]();
  return disk !== undefined;
})();

/**
 * A command that runs `cmd args` with every file it writes limited to `maxBytes`: a write past
 * the limit fails with "File too large" after writing what fits, as a full disk would.
 */
export function sizeLimited(
  maxBytes: number,
  cmd: string,
  args: readonly string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command("sh", {
    ...options,
    args: [
      "-c",
      `trap '' XFSZ; exec prlimit --fsize=${maxBytes} -- "$@"`,
      "sh",
      cmd,
      ...args,
    ],
  });
}
