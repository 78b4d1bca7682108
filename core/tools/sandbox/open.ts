/**
 * Opening a sandbox: bubblewrap where it works, the permission-narrowed fallback otherwise.
 *
 * @module
 */
import { realWorkspace } from "./_host.ts";
import { BwrapSandbox } from "./bwrap_sandbox.ts";
import {
  type ResolvedSandboxConfig,
  resolveSandboxOptions,
  type SandboxOptions,
} from "./options.ts";
import { probeMemory } from "./probe_cache.ts";
import { type Sandbox, SandboxError } from "./types.ts";
import { WorkerSandbox } from "./worker_sandbox.ts";

/**
 * Opens the sandbox of one workspace (created, 0700, when missing). With `prefer: "bwrap"` (the
 * default) it starts bubblewrap once to check that it works here (unless `probeCache` remembers
 * that it does), and falls back to the `worker` kind when bubblewrap is missing or refused; the
 * fallback's `reason` says why. Close it (or `await using` it) to stop its file helper.
 *
 * @example
 * ```ts ignore
 * await using sandbox = await openSandbox("/home/me/.kafclaw/workspace");
 * const result = await sandbox.exec("ls", { timeoutMs: 10000, maxOutputBytes: 65536 });
 * await sandbox.fs.writeText("notes/today.md", "# Today\n");
 * ```
 */
export async function openSandbox(
  workspace: string,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const config = resolveSandboxOptions(options);
  const real = await realWorkspace(workspace);
  let reason = "the worker sandbox was asked for";
  if (config.prefer === "bwrap") {
    if (Deno.build.os !== "linux") {
      reason = `bubblewrap needs Linux; this is ${Deno.build.os}`;
    } else {
      try {
        return await openBwrap(real, config);
      } catch (error) {
        if (!(error instanceof SandboxError) || error.code !== "unavailable") throw error;
        reason = error.message;
      }
    }
  }
  return await WorkerSandbox.open(real, config, reason);
}

/** The bubblewrap sandbox, checked unless the probe cache remembers that bubblewrap works here. */
async function openBwrap(workspace: string, config: ResolvedSandboxConfig): Promise<Sandbox> {
  if (config.probeCache === null) return await BwrapSandbox.open(workspace, config);
  const memory = await probeMemory(config.probeCache, workspace);
  const checked = await memory.recall();
  try {
    const sandbox = await BwrapSandbox.open(workspace, config, { checked });
    if (!checked) await memory.remember();
    return sandbox;
  } catch (error) {
    if (checked) await memory.forget();
    throw error;
  }
}
