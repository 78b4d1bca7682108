/**
 * Latency: how long recent turns, LLM calls and channel tasks took, charted over time with uPlot
 * (npm `uplot`, bundled) and summed up as count, median and slowest. Turns and LLM calls come from
 * the timeline (`/api/v1/timeline`: an LLM call is an `LLM` event with its duration; a turn runs
 * from its `INBOUND` event to the last event of its trace), channel tasks from `/api/v1/tasks`
 * (received to completed). Refreshed every 10 s.
 *
 * @module
 */
import uPlot from "uplot";
import { html, useEffect, useRef } from "../html.js";
import { useApi } from "../hooks.js";
import { Empty, ErrorLine } from "../views.js";

const SERIES = [
  { key: "turns", label: "Turns", stroke: "#2f5fd0" },
  { key: "llm", label: "LLM calls", stroke: "#1f8a4c" },
  { key: "tasks", label: "Channel tasks", stroke: "#b7791f" },
];

/** `[time in s, ms]` points of each series, from the timeline's events and the tasks. */
export function samples(events, tasks) {
  const llm = events.filter((e) => e.kind === "LLM" && e.duration_ms !== null)
    .map((e) => [Date.parse(e.started_at) / 1000, e.duration_ms]);
  const endOf = new Map();
  for (const e of events) {
    const end = Date.parse(e.ended_at ?? e.started_at);
    endOf.set(e.trace_id, Math.max(endOf.get(e.trace_id) ?? end, end));
  }
  const turns = events.filter((e) => e.kind === "INBOUND").map((e) => {
    const start = Date.parse(e.started_at);
    return [start / 1000, endOf.get(e.trace_id) - start];
  });
  const done = tasks.filter((t) => t.completed_at);
  const taskPoints = done.map((t) => [
    Date.parse(t.created_at) / 1000,
    Date.parse(t.completed_at) - Date.parse(t.created_at),
  ]);
  return { turns, llm, tasks: taskPoints };
}

/** uPlot's data: one time axis, each series null where it has no point. */
function aligned(points) {
  const times = [...new Set(SERIES.flatMap((s) => points[s.key].map(([t]) => t)))]
    .sort((a, b) => a - b);
  const at = SERIES.map((s) => new Map(points[s.key].map(([t, ms]) => [t, ms])));
  return [times, ...at.map((m) => times.map((t) => m.get(t) ?? null))];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)];
}

function Chart({ points }) {
  const box = useRef(null);
  useEffect(() => {
    const width = Math.max(320, (box.current.clientWidth || 800) - 16);
    const chart = new uPlot(
      {
        width,
        height: 280,
        scales: { x: { time: true } },
        series: [
          {},
          ...SERIES.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            width: 2,
            spanGaps: true,
            points: { show: true, size: 6, fill: s.stroke },
            value: (_, v) => v === null ? "—" : `${Math.round(v)} ms`,
          })),
        ],
        axes: [{}, { label: "ms", values: (_, ticks) => ticks.map((t) => `${t}`) }],
      },
      aligned(points),
      box.current,
    );
    return () => chart.destroy();
  }, [points]);
  return html`<div class="latency-chart" ref=${box}></div>`;
}

export function Latency() {
  const timeline = useApi("/api/v1/timeline?limit=1000", 10_000);
  const tasks = useApi("/api/v1/tasks?limit=200", 10_000);
  if (timeline.loading || tasks.loading) return html`<p class="muted">Loading…</p>`;
  const error = timeline.error ?? tasks.error;
  const points = samples(timeline.data?.items ?? [], tasks.data?.items ?? []);
  const any = SERIES.some((s) => points[s.key].length > 0);
  return html`
    <${ErrorLine} error=${error} />
    <p class="muted">The latest events of the timeline (at most 1000) and channel tasks (200).</p>
    <table class="latency-sums">
      <thead>
        <tr>
          <th></th>
          <th>count</th>
          <th>median</th>
          <th>slowest</th>
        </tr>
      </thead>
      <tbody>${SERIES.map((s) => {
        const ms = points[s.key].map(([, v]) => v);
        return html`
          <tr data-series=${s.key}>
            <th>${s.label}</th>
            <td data-count>${ms.length}</td>
            <td>${ms.length ? `${median(ms)} ms` : "—"}</td>
            <td>${ms.length ? `${Math.max(...ms)} ms` : "—"}</td>
          </tr>
        `;
      })}</tbody>
    </table>
    ${any ? html`<${Chart} points=${points} />` : html`<${Empty} title="Nothing to chart yet">
          Turns, LLM calls and channel tasks show here once the agent has handled some.
        </${Empty}>`}
  `;
}
