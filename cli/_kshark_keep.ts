/**
 * The reports `kafclaw kshark` keeps for the dashboard: when KAFCLAW_HOME exists, each run's HTML
 * page and JSON go to `$KAFCLAW_HOME/kshark/` (0700; the files 0600, written whole), named by
 * the run's start (`kshark-2026-12-05T09-30-00Z-1a2b.html`), the newest {@link KEPT_REPORTS}
 * runs kept. A report that cannot be kept is one warning line; the run's result stands.
 *
 * @module
 */
import { join } from "node:path";
import type { CliContext } from "./_context.ts";
import type { Report } from "../kshark/mod.ts";

/** How many runs' reports the folder keeps. */
export const KEPT_REPORTS = 20;

const KEPT_NAME = /^kshark-[\dT:Z-]+-[0-9a-f]{4}\.(html|json)$/;

async function writeWhole(path: string, text: string): Promise<void> {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, { mode: 0o600 });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Removes all but the newest `keep` runs' files of `dir` (the names sort by time). */
async function prune(dir: string, keep: number): Promise<void> {
  const stems = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && KEPT_NAME.test(entry.name)) stems.add(entry.name.replace(/\.\w+$/, ""));
  }
  const old = [...stems].sort().slice(0, Math.max(0, stems.size - keep));
  for (const stem of old) {
    for (const ext of ["html", "json"]) {
      await Deno.remove(join(dir, `${stem}.${ext}`)).catch(() => {});
    }
  }
}

/** Keeps `report` (its HTML page `html`) in the home's kshark folder; see the module doc. */
export async function keepReport(ctx: CliContext, report: Report, html: string): Promise<void> {
  const { ksharkReportsDir, resolveHome } = await import("../core/config/mod.ts");
  let dir = "";
  try {
    const home = resolveHome(ctx.env());
    if (!(await Deno.stat(home).catch(() => undefined))?.isDirectory) return;
    dir = ksharkReportsDir(home);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const stamp = report.startedAt.replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
    const stem = `kshark-${stamp}-${crypto.randomUUID().slice(0, 4)}`;
    await writeWhole(join(dir, `${stem}.json`), JSON.stringify(report, null, 2) + "\n");
    await writeWhole(join(dir, `${stem}.html`), html);
    await prune(dir, KEPT_REPORTS);
  } catch (error) {
    const where = dir === "" ? "KAFCLAW_HOME" : dir;
    ctx.io.err(
      `kafclaw: WARNING: the report is not kept in ${where} for the dashboard: ${
        error instanceof Error ? error.message.split("\n")[0] : error
      }`,
    );
  }
}
