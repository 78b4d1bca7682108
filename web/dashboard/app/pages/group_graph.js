/**
 * The group drawn as a graph: each agent a box (its liveness as its colour), the orchestrator's
 * hierarchy as arrows from a parent to its children, each zone a rounded box with dashed lines to
 * its members and to the zone it belongs to. dagre (from npm, bundled) lays it out; the page draws
 * it as SVG.
 *
 * @module
 */
import dagre from "@dagrejs/dagre";
import { html } from "../html.js";

const AGENT = { width: 150, height: 44 };
const ZONE = { width: 130, height: 36 };

/**
 * The graph's nodes and edges from the roster (`members`), the hierarchy's `nodes` and the
 * `zones`, any of which may be empty.
 */
export function groupGraph({ members = [], nodes = [], zones = [] }) {
  const agents = new Map();
  for (const m of members) {
    agents.set(m.agent_id, { id: m.agent_id, kind: "agent", liveness: m.status, role: "" });
  }
  for (const n of nodes) {
    const known = agents.get(n.agent_id);
    agents.set(n.agent_id, {
      id: n.agent_id,
      kind: "agent",
      liveness: known?.liveness === "active" ? "active" : n.liveness,
      role: n.role,
    });
  }
  const edges = nodes.filter((n) => n.parent_id)
    .map((n) => ({ from: n.parent_id, to: n.agent_id, kind: "hierarchy" }));
  const zoneNodes = zones.map((z) => ({
    id: `zone:${z.zone_id}`,
    kind: "zone",
    zone: z.zone_id,
    label: z.name || z.zone_id,
    visibility: z.visibility,
  }));
  for (const z of zones) {
    if (z.parent_zone) {
      edges.push({ from: `zone:${z.parent_zone}`, to: `zone:${z.zone_id}`, kind: "zone" });
    }
    for (const member of z.members) {
      if (!agents.has(member)) {
        agents.set(member, { id: member, kind: "agent", liveness: "unknown", role: "" });
      }
      edges.push({ from: `zone:${z.zone_id}`, to: member, kind: "member" });
    }
  }
  const all = [...agents.values(), ...zoneNodes];
  const ids = new Set(all.map((n) => n.id));
  return { nodes: all, edges: edges.filter((e) => ids.has(e.from) && ids.has(e.to)) };
}

/** Places `graph`'s nodes and routes its edges with dagre; returns them with the drawing's size. */
export function layOut(graph) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 48, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { ...(node.kind === "zone" ? ZONE : AGENT) });
  graph.edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, String(i)));
  dagre.layout(g);
  const { width, height } = g.graph();
  return {
    width: Math.max(width ?? 0, 1),
    height: Math.max(height ?? 0, 1),
    nodes: graph.nodes.map((node) => ({ ...node, ...g.node(node.id) })),
    edges: graph.edges.map((e, i) => ({ ...e, points: g.edge(e.from, e.to, String(i)).points })),
  };
}

function pathOf(points) {
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(" ");
}

function Node({ node }) {
  const x = node.x - node.width / 2;
  const y = node.y - node.height / 2;
  const zone = node.kind === "zone";
  const title = zone ? node.label : node.id;
  const sub = zone ? `zone, ${node.visibility}` : [node.role, node.liveness].filter(Boolean)
    .join(", ");
  return html`
    <g class=${`gnode gnode-${node.kind} live-${node.liveness ?? "zone"}`}
      data-node=${zone ? node.zone : node.id} data-kind=${node.kind} data-liveness=${node.liveness}>
      <rect x=${x} y=${y} width=${node.width} height=${node.height} rx=${zone ? 16 : 4} />
      <text x=${node.x} y=${node.y - 3} text-anchor="middle" class="gtitle">${title}</text>
      <text x=${node.x} y=${node.y + 12} text-anchor="middle" class="gsub">${sub}</text>
    </g>
  `;
}

/** The SVG of the group's graph, or nothing when there is nothing to draw. */
export function GroupGraph({ members, nodes, zones }) {
  const graph = groupGraph({ members, nodes, zones });
  if (graph.nodes.length === 0) return null;
  const laid = layOut(graph);
  return html`
    <svg class="group-graph" role="img" aria-label="The group's hierarchy and zones"
      viewBox=${`0 0 ${laid.width} ${laid.height}`} width=${laid.width} height=${laid.height}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
          orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker>
      </defs>
      ${laid.edges.map((e) =>
        html`
          <path class=${`gedge gedge-${e.kind}`} d=${pathOf(e.points)} data-from=${e.from}
            data-to=${e.to} marker-end=${e.kind === "hierarchy" ? "url(#arrow)" : undefined} />
        `
      )}
      ${laid.nodes.map((n) => html`<${Node} key=${n.id} node=${n} />`)}
    </svg>
  `;
}
