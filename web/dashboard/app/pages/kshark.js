/**
 * The kshark report viewer: the reports `kafclaw kshark` kept in `$KAFCLAW_HOME/kshark/`
 * (`/api/v1/kshark/reports`), newest first with each run's counts, and the chosen one (the newest
 * at first) shown as it is, in a sandboxed frame served once from this origin through a view code
 * the API gives (the frame cannot send the token); its own policy lets it run and load nothing.
 *
 * @module
 */
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { useApi } from "../hooks.js";
import { Empty, ErrorLine, Time } from "../views.js";

function verdict(total) {
  if (!total) return "unknown";
  return total.fail > 0 ? "FAIL" : total.warn > 0 ? "WARN" : "OK";
}

function Counts({ total }) {
  if (!total) return html`<span class="muted">no summary</span>`;
  return html`<span>${total.ok} ok, ${total.warn} warn, ${total.fail} fail, ${total.skip} skipped</span>`;
}

function Frame({ name }) {
  const [src, setSrc] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    setSrc(undefined);
    setError(undefined);
    api(`/api/v1/kshark/reports/${encodeURIComponent(name)}/view`, { method: "POST" })
      .then((view) => setSrc(view.path), setError);
  }, [name]);
  return html`
    <${ErrorLine} error=${error} />
    ${src && html`
      <iframe class="kshark-report" title=${`kshark report ${name}`} src=${src}
        sandbox="" referrerpolicy="no-referrer" data-report=${name}></iframe>
    `}
  `;
}

/** The kept reports and the chosen one. */
export function Kshark() {
  const { data, error, loading } = useApi("/api/v1/kshark/reports", 15_000);
  const [chosen, setChosen] = useState(undefined);
  if (loading) return html`<p class="muted">Loading…</p>`;
  const items = data?.items ?? [];
  if (items.length === 0) {
    return html`
      <${ErrorLine} error=${error} />
      <${Empty} title="No kshark report yet">
            Each run of <code>kafclaw kshark</code> keeps its report in ${data?.dir ??
              "$KAFCLAW_HOME/kshark"} (the newest 20 runs), and this page shows them. Run
            <code>kafclaw kshark --auto</code> to check this gateway's Kafka.
          </${Empty}>
    `;
  }
  const shown = chosen ?? items[0].name;
  return html`
    <${ErrorLine} error=${error} />
    <ol class="kshark-reports">${items.map((r) =>
      html`
        <li class=${r.name === shown ? "chosen" : ""} data-name=${r.name}>
          <button onClick=${() => setChosen(r.name)} aria-pressed=${r.name === shown}>
            <span class=${`verdict verdict-${verdict(r.total)}`}>${verdict(r.total)}</span>
            <${Time} iso=${r.started_at ?? r.modified_at} />
            <${Counts} total=${r.total} />
          </button>
        </li>
      `
    )}</ol>
    <${Frame} key=${shown} name=${shown} />
  `;
}
