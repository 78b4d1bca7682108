/**
 * Overview: what runs (mode, agent, version, uptime, provider and model) and how the group fares
 * (health, members, the orchestrator) and the chat channels' states, from `/api/v1/status`,
 * refreshed every 5 seconds; and the budgets used today (budgets.js).
 *
 * @module
 */
import { html } from "../html.js";
import { useApi } from "../hooks.js";
import { duration, ErrorLine, Facts } from "../views.js";
import { Budgets } from "./budgets.js";

const HEALTH = {
  local: "local: a group of one, in this process (no Kafka)",
  ok: "ok: this agent's heartbeats come back through the brokers",
  degraded: "degraded: this agent's own heartbeats are not coming back",
  left: "left: this gateway is out of its group until it joins again",
};

export function Overview() {
  const { data: s, error, loading } = useApi("/api/v1/status", 5000);
  if (loading) return html`<p class="muted">Loading…</p>`;
  if (!s) return html`<${ErrorLine} error=${error} />`;
  const model = s.model ? `${s.model.provider} / ${s.model.name}` : "not reported by this gateway";
  const orchestrator = !s.orchestrator.enabled
    ? `off (${s.orchestrator.reason ?? "not in this mode"})`
    : s.orchestrator.active
    ? "active"
    : `inactive (${s.orchestrator.reason ?? "no reason given"})`;
  return html`
    <${ErrorLine} error=${error} />
    <section class="cards">
      <article class="card">
        <h2>Agent</h2>
        <${Facts} rows=${[
          ["Agent", s.agent_id],
          ["Mode", s.mode],
          ["Uptime", duration(s.uptime_seconds)],
          ["Version", s.version],
          ["Model", model],
        ]} />
      </article>
      <article class="card">
        <h2>Group</h2>
        <p class=${`health health-${s.group.health}`} data-health=${s.group.health}>
          ${HEALTH[s.group.health] ?? s.group.health}
        </p>
        <${Facts} rows=${[
          ["Group", s.group.name],
          ["Over Kafka", s.group.enabled ? "yes" : "no"],
          ["Members", `${s.group.live} live of ${s.group.members}`],
          ["Orchestrator", orchestrator],
        ]} />
      </article>
      <${Budgets} />
      <${Channels} channels=${s.channels ?? {}} />
    </section>
  `;
}

/** Each chat channel the gateway runs: connected or not, and its last error. */
function Channels({ channels }) {
  const names = Object.keys(channels).sort();
  return html`
    <article class="card" data-card="channels">
      <h2>Channels</h2>
      ${names.length === 0
        ? html`<p class="muted">No chat channel is enabled (Telegram, Discord, WhatsApp).</p>`
        : html`<${Facts} rows=${names.map((name) => [name, channelLine(channels[name])])} />`}
    </article>
  `;
}

function channelLine(c) {
  const state = c.connected ? "connected" : "not connected";
  const where = c.listening ? ` (webhook on ${c.listening})` : "";
  const error = c.last_error ? `; last error: ${c.last_error}` : "";
  return `${state}${where}${error}`;
}
