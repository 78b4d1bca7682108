/**
 * The pages whose API this gateway may not serve yet (group): each asks
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
  group: {
    title: "Group",
    path: "/api/v1/group/members",
    what: "The roster needs the API's group endpoints; the overview shows the group's health, " +
      "and `kafclaw group status` the rest.",
  },
};
