/**
 * The node table: every agent of the hierarchy as the group's orchestrator topic says
 * (PROTOCOL.md, `orchestrator` state records keyed `node:<id>`; semantics 1 and 6). A node
 * announces its own record at start and again every heartbeat interval; it is judged by the
 * roster's rules on the interval it announced: `stale` after 3 silent intervals, `inactive` after
 * 6, and at once when it sends its record with status `left`. Its record stays in the table, so a
 * node that speaks again is back.
 *
 * Who may write a node's record, its parent included: the node itself, signed with its own key,
 * nobody else. The protocol already drops a state record whose key names another agent than its
 * sender (core/protocol `parseRecord`), so not even the owner or an issuer can re-parent a node;
 * they do it from the node's home. A `parent_set` record (`kafclaw orchestrator set-parent`, from
 * the node's home while its gateway runs or not) changes only the parent, never liveness.
 *
 * Pure logic on times given by the caller (the broker's append times).
 *
 * @module
 */
import type { Envelope } from "../protocol/mod.ts";
import { REMOVE_AFTER, STALE_AFTER } from "../group/mod.ts";

/** The roles of a node. */
export const ROLES = ["orchestrator", "worker", "observer"] as const;
/** A node's role. */
export type Role = typeof ROLES[number];

/** A node's liveness. */
export type NodeLiveness = "active" | "stale" | "inactive";

/** The status a node's own record has while it runs, when it leaves, and a set-parent record's. */
export const NODE_STATUS = { active: "active", left: "left", parentSet: "parent_set" } as const;

/** The interval a node is judged by when its record names none. */
export const DEFAULT_INTERVAL_MS = 10_000;

/** An `AgentNode` as it comes in a record (PROTOCOL.md), with the fields this project adds. */
export interface NodePayload {
  readonly agent_id: string;
  readonly agent_name: string;
  readonly role: string;
  /** The parent's id, `""` for none. */
  readonly parent_id: string;
  readonly zones: readonly string[];
  readonly endpoint: string;
  readonly status: string;
  /** The interval the node re-announces on (ms); this project's own field. */
  readonly heartbeat_interval_ms?: number;
  /** Who set the parent the node runs with, when a set-parent did; this project's own field. */
  readonly parent_set_by?: string;
}

/** A node as the table knows it. */
export interface KnownNode {
  readonly agentId: string;
  readonly agentName: string;
  readonly role: string;
  /** The parent its latest record (or set-parent) names. */
  readonly parentId: string | undefined;
  /** Who set the parent with a set-parent record, when one did (the node itself). */
  readonly parentSetBy: string | undefined;
  readonly zones: readonly string[];
  readonly endpoint: string;
  readonly intervalMs: number;
  /** The append time of its latest own record, undefined when it never sent one. */
  readonly lastSeen: number | undefined;
  /** Whether its latest own record said it left. */
  readonly left: boolean;
}

/** What a record did to the table. */
export interface NodeChange {
  readonly kind: "updated" | "parent_set" | "left";
  readonly agentId: string;
}

/** The orchestrator's nodes; see the module documentation. */
export class NodeTable {
  readonly #nodes = new Map<string, KnownNode>();

  /**
   * Applies an `orchestrator` record appended at `appendTime`; undefined for what is not a node
   * record (zones are another part's).
   */
  apply(envelope: Envelope, appendTime: number): NodeChange | undefined {
    if (envelope.type !== "orchestrator" || envelope.payload.action !== "node") return undefined;
    // The payload schema makes sure a node action has its node.
    const node = envelope.payload.node as unknown as NodePayload;
    // parseRecord made sure the sender is the node: its key names it.
    const agentId = node.agent_id;
    const old = this.#nodes.get(agentId);
    const parentId = node.parent_id === "" ? undefined : node.parent_id;
    if (node.status === NODE_STATUS.parentSet) {
      this.#nodes.set(agentId, { ...(old ?? unseen(node)), parentId, parentSetBy: agentId });
      return { kind: "parent_set", agentId };
    }
    if (old?.lastSeen !== undefined && old.lastSeen > appendTime) return undefined;
    const interval: unknown = node.heartbeat_interval_ms;
    const setBy: unknown = node.parent_set_by;
    this.#nodes.set(agentId, {
      agentId,
      agentName: node.agent_name,
      role: node.role,
      parentId,
      parentSetBy: typeof setBy === "string" ? setBy : undefined,
      zones: node.zones,
      endpoint: node.endpoint,
      intervalMs: typeof interval === "number" && interval > 0 ? interval : DEFAULT_INTERVAL_MS,
      lastSeen: appendTime,
      left: node.status === NODE_STATUS.left,
    });
    return { kind: node.status === NODE_STATUS.left ? "left" : "updated", agentId };
  }

  /** A node, if known. */
  get(agentId: string): KnownNode | undefined {
    return this.#nodes.get(agentId);
  }

  /** Every node known, by id. */
  nodes(): KnownNode[] {
    return [...this.#nodes.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
  }
}

/** How a node is doing at `now`, by the roster's rules on its own interval. */
export function livenessOf(node: KnownNode, now: number): NodeLiveness {
  if (node.left || node.lastSeen === undefined) return "inactive";
  const silent = now - node.lastSeen;
  if (silent >= REMOVE_AFTER * node.intervalMs) return "inactive";
  return silent >= STALE_AFTER * node.intervalMs ? "stale" : "active";
}

/** A node known only from a set-parent record: never heard from itself. */
function unseen(node: NodePayload): KnownNode {
  return {
    agentId: node.agent_id,
    agentName: node.agent_name,
    role: node.role,
    parentId: undefined,
    parentSetBy: undefined,
    zones: node.zones,
    endpoint: node.endpoint,
    intervalMs: DEFAULT_INTERVAL_MS,
    lastSeen: undefined,
    left: false,
  };
}
