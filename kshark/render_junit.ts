/**
 * The report as JUnit XML, one test case per check, grouped in one test suite per layer: a FAIL
 * is a `<failure>` (its detail and hint), a SKIP is `<skipped>`, a WARN passes with the warning in
 * its `<system-out>`. CI systems show it as a test report.
 *
 * @module
 */
import { LAYERS, type Report } from "./report.ts";

/** `text` safe inside XML text and attributes (control characters XML forbids dropped). */
export function xmlText(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The JUnit XML of a report. */
export function junitXml(report: Report): string {
  const total = report.summary.total ?? { ok: 0, warn: 0, fail: 0, skip: 0 };
  const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="kshark" tests="${report.rows.length}" failures="${total.fail}" ` +
    `skipped="${total.skip}" timestamp="${report.startedAt}">`,
  ];
  for (const layer of LAYERS) {
    const rows = report.rows.filter((r) => r.layer === layer);
    if (rows.length === 0) continue;
    const c = report.summary[layer]!;
    out.push(
      `  <testsuite name="${layer}" tests="${rows.length}" failures="${c.fail}" skipped="${c.skip}" errors="0">`,
    );
    for (const row of rows) {
      const name = xmlText(`${row.component} ${row.target}`);
      const head = `    <testcase classname="kshark.${layer}" name="${name}" time="${
        seconds(row.ms)
      }"`;
      const detail = xmlText(row.detail);
      if (row.status === "OK") {
        out.push(`${head}/>`);
      } else if (row.status === "SKIP") {
        out.push(`${head}>`, `      <skipped message="${detail}"/>`, `    </testcase>`);
      } else if (row.status === "WARN") {
        out.push(
          `${head}>`,
          `      <system-out>WARN: ${detail}${
            row.hint ? ` (hint: ${xmlText(row.hint)})` : ""
          }</system-out>`,
          `    </testcase>`,
        );
      } else {
        out.push(
          `${head}>`,
          `      <failure message="${detail}" type="FAIL">${detail}${
            row.hint ? `\nhint: ${xmlText(row.hint)}` : ""
          }</failure>`,
          `    </testcase>`,
        );
      }
    }
    out.push(`  </testsuite>`);
  }
  out.push(`</testsuites>`, "");
  return out.join("\n");
}
