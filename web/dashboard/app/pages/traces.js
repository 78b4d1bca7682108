/**
 * Traces: the group tasks this agent sent (`/api/v1/group/tasks`), those of other agents it worked
 * on (`/api/v1/group/worked`) and the group traces it stored (`/api/v1/group/traces`), newest first; `#/traces/<task id>` draws a task's trace, the spans of
 * every agent that worked on it (`/api/v1/group/tasks/<id>/trace`), and `#/traces/trace/<id>` a
 * trace by its id (`/api/v1/group/traces/<id>`), and `#/traces/local/<id>` one of this agent's
 * turns from its own timeline (`/api/v1/traces/<id>`, listed from its latest `INBOUND` events), as
 * a graph (trace_graph.js) with each span's
 * start and duration below. A gateway with no group says so (the API's 409).
 *
 * @module
 */
import { html, useEffect, useState } from "../html.js";
import { useApi } from "../hooks.js";
import { Empty, ErrorLine, Time } from "../views.js";
import { flatten, took, TraceGraph } from "./trace_graph.js";

/** A part of the address as it was meant, or as it is when it is not valid percent-encoding. */
function decoded(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** What the address asks for: a list, a task's trace or a trace. */
function wanted(hash) {
  const [first, second] = hash.replace(/^#\/?/, "").split("/").map(decoded);
  if (first === "local" && second) {
    return { path: `/api/v1/traces/${encodeURIComponent(second)}`, id: second, local: true };
  }
  if (first === "trace" && second) {
    return { path: `/api/v1/group/traces/${encodeURIComponent(second)}`, id: second };
  }
  if (first) {
    return {
      path: `/api/v1/group/tasks/${encodeURIComponent(first)}/trace`,
      id: first,
      task: true,
    };
  }
  return undefined;
}

function NoGroup({ error }) {
  return html`<${Empty} title="No group here">${error.message}</${Empty}>`;
}

function Timings({ spans }) {
  const start = Math.min(...spans.map(({ span }) => Date.parse(span.started_at)));
  const rows = [...spans].sort((a, b) =>
    Date.parse(a.span.started_at) - Date.parse(b.span.started_at)
  );
  return html`
    <table class="timings">
      <thead>
        <tr>
          <th>agent</th>
          <th>kind</th>
          <th>span</th>
          <th>starts</th>
          <th>took</th>
        </tr>
      </thead>
      <tbody>${rows.map(({ span }) =>
        html`
          <tr data-span=${span.span_id}>
            <td>${span.agent_id}</td>
            <td>${span.span_type}</td>
            <td>${span.title}</td>
            <td>+${Date.parse(span.started_at) - start} ms</td>
            <td>${took(span)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

/** This agent's own trace (timeline events) in the shape of a group trace (spans). */
function asSpans(data) {
  const span = (e) => ({
    span_id: e.span_id,
    agent_id: "this agent",
    span_type: e.kind,
    title: (e.content_text || e.kind).replace(/\s+/g, " ").slice(0, 48),
    started_at: e.started_at,
    duration_ms: e.duration_ms,
  });
  const node = (n) => ({ span: span(n.event), children: n.children.map(node) });
  const roots = data.roots.map(node);
  return { trace_id: data.trace_id, roots, spans: flatten(roots).length, agents: ["this agent"] };
}

function Trace({ path, id, task, local }) {
  const { data: answer, error, loading } = useApi(path, 5_000);
  if (loading) return html`<p class="muted">Loading…</p>`;
  if (error?.status === 409) return html`<${NoGroup} error=${error} />`;
  if (!answer) return html`<${ErrorLine} error=${error} />`;
  const data = local ? asSpans(answer) : answer;
  const spans = flatten(data.roots);
  return html`
    <p><a href="#/traces">All traces</a></p>
    <h2 class="trace-title">${task ? "Task" : local ? "Turn" : "Trace"} <code>${id}</code></h2>
    <p
      class="muted">Trace <code>${data.trace_id}</code>: ${data.spans} spans from ${data.agents
        .length} agent${data.agents.length === 1 ? "" : "s"} (${data.agents.join(", ")}).</p>
    <${ErrorLine} error=${error} />
    <${TraceGraph} spans=${spans} agents=${data.agents} />
    <${Timings} spans=${spans} />
  `;
}

/** This agent's latest turns, each a link to its own trace. */
function Turns() {
  const turns = useApi("/api/v1/timeline?kind=INBOUND&limit=30", 5_000);
  const items = turns.data?.items ?? [];
  return html`<section class="card">
    <h2>This agent's turns</h2>
    <${ErrorLine} error=${turns.error} />
    ${
    items.length === 0 ? html`<p class="muted">None yet.</p>` : html`
      <table class="turns">
        <tbody>${items.map((e) =>
          html`
            <tr data-turn=${e.trace_id}>
              <td><a href=${`#/traces/local/${e.trace_id}`}>${(e.content_text || "(no text)").slice(
                0,
                80,
              )}</a></td>
              <td>${e.channel ?? ""}</td>
              <td>
                <${Time} iso=${e.started_at} />
              </td>
            </tr>
          `
        )}</tbody>
      </table>
    `
  }
  </section>`;
}

/** The tasks of other agents this one worked on: who asked, how it ended, in which zone. */
function Worked({ items }) {
  return html`
    <section class="card">
      <h2>Tasks this agent worked on</h2>
      ${items.length === 0
        ? html`<p class="muted">None yet: other agents' tasks come through the group.</p>`
        : html`
          <table class="tasks worked">
            <tbody>${items.map((t) =>
              html`
                <tr data-worked=${t.task_id}>
                  <td><a href=${`#/traces/${t.task_id}`}>${String(t.request.content ?? t.task_id)
                    .slice(0, 80)}</a></td>
                  <td>${t.status}</td>
                  <td>from ${String(t.request.requester_id ?? "?")}</td>
                  <td>${t.zone ? `zone ${t.zone}` : ""}</td>
                  <td>
                    <${Time} iso=${t.ended_at} />
                  </td>
                </tr>
              `
            )}</tbody>
          </table>
        `}
    </section>
  `;
}

function Lists() {
  const tasks = useApi("/api/v1/group/tasks?limit=50", 5_000);
  const traces = useApi("/api/v1/group/traces?limit=50", 5_000);
  const worked = useApi("/api/v1/group/worked?limit=50", 5_000);
  if (tasks.loading || traces.loading) return html`<p class="muted">Loading…</p>`;
  if (tasks.error?.status === 409) {
    return html`
      <${NoGroup} error=${tasks.error} />
      <${Turns} />
    `;
  }
  const sent = tasks.data?.items ?? [];
  const stored = traces.data?.items ?? [];
  return html`
    <${ErrorLine} error=${tasks.error ?? traces.error ?? worked.error} />
    <${Turns} />
    <section class="card">
      <h2>Tasks this agent sent</h2>
      ${sent.length === 0
        ? html`<p class="muted">None yet: <code>kafclaw task submit</code> or the agent's
            delegate_task send one.</p>`
        : html`
          <table class="tasks">
            <tbody>${sent.map((t) =>
              html`
                <tr data-task=${t.task_id}>
                  <td><a href=${`#/traces/${t.task_id}`}>${String(t.request.content ?? t.task_id)
                    .slice(0, 80)}</a></td>
                  <td>${t.status}</td>
                  <td>${t.worker_id ?? ""}</td>
                  <td>
                    <${Time} iso=${t.created_at} />
                  </td>
                </tr>
              `
            )}</tbody>
          </table>
        `}
    </section>
    <${Worked} items=${worked.data?.items ?? []} />
    <section class="card">
      <h2>Traces stored here</h2>
      ${stored.length === 0 ? html`<p class="muted">None yet.</p>` : html`
        <table class="traces">
          <tbody>${stored.map((t) =>
            html`
              <tr data-trace=${t.trace_id}>
                <td><a href=${`#/traces/trace/${t.trace_id}`}><code>${t.trace_id}</code></a></td>
                <td>${t.spans} spans</td>
                <td>${t.agents.join(", ")}</td>
                <td>
                  <${Time} iso=${t.started_at} />
                </td>
              </tr>
            `
          )}</tbody>
        </table>
      `}
    </section>
  `;
}

export function Traces() {
  const [hash, setHash] = useState(location.hash.replace(/^#\/?traces\/?/, "#/"));
  useEffect(() => {
    const moved = () => setHash(location.hash.replace(/^#\/?traces\/?/, "#/"));
    addEventListener("hashchange", moved);
    return () => removeEventListener("hashchange", moved);
  }, []);
  const trace = wanted(hash);
  return trace === undefined
    ? html`<${Lists} />`
    : html`<${Trace} key=${trace.path} ...${trace} />`;
}
