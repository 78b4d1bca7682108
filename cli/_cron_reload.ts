/**
 * `cron serve` follows config.json: when the file changes, or on SIGHUP, it is read again and its
 * `scheduler.jobs` applied at once, with a line saying what changed. Other changed keys are named
 * as needing a restart. A file that does not load, or that others could write, is not applied, and
 * the line says why; the jobs stay as they were.
 *
 * @module
 */
import {
  checkConfigTrust,
  type ConfigFileChange,
  getAt,
  KEYS,
  loadConfig,
  type ResolvedConfig,
  watchConfigFile,
} from "../core/config/mod.ts";
import type { JobSyncResult } from "../core/timeline/mod.ts";
import type { CliContext } from "./mod.ts";

/** What following the config needs from `cron serve`. */
export interface FollowOptions {
  /** Applies the jobs of a config, as at start. */
  readonly syncJobs: (config: ResolvedConfig) => JobSyncResult;
  /** How often the file is looked at (default 1 s). */
  readonly intervalMs?: number;
}

function listed(result: JobSyncResult): string {
  const parts = [
    ["added", result.added],
    ["changed", result.changed],
    ["removed", result.removed],
  ].flatMap(([what, names]) => names!.length ? [`${what} ${(names as string[]).join(", ")}`] : []);
  return parts.length ? `scheduler.jobs applied: ${parts.join("; ")}` : "no job changed";
}

/** The keys, other than scheduler.jobs, whose values differ between two configs. */
function otherChanges(before: ResolvedConfig, after: ResolvedConfig): string[] {
  return KEYS.keys.filter((k) =>
    k.key !== "scheduler.jobs" &&
    JSON.stringify(getAt(before, k.segments)) !== JSON.stringify(getAt(after, k.segments))
  ).map((k) => k.key);
}

/** Starts following `config.file`; dispose of the result to stop. */
export function followConfig(
  ctx: CliContext,
  config: ResolvedConfig,
  options: FollowOptions,
): Disposable {
  let current = config;
  const file = config.file;
  const reload = async (why: ConfigFileChange) => {
    const seen = why === "SIGHUP" ? `SIGHUP: read ${file} again` : `${file} changed`;
    let next: ResolvedConfig;
    let result: JobSyncResult;
    try {
      next = await loadConfig({ env: ctx.env(), home: config.home });
      await checkConfigTrust(next.file);
      result = options.syncJobs(next);
    } catch (error) {
      ctx.io.err(`kafclaw: ${seen} but was not applied: ${(error as Error).message}`);
      return;
    }
    ctx.io.err(`kafclaw: ${seen}: ${listed(result)}`);
    const others = otherChanges(current, next);
    if (others.length > 0) {
      ctx.io.err(
        `kafclaw: ${file} also changed ${others.join(", ")}: restart cron serve to apply ` +
          (others.length === 1 ? "it" : "them"),
      );
    }
    current = next;
  };
  return watchConfigFile(
    file,
    reload,
    options.intervalMs ? { intervalMs: options.intervalMs } : {},
  );
}
