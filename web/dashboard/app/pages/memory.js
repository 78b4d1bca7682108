/**
 * Memory search: what the agent remembers (facts, past conversations, soul files, what others
 * shared), searched as the owner sees it (every zone) through `/api/v1/memory/search`, each hit
 * with its source, zone, taint, tags and score; and what memory holds (`/api/v1/memory/status`).
 *
 * @module
 */
import { html, useState } from "../html.js";
import { api } from "../api.js";
import { useApi } from "../hooks.js";
import { useAction } from "../action.js";
import { Empty, ErrorLine, Facts } from "../views.js";

function Hit({ hit }) {
  const where = [hit.zone ? `zone ${hit.zone}` : "public", hit.taint, ...hit.tags].join(" · ");
  return html`
    <li class="hit" data-source=${hit.source}>
      <p class="hit-head">
          <code>${hit.source}</code> <span class="muted">${where}</span>
          <span class="score" title="The fused rank of the keyword and vector rankings">
            score ${hit.score.toFixed(4)}
          </span>
        </p>
      <pre class="raw">${hit.content}</pre>
    </li>
  `;
}

function Results({ result, q }) {
  const notice = result.notice && html`<p class="muted" data-notice>${result.notice}</p>`;
  if (result.hits.length === 0) {
    return html`${notice}<${Empty} title="Nothing found">No memory matches “${q}”.</${Empty}>`;
  }
  return html`${notice}
    <p class="muted">${result.hits.length} hit(s), ${result.mode} search${
    result.taint === "untrusted" ? "; some are untrusted (the agent treats them as such)" : ""
  }</p>
    <ol class="hits">${result.hits.map((h) => html`<${Hit} key=${h.id} hit=${h} />`)}</ol>`;
}

function statusRows(s) {
  const rows = [
    ["Search", s.reason ? `${s.mode}: ${s.reason}` : s.mode],
    ["Chunks", `${s.chunks} (at most ${s.max_chunks})`],
    ["Embedding model", s.embedding_model ?? "none"],
  ];
  if (s.advice) rows.push(["Advice", s.advice]);
  return rows;
}

/** The search form, its results, and what memory holds. */
export function Memory() {
  const status = useApi("/api/v1/memory/status");
  const [q, setQ] = useState("");
  const [searched, setSearched] = useState(undefined);
  const { busy, error, run } = useAction();
  const search = (e) => {
    e.preventDefault();
    run(async () => {
      const result = await api(`/api/v1/memory/search?${new URLSearchParams({ q: q.trim() })}`);
      setSearched({ q: q.trim(), result });
    });
  };
  return html`
    <form class="search" onSubmit=${search}>
      <label>Search memory <input name="q" value=${q} onInput=${(e) =>
        setQ(e.currentTarget.value)} placeholder="what the agent should remember" /></label>
      <button type="submit" disabled=${busy || q.trim() === ""}>Search</button>
    </form>
    <${ErrorLine} error=${error} />
    ${searched && html`<${Results} result=${searched.result} q=${searched.q} />`}
    <section class="memory-status">
      <h2>What memory holds</h2>
      <${ErrorLine} error=${status.error} />
      ${status.data && html`<${Facts} rows=${statusRows(status.data)} />`}
    </section>
  `;
}
