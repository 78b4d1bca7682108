/**
 * A trace drawn as a graph: one box per span (its agent, kind, title and duration), an arrow from
 * each span to the spans it started, laid out top-down by dagre (npm `@dagrejs/dagre`, bundled)
 * and drawn as SVG; each agent has its own colour, named in the legend.
 *
 * @module
 */
import dagre from "@dagrejs/dagre";
import { html } from "../html.js";

const COLOURS = ["#2f5fd0", "#1f8a4c", "#b7791f", "#8e44ad", "#c53030", "#127a8a", "#6b7385"];
const LINE = 16;
const PAD = 10;
const CHAR = 7.6;

/** Every span of a tree of `{span, children}` with its parent's id. */
export function flatten(nodes, parent = undefined) {
  return nodes.flatMap((n) => [{ span: n.span, parent }, ...flatten(n.children, n.span.span_id)]);
}

/** A span's duration as people read it. */
export function took(span) {
  if (span.duration_ms === undefined || span.duration_ms === null) return "open";
  return span.duration_ms < 1000
    ? `${span.duration_ms} ms`
    : `${(span.duration_ms / 1000).toFixed(2)} s`;
}

/** The lines of a span's box. */
function linesOf(span) {
  return [`${span.agent_id} · ${span.span_type}`, span.title, took(span)];
}

/** Positions of the spans and arrows, from dagre. */
function layout(spans) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 36, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const key = (s) => `${s.agent_id}/${s.span_id}`;
  const ids = new Set(spans.map(({ span }) => span.span_id));
  for (const { span } of spans) {
    const widest = Math.max(...linesOf(span).map((l) => l.length));
    g.setNode(key(span), { width: widest * CHAR + 2 * PAD, height: 3 * LINE + PAD, span });
  }
  for (const { span, parent } of spans) {
    if (parent === undefined || !ids.has(parent)) continue;
    const from = spans.find((s) => s.span.span_id === parent);
    g.setEdge(key(from.span), key(span));
  }
  dagre.layout(g);
  return {
    width: g.graph().width,
    height: g.graph().height,
    nodes: g.nodes().map((id) => g.node(id)),
    edges: g.edges().map((e) => g.edge(e).points),
  };
}

/** The graph of `spans` (from {@link flatten}); `agents` fixes each agent's colour. */
export function TraceGraph({ spans, agents }) {
  const colour = (agent) => COLOURS[Math.max(0, agents.indexOf(agent)) % COLOURS.length];
  const { width, height, nodes, edges } = layout(spans);
  return html`
    <p class="legend">${agents.map((a) =>
      html`<span class="agent" data-legend=${a}>
        <svg width="10" height="10"><rect width="10" height="10" fill=${colour(a)} /></svg> ${a}
      </span>`
    )}</p>
    <div class="graph">
      <svg class="trace-graph" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}
        role="img" aria-label="The trace's spans as a graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"
            markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7385" />
          </marker>
        </defs>
        ${edges.map((points) =>
          html`
            <polyline class="edge" fill="none" stroke="#6b7385" marker-end="url(#arrow)"
              points=${points.map((p) => `${p.x},${p.y}`).join(" ")} />
          `
        )}
        ${nodes.map(({ x, y, width: w, height: h, span }) =>
          html`
            <g class="node" data-span=${span.span_id} data-agent=${span.agent_id}
              data-type=${span.span_type} transform=${`translate(${x - w / 2},${y - h / 2})`}>
                        <title>${span.title} (${span.agent_id}, ${took(span)})</title>
                        <rect width=${w} height=${h} rx="6" fill="#fff" stroke=${colour(
                          span.agent_id,
                        )}
                          stroke-width="2" />
                        ${linesOf(span).map((line, i) =>
                          html`
                            <text x=${PAD} y=${PAD / 2 + LINE * (i + 1) - 3} class=${`line-${i}`}
                              fill=${i === 0 ? colour(span.agent_id) : "#1d2330"}>${line}</text>
                          `
                        )}
                      </g>
          `
        )}
      </svg>
    </div>
  `;
}
