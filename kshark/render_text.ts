/**
 * The report for people: a table with a coloured status column on a terminal, or one plain line
 * per row (as each check ends) when output is not a terminal or `NO_COLOR` is set; then the
 * per-layer summary.
 *
 * @module
 */
import { LAYERS, type Report, type Row, type Status } from "./report.ts";

const COLOURS: Readonly<Record<Status, string>> = {
  OK: "\x1b[32m",
  WARN: "\x1b[33m",
  FAIL: "\x1b[31m",
  SKIP: "\x1b[2m",
};
const RESET = "\x1b[0m";

/** One row as one plain line: `FAIL  L4-TCP      TCP 127.0.0.1:1  detail (hint: …)`. */
export function plainLine(row: Row): string {
  const hint = row.hint ? ` (hint: ${row.hint})` : "";
  return `${row.status.padEnd(4)}  ${
    row.layer.padEnd(10)
  }  ${row.component} ${row.target}: ${row.detail}${hint}`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`;
}

/** The rows as a table, the status column coloured when `colour`; hints on lines of their own. */
export function table(rows: readonly Row[], colour: boolean): string {
  const widths = {
    status: 6,
    layer: Math.max(5, ...rows.map((r) => r.layer.length)),
    component: Math.min(18, Math.max(9, ...rows.map((r) => r.component.length))),
    target: Math.min(40, Math.max(6, ...rows.map((r) => r.target.length))),
  };
  const head = `${"STATUS".padEnd(widths.status)}  ${"LAYER".padEnd(widths.layer)}  ` +
    `${"COMPONENT".padEnd(widths.component)}  ${"TARGET".padEnd(widths.target)}  DETAIL`;
  const lines = [head];
  for (const row of rows) {
    const status = row.status.padEnd(widths.status);
    lines.push(
      `${colour ? COLOURS[row.status] + status + RESET : status}  ${
        row.layer.padEnd(widths.layer)
      }  ` +
        `${cut(row.component, widths.component)}  ${cut(row.target, widths.target)}  ${row.detail}`,
    );
    if (row.hint) lines.push(`${" ".repeat(widths.status + 2)}↳ ${row.hint}`);
  }
  return lines.join("\n");
}

/** The per-layer summary, and the verdict when nothing failed. */
export function summaryText(report: Report): string {
  const lines = ["", "summary:"];
  for (const layer of [...LAYERS, "total"]) {
    const c = report.summary[layer];
    if (!c) continue;
    lines.push(`  ${layer.padEnd(10)}  ${c.ok} ok, ${c.warn} warn, ${c.fail} fail, ${c.skip} skip`);
  }
  // A failed run's verdict is the error the command exits with.
  if ((report.summary.total?.fail ?? 0) === 0) lines.push("kshark: no check failed");
  return lines.join("\n");
}

/** A spinner frame for the progress indicator. */
export function spinnerFrame(n: number): string {
  const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  return frames[n % frames.length]!;
}
