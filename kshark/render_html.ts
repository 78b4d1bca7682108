/**
 * The report as one self-contained HTML page (inline style, no script, nothing fetched), which
 * the dashboard can show as it is. Everything from the broker or the settings is escaped.
 *
 * @module
 */
import { LAYERS, type Report, type Status } from "./report.ts";

/** `text` safe in HTML text and attribute values. */
export function htmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.s{font-weight:bold}
.OK{color:#1a7f37}.WARN{color:#9a6700}.FAIL{color:#cf222e}.SKIP{color:#777}
.hint{color:#555;font-style:italic}code{font-size:13px}`;

/** The HTML page of a report. */
export function reportHtml(report: Report): string {
  const total = report.summary.total ?? { ok: 0, warn: 0, fail: 0, skip: 0 };
  const verdict: Status = total.fail > 0 ? "FAIL" : total.warn > 0 ? "WARN" : "OK";
  const rows = report.rows.map((r) =>
    `<tr><td class="s ${r.status}">${r.status}</td><td>${htmlText(r.layer)}</td>` +
    `<td>${htmlText(r.component)}</td><td><code>${htmlText(r.target)}</code></td>` +
    `<td>${htmlText(r.detail)}${
      r.hint ? `<div class="hint">hint: ${htmlText(r.hint)}</div>` : ""
    }</td></tr>`
  ).join("\n");
  const summary = [...LAYERS, "total"].filter((l) => report.summary[l]).map((l) => {
    const c = report.summary[l]!;
    return `<tr><td>${l}</td><td>${c.ok}</td><td>${c.warn}</td><td>${c.fail}</td><td>${c.skip}</td></tr>`;
  }).join("\n");
  const config = Object.entries(report.config).map(([k, v]) =>
    `<tr><td><code>${htmlText(k)}</code></td><td><code>${htmlText(v)}</code></td></tr>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>kshark report: ${verdict}</title><style>${STYLE}</style></head>
<body><h1>kshark report: <span class="${verdict}">${verdict}</span></h1>
<p>kafclaw ${htmlText(report.version)}, ${htmlText(report.startedAt)} to ${
    htmlText(report.finishedAt)
  }:
${total.ok} ok, ${total.warn} warn, ${total.fail} fail, ${total.skip} skip.</p>
<table><thead><tr><th>Status</th><th>Layer</th><th>Component</th><th>Target</th><th>Detail</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Summary</h2>
<table><thead><tr><th>Layer</th><th>OK</th><th>WARN</th><th>FAIL</th><th>SKIP</th></tr></thead>
<tbody>
${summary}
</tbody></table>
<h2>Settings (secrets redacted)</h2>
<table><tbody>
${config}
</tbody></table>
</body></html>
`;
}
