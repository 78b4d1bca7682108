/**
 * The `orchestrator` records of nodes (PROTOCOL.md, `{action: "node", node: AgentNode}`, state
 * records keyed `node:<agent_id>` on `group.<g>.orchestrator`): a node's own announce (status
 * `active`, or `left` when it stops) and a set-parent (status `parent_set`), both written from the
 * node's own home and signed with its key (the membership's signer, or the CLI's).
 *
 * @module
 */
import { orchestratorRecord } from "../group/mod.ts";
import { nodeKey } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";
import type { NodePayload } from "./node_table.ts";

/** The record of `node`, sent by `sender` at `now`. */
export function nodeRecord(
  group: string,
  sender: string,
  node: NodePayload,
  now = new Date(),
): OutboundRecord {
  return orchestratorRecord(
    group,
    sender,
    nodeKey(node.agent_id),
    { action: "node", node },
    now,
    "node",
  );
}

/**
 * The set-parent record that makes `parentId` (`""`: none) the parent of `node` (its name, role,
 * zones and endpoint as last known), sent by the node itself.
 */
export function setParentRecord(
  group: string,
  node: Omit<NodePayload, "parent_id" | "status">,
  parentId: string,
  now = new Date(),
): OutboundRecord {
  const { agent_id, agent_name, role, zones, endpoint } = node;
  return nodeRecord(group, agent_id, {
    agent_id,
    agent_name,
    role,
    parent_id: parentId,
    zones: [...zones],
    endpoint,
    status: "parent_set",
  }, now);
}
