/**
 * Rows printed as columns: each cell padded to its column's widest, two spaces between, no
 * trailing blanks (what `cron list`, `config keys` and `group members` print).
 *
 * @module
 */

/** `rows` (a header first, as a rule) as aligned lines, joined by newlines. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows
    .map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd())
    .join("\n");
}
