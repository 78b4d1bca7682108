/**
 * The hierarchy (and the zones) as the group's topics say, read by one who is not running (`kafclaw orchestrator
 * status`, `hierarchy`, `set-parent`, `dispatch`): the roster's topics and the orchestrator topic
 * whole, each record believed as a member would believe it (core/group `readRoster`, which keeps
 * the node records for this).
 *
 * @module
 */
import { type Member, readRoster, type ZoneDirectory } from "../group/mod.ts";
import type { Transport } from "../transport/mod.ts";
import { Hierarchy } from "./hierarchy.ts";
import { NodeTable } from "./node_table.ts";

/** The nodes, the hierarchy and the live roster, as read from the topics. */
export interface ReadNodes {
  readonly table: NodeTable;
  readonly hierarchy: Hierarchy;
  /** The members on the roster (active and stale), with their load. */
  readonly members: readonly Member[];
  /** The group's zones and their members, from the same topic as the nodes. */
  readonly zones: ZoneDirectory;
}

/** Reads the group's nodes; see the module documentation. */
export async function readNodes(
  transport: Transport,
  group: string,
  options: { readonly ownerKey?: CryptoKey; readonly now?: () => number } = {},
): Promise<ReadNodes> {
  const now = options.now ?? Date.now;
  const read = await readRoster(transport, group, { ...options, now });
  const table = new NodeTable();
  for (const node of read.nodes) table.apply(node.envelope, node.appendTime);
  return {
    table,
    // As of the moment the read began, as the members are: the time the read takes must not make
    // every node look silent.
    hierarchy: new Hierarchy(table.nodes(), read.readAt),
    members: read.members,
    zones: read.zones,
  };
}
