/**
 * The pages whose API this gateway may not serve yet (chat, traces): each asks
 * its endpoint and shows what it answers, or says plainly that this gateway has no such endpoint.
 *
 * @module
 */
import { html } from "../html.js";
import { useApi } from "../hooks.js";
import { Empty, ErrorLine } from "../views.js";

/** A page reading `path`: its answer as data, or an empty state naming the missing endpoint. */
export function Pending({ title, path, what }) {
  const { data, error, loading } = useApi(path, 10_000);
  if (loading) return html`<p class="muted">Loading…</p>`;
  if (error?.status === 404 || error?.status === 405) {
    return html`<${Empty} title=${`${title}: not in this gateway yet`}>
      This gateway's API has no <code>${path}</code>, so there is nothing to show here. ${what}
    </${Empty}>`;
  }
  if (error?.status === 409) {
    return html`<${Empty} title=${title}>${error.message}</${Empty}>`;
  }
  return html`<${ErrorLine} error=${error} />
    ${data !== undefined && html`<pre class="raw">${JSON.stringify(data, null, 2)}</pre>`}`;
}

export const PENDING = {
  chat: {
    title: "Chat",
    path: "/api/v1/sessions",
    what: "Chat with the agent needs the API's chat endpoint; until then use `kafclaw agent`.",
  },
  traces: {
    title: "Traces",
    path: "/api/v1/tasks",
    what: "A task's trace graph needs the API's tasks and traces; the timeline shows each span.",
  },
};
