/**
 * The approvals page: the tool calls the policy asked the owner about and that still wait, each
 * with what the tool would do (its arguments), its tier, who asked and where, and buttons that
 * approve or deny it through the API (which takes only the owner's token). Refreshed every 3 s.
 *
 * @module
 */
import { html, useState } from "../html.js";
import { api } from "../api.js";
import { useApi } from "../hooks.js";
import { useAction } from "../action.js";
import { Empty, ErrorLine, Time } from "../views.js";

const VERBS = [["approve", "Approve"], ["deny", "Deny"]];

function Request({ approval, onAnswered }) {
  const { busy, error, run } = useAction();
  // Answered, its buttons stay off until the list's reload takes the row away.
  const [answered, setAnswered] = useState(false);
  const answer = (verb) =>
    run(async () => {
      await api(`/api/v1/approvals/${encodeURIComponent(approval.approval_id)}/${verb}`, {
        method: "POST",
      });
      setAnswered(true);
      onAnswered();
    });
  const where = [approval.channel, approval.session_key].filter(Boolean).join(" ");
  return html`
    <li class="approval" data-approval=${approval.approval_id}>
      <h3><code>${approval.tool}</code> <span class="muted">tier ${approval.tier}</span></h3>
      <p class="muted">
          Asked by ${approval.requester}${where && ` in ${where}`} at <${Time} iso=${approval
            .created_at} />;
          it waits until <${Time} iso=${approval.expires_at} />. The policy lets tools above its
          automatic tier run only when the owner says so.
        </p>
      <pre class="raw">${JSON.stringify(approval.arguments, null, 2)}</pre>
      <p class="answers">${VERBS.map(([verb, label]) =>
        html`<button data-answer=${verb} disabled=${busy || answered} onClick=${() =>
          answer(verb)}>${label}</button>`
      )}</p>
      <${ErrorLine} error=${error} />
    </li>
  `;
}

/** The pending approvals, oldest first. */
export function Approvals() {
  const { data, error, loading, reload } = useApi("/api/v1/approvals", 3_000);
  if (loading) return html`<p class="muted">Loading…</p>`;
  const items = data?.items ?? [];
  return html`
    <${ErrorLine} error=${error} />
    ${items.length === 0
      ? html`<${Empty} title="No approval waits">
          A tool call the policy asks about shows here while its turn waits for your answer.
        </${Empty}>`
      : html`<ol class="approvals">${
        items.map((a) =>
          html`<${Request} key=${a.approval_id} approval=${a} onAnswered=${reload} />`
        )
      }</ol>`}
  `;
}
