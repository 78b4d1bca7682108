/**
 * `doctor`'s checks of what KafClaw has stored: room on KAFCLAW_HOME's disk, the timeline
 * database's integrity (SQLite's quick check, read-only) and whether every session file reads.
 * Each works on a full disk.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../config/mod.ts";
import { SessionStore } from "../agent/mod.ts";
import { checkTimeline, freeBytes, MIN_FREE_BYTES, showBytes } from "../timeline/mod.ts";
import type { CheckResult } from "./mod.ts";

/** Below this much free space `doctor` warns: a few days of sessions and memory may not fit. */
const LOW_BYTES = 64 * 1024 * 1024;

/** The free space on KAFCLAW_HOME's disk. */
export function diskCheck(config: ResolvedConfig): CheckResult {
  const free = freeBytes(config.home);
  const detail = `${showBytes(free)} free on the disk of ${config.home}`;
  if (free < MIN_FREE_BYTES) {
    return {
      check: "disk",
      status: "fail",
      detail: `${detail}: agent and cron do not start with less than ${showBytes(MIN_FREE_BYTES)}`,
      hint: `free some space on the disk of ${config.home}`,
    };
  }
  if (free < LOW_BYTES) {
    return {
      check: "disk",
      status: "warn",
      detail: `${detail}: little room for sessions and memory`,
      hint: `free some space on the disk of ${config.home}`,
    };
  }
  return { check: "disk", status: "ok", detail };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The timeline database's integrity. */
export async function databaseCheck(config: ResolvedConfig): Promise<CheckResult> {
  const path = paths(config).timeline;
  if (!await exists(path)) {
    return { check: "database", status: "ok", detail: `${path} does not exist yet` };
  }
  const { ok, problems } = checkTimeline(path);
  if (ok) return { check: "database", status: "ok", detail: `${path}: quick check ok` };
  return {
    check: "database",
    status: "fail",
    detail: `${path} is damaged: ${problems.join("; ")}`,
    hint: `stop every kafclaw, then restore ${path} from a backup, or move it aside ` +
      "(a new one starts empty: approvals, jobs and memory are lost; sessions are kept)",
  };
}

/** Whether every session file reads. */
export async function sessionsCheck(config: ResolvedConfig): Promise<CheckResult> {
  const dir = paths(config).sessions;
  const damaged = await new SessionStore(dir).damaged();
  if (damaged.length === 0) {
    return { check: "sessions", status: "ok", detail: `every session file in ${dir} reads` };
  }
  const where = damaged.map((d) =>
    `${d.file} line${d.lines.length > 1 ? "s" : ""} ${d.lines.join(", ")}`
  );
  return {
    check: "sessions",
    status: "warn",
    detail: `lines that cannot be read (cut short by a crash or a full disk) are skipped: ` +
      where.join("; "),
    hint: "nothing to do unless those lines matter: the rest of each session still reads",
  };
}
