/**
 * How `kafclaw kshark` shows a run: on a terminal without `NO_COLOR`, a spinner naming the check
 * that runs and then the coloured table; otherwise one plain line per check as it ends and the
 * summary. And report files written whole or not at all.
 *
 * @module
 */
import { dirname } from "node:path";
import type { CliContext } from "./_context.ts";
import { CliError } from "./_errors.ts";
import { terminalSafe } from "./_io.ts";
import type { Report, Row } from "../kshark/mod.ts";

type Kshark = typeof import("../kshark/mod.ts");

/** The progress callbacks of one run, and what prints its end. */
export interface Progress {
  row(row: Row): void;
  start(what: string): void;
  done(report: Report): void;
}

function colourWanted(ctx: CliContext): boolean {
  let noColour = true;
  try {
    noColour = Boolean(ctx.env().NO_COLOR);
  } catch {
    // No env permission: stay plain.
  }
  return !noColour && Deno.stdout.isTerminal();
}

/** The progress of a run as this output wants it (see the module doc). */
export function showProgress(ctx: CliContext, k: Kshark): Progress {
  if (!colourWanted(ctx)) {
    return {
      row: (row) => ctx.io.out(k.plainLine(row)),
      start: () => {},
      done: (report) => ctx.io.out(k.summaryText(report)),
    };
  }
  const encoder = new TextEncoder();
  const raw = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  let frame = 0;
  let count = 0;
  return {
    row: () => void count++,
    start: (what) =>
      raw(`\r\x1b[K${k.spinnerFrame(frame++)} ${count} done, checking ${terminalSafe(what)}…`),
    done: (report) => {
      raw("\r\x1b[K");
      const safe = report.rows.map((r) => ({
        ...r,
        component: terminalSafe(r.component),
        target: terminalSafe(r.target),
        detail: terminalSafe(r.detail),
        ...(r.hint ? { hint: terminalSafe(r.hint) } : {}),
      }));
      Deno.stdout.writeSync(encoder.encode(k.table(safe, true) + "\n"));
      ctx.io.out(k.summaryText(report));
    },
  };
}

/** Writes a report file whole (a temporary file renamed over it); a CliError naming the flag. */
export async function writeReportFile(path: string, text: string, flag: string): Promise<void> {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new CliError(
      `Cannot write ${flag} "${path}": ${error instanceof Error ? error.message : error}`,
    );
  }
}
