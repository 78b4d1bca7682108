/**
 * The hierarchy as every node computes it from the same node table, so all agree once they have
 * read the same records (within one interval of a change: each node re-announces on its interval,
 * and a change is computed again at every look, not sent as a message):
 *
 * - an inactive node is out of the tree, and its children hang from its parent (or from the
 *   nearest ancestor still there), without anyone writing a record;
 * - a parent never heard of makes its child a root;
 * - a cycle that arrives from the wire (two set-parents at once, a foreign writer) is broken at
 *   the node of the smallest id in it, which becomes a root: the same cut on every node.
 *
 * {@link wouldCycle} is the check `set-parent` makes before it writes anything.
 *
 * @module
 */
import { type KnownNode, livenessOf, type NodeLiveness } from "./node_table.ts";

/** A node in the hierarchy, with its parent as computed. */
export interface PlacedNode {
  readonly node: KnownNode;
  readonly liveness: NodeLiveness;
  /** The parent it hangs from now; undefined for a root. */
  readonly parentId: string | undefined;
}

/** The tree of the nodes that are not inactive; see the module documentation. */
export class Hierarchy {
  readonly #placed = new Map<string, PlacedNode>();

  /** The hierarchy of `nodes` at `now`. */
  constructor(nodes: readonly KnownNode[], now: number) {
    const byId = new Map(nodes.map((n) => [n.agentId, n]));
    const present = (id: string) => {
      const node = byId.get(id);
      return node !== undefined && livenessOf(node, now) !== "inactive";
    };
    const parents = new Map<string, string | undefined>();
    for (const node of nodes) {
      if (present(node.agentId)) parents.set(node.agentId, liveAncestor(node, byId, present));
    }
    breakCycles(parents);
    for (const [id, parentId] of parents) {
      const node = byId.get(id)!;
      this.#placed.set(id, { node, liveness: livenessOf(node, now), parentId });
    }
  }

  /** A node of the tree, if it is in it (not inactive). */
  get(agentId: string): PlacedNode | undefined {
    return this.#placed.get(agentId);
  }

  /** Every node of the tree, by id. */
  nodes(): PlacedNode[] {
    return [...this.#placed.values()].sort((a, b) => a.node.agentId.localeCompare(b.node.agentId));
  }

  /** The nodes that hang from `agentId` directly, by id. */
  children(agentId: string): PlacedNode[] {
    return this.nodes().filter((p) => p.parentId === agentId);
  }

  /** The nodes below `agentId`, at any depth, by id (not itself). */
  subtree(agentId: string): PlacedNode[] {
    const below: PlacedNode[] = [];
    const next = [agentId];
    for (let id = next.pop(); id !== undefined; id = next.pop()) {
      for (const child of this.children(id)) {
        below.push(child);
        next.push(child.node.agentId);
      }
    }
    return below.sort((a, b) => a.node.agentId.localeCompare(b.node.agentId));
  }
}

/** The nearest ancestor of `node` that is present, walking the parents the records name. */
function liveAncestor(
  node: KnownNode,
  byId: ReadonlyMap<string, KnownNode>,
  present: (id: string) => boolean,
): string | undefined {
  const seen = new Set([node.agentId]);
  let parent = node.parentId;
  while (parent !== undefined && !present(parent)) {
    const above = byId.get(parent);
    if (above === undefined || seen.has(parent)) return undefined;
    seen.add(parent);
    parent = above.parentId;
  }
  return parent;
}

/** Cuts every cycle of `parents` at its smallest id, which becomes a root. */
function breakCycles(parents: Map<string, string | undefined>): void {
  const done = new Set<string>();
  for (const start of [...parents.keys()].sort()) {
    const path: string[] = [];
    let id: string | undefined = start;
    while (id !== undefined && !done.has(id) && !path.includes(id)) {
      path.push(id);
      id = parents.get(id);
    }
    if (id !== undefined && !done.has(id)) {
      const cycle = path.slice(path.indexOf(id));
      parents.set(cycle.sort()[0]!, undefined);
    }
    for (const p of path) done.add(p);
  }
}

/**
 * Whether making `parentId` the parent of `agentId` would close a cycle, by the parents the
 * records name (inactive nodes too: they may come back).
 */
export function wouldCycle(
  nodes: readonly KnownNode[],
  agentId: string,
  parentId: string,
): boolean {
  const byId = new Map(nodes.map((n) => [n.agentId, n]));
  const seen = new Set<string>();
  for (let id: string | undefined = parentId; id !== undefined; id = byId.get(id)?.parentId) {
    if (id === agentId) return true;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return false;
}

/**
 * A placed node as JSON (`orchestrator hierarchy --json`, the gateway's API): `zones` those it is
 * a member of by the group's zone records (what routes zone tasks to it), `claimed_zones` those
 * its node record names (its `orchestrator.zoneId`), which grant nothing.
 */
export function nodeJson(p: PlacedNode, zones: { zonesOf(agentId: string): string[] }) {
  const { node } = p;
  return {
    agent_id: node.agentId,
    role: node.role,
    parent_id: p.parentId ?? null,
    named_parent_id: node.parentId ?? null,
    liveness: p.liveness,
    zones: zones.zonesOf(node.agentId),
    claimed_zones: node.zones,
    endpoint: node.endpoint,
    // A placed node is not inactive, so it has been heard from.
    last_seen: new Date(node.lastSeen!).toISOString(),
  };
}
