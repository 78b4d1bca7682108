/**
 * The kshark reports the gateway can show: the HTML pages `kafclaw kshark` keeps in
 * `$KAFCLAW_HOME/kshark/` (cli/_kshark_keep.ts), listed newest first with the verdict of the JSON
 * beside each; and one read by its name. Only a plain file of that folder with a plain name is
 * listed or read (no path, no symbolic link, at most {@link MAX_REPORT_BYTES}). The dashboard
 * shows a report on its own origin through a one-time view code (dashboard/codes.ts), in a
 * sandboxed frame whose policy ({@link REPORT_CSP}) lets it load and run nothing.
 *
 * @module
 */
import { join } from "node:path";

/** The largest report page read. */
export const MAX_REPORT_BYTES = 5 * 1024 * 1024;

/** The largest JSON beside a page read for its verdict. */
const MAX_SUMMARY_BYTES = 1024 * 1024;

/** How many reports a listing holds at most. */
export const LISTED_REPORTS = 50;

/** What a report's page may do: apply its own inline style and show inline images, nothing else. */
export const REPORT_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  "sandbox",
].join("; ");

/** The name of a report page: letters, digits, `.`, `_` and `-`, ending in `.html`. */
export const REPORT_NAME = /^[\w-][\w.-]{0,199}\.html$/;

/** One kept report. */
export interface ReportEntry {
  readonly name: string;
  readonly size: number;
  readonly modified_at: string | null;
  /** When the run started, from its JSON; null without one. */
  readonly started_at: string | null;
  /** The run's counts of OK, WARN, FAIL and SKIP, from its JSON; null without one. */
  readonly total: { ok: number; warn: number; fail: number; skip: number } | null;
}

/** A plain file of `dir` named `name`, or undefined (missing, a link, a folder). */
async function plainFile(dir: string, name: string): Promise<Deno.FileInfo | undefined> {
  const info = await Deno.lstat(join(dir, name)).catch(() => undefined);
  return info?.isFile ? info : undefined;
}

async function summaryOf(dir: string, name: string) {
  const json = name.replace(/\.html$/, ".json");
  const info = await plainFile(dir, json);
  if (info === undefined || info.size > MAX_SUMMARY_BYTES) return { started_at: null, total: null };
  try {
    const report = JSON.parse(await Deno.readTextFile(join(dir, json)));
    const total = report?.summary?.total;
    const counts = ["ok", "warn", "fail", "skip"].every((k) => Number.isInteger(total?.[k]));
    return {
      started_at: typeof report?.startedAt === "string" ? report.startedAt : null,
      total: counts ? { ok: total.ok, warn: total.warn, fail: total.fail, skip: total.skip } : null,
    };
  } catch {
    return { started_at: null, total: null };
  }
}

/** The report pages of `dir`, newest first (none when it does not exist). */
export async function listReports(dir: string): Promise<ReportEntry[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && REPORT_NAME.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const entries: ReportEntry[] = [];
  for (const name of names) {
    const info = await plainFile(dir, name);
    if (info === undefined) continue;
    entries.push({
      name,
      size: info.size,
      modified_at: info.mtime?.toISOString() ?? null,
      ...await summaryOf(dir, name),
    });
  }
  const time = (e: ReportEntry) => e.started_at ?? e.modified_at ?? "";
  return entries.sort((a, b) => time(b).localeCompare(time(a)) || b.name.localeCompare(a.name))
    .slice(0, LISTED_REPORTS);
}

/** The page `name` of `dir`, or undefined when it is not a report this folder holds. */
export async function readReport(dir: string, name: string): Promise<string | undefined> {
  if (!REPORT_NAME.test(name)) return undefined;
  const info = await plainFile(dir, name);
  if (info === undefined || info.size > MAX_REPORT_BYTES) return undefined;
  return await Deno.readTextFile(join(dir, name)).catch(() => undefined);
}
