/**
 * The group page: this agent's view of its group (name, security, live members), the roster with
 * each member's liveness, load and skills, the orchestrator's hierarchy and the zones drawn as a
 * graph (group_graph.js), the group's topics and the audit events this agent kept. Refreshed every
 * 5 s. A button leaves the group, or joins it again after a leave (`POST /api/v1/group/leave`,
 * `/join`). A standalone gateway has no group: the API answers 409 and the page says so.
 *
 * @module
 */
import { html } from "../html.js";
import { api } from "../api.js";
import { useAction } from "../action.js";
import { useApi } from "../hooks.js";
import { Empty, ErrorLine, Facts, Time } from "../views.js";
import { GroupGraph } from "./group_graph.js";

const EVERY_MS = 5_000;

function ago(ms) {
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return seconds < 90 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

function Roster({ members, left }) {
  if (left) {
    return html`<p class="muted" data-note="left">
      Out of the group: this agent follows no roster until it joins again.
    </p>`;
  }
  if (members.length === 0) return html`<p class="muted">No member has been heard from yet.</p>`;
  return html`
    <table class="roster">
      <thead>
        <tr>
          <th>Agent</th>
          <th>Liveness</th>
          <th>Last heard</th>
          <th>Load</th>
          <th>Skills</th>
        </tr>
      </thead>
      <tbody>${members.map((m) =>
        html`
          <tr data-member=${m.agent_id}>
            <td>${m.agent_id}</td>
            <td><span class=${`live live-${m.status}`} data-liveness=${m.status}>${m
              .status}</span></td>
            <td><time datetime=${new Date(m.last_seen).toISOString()}>${ago(
              m.last_seen,
            )}</time></td>
            <td>${m.load.running} of ${m.load.capacity}</td>
            <td>${m.skills.join(", ") || "—"}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function Audit({ items }) {
  if (items.length === 0) return html`<p class="muted">No group event kept yet.</p>`;
  return html`<ol class="audit">${
    items.map((e) =>
      html`<li data-id=${e.id}>
        <${Time} iso=${e.started_at} /> <span class="kind">${
        e.metadata?.event_type ?? "event"
      }</span>
        ${e.sender ? ` (${e.sender})` : ""}: ${e.content_text || "(no text)"}
      </li>`
    )
  }</ol>`;
}

function Drawing({ members }) {
  const hierarchy = useApi("/api/v1/orchestrator/hierarchy", EVERY_MS);
  const zones = useApi("/api/v1/orchestrator/zones", EVERY_MS);
  const noOrchestrator = hierarchy.error?.status === 409 ? hierarchy.error : undefined;
  return html`
    ${noOrchestrator
      ? html`<p class="muted note" data-note="orchestrator">${noOrchestrator.message}; the
        drawing shows the roster alone.</p>`
      : html`<${ErrorLine} error=${hierarchy.error ?? zones.error} />`}
    <${GroupGraph} members=${members} nodes=${noOrchestrator ? [] : hierarchy.data?.nodes ?? []}
      zones=${noOrchestrator ? [] : zones.data?.items ?? []} />
  `;
}

/** Whether this agent left the group, and whether the others were told that it did. */
function leftFact(s) {
  if (!s.left) return "no";
  if (s.told !== false) return "yes: this agent has left the group";
  return "yes, but the group was not told (its leave could not be sent): the others take it " +
    "for gone once its heartbeats have been missing long enough";
}

/** Leaves the group, or joins it again once left; `changed` reloads what the page shows. */
function MemberButton({ left, changed }) {
  const { busy, error, run } = useAction();
  const verb = left ? "join" : "leave";
  const change = () =>
    run(async () => {
      await api(`/api/v1/group/${verb}`, { method: "POST" });
      changed();
    });
  return html`
    <div class="member-change">
      <button data-member-change=${verb} disabled=${busy} onClick=${change}>
        ${left ? "Join the group again" : "Leave the group"}
      </button>
      <${ErrorLine} error=${error} />
    </div>
  `;
}

/** The group as this agent sees it; in standalone mode, why there is none. */
export function Group() {
  const state = useApi("/api/v1/group", EVERY_MS);
  const members = useApi("/api/v1/group/members", EVERY_MS);
  const topics = useApi("/api/v1/group/topics");
  const audit = useApi("/api/v1/group/audit?limit=50", EVERY_MS);
  if (state.loading) return html`<p class="muted">Loading…</p>`;
  if (state.error?.status === 409) {
    return html`<${Empty} title="No group: this gateway runs standalone">
      ${state.error.message}. Standalone is an agent on its own, with no Kafka; start it in group or
      full mode (<code>group.enabled</code> and the brokers in config.json, see
      <code>kafclaw group init</code>) to see the roster, the hierarchy and zones, the topics and
      the audit here.
    </${Empty}>`;
  }
  const s = state.data;
  const items = members.data?.items ?? [];
  return html`
    <${ErrorLine} error=${state.error ?? members.error} />
    ${s && html`<${Facts} rows=${[
      ["Group", s.name],
      ["Security", s.security],
      ["Members", `${s.live} live of ${s.members}`],
      ["Left", leftFact(s)],
    ]} />`}
    ${s && html`<${MemberButton} left=${s.left} changed=${() => {
      state.reload();
      members.reload();
    }} />`}
    <section class="group-part">
      <h2>Roster</h2>
      <${Roster} members=${items} left=${s?.left} />
    </section>
    <section class="group-part">
      <h2>Hierarchy and zones</h2>
      <${Drawing} members=${items} />
    </section>
    <section class="group-part"><h2>Topics</h2>
      <${ErrorLine} error=${topics.error} />
      ${topics.data &&
        html`<${Facts} rows=${
          Object.entries(topics.data).map(([role, topic]) => [role, html`<code>${topic}</code>`])
        } />`}
    </section>
    <section class="group-part">
      <h2>Audit</h2>
      <${ErrorLine} error=${audit.error} />
      <${Audit} items=${audit.data?.items ?? []} />
    </section>
  `;
}
