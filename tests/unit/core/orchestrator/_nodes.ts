/** Node records and table entries for the orchestrator's unit tests. */
import { type Envelope, parseRecord } from "../../../../core/protocol/mod.ts";
import { type KnownNode, type NodePayload, nodeRecord } from "../../../../core/orchestrator/mod.ts";

/** A node's own record payload, `active`, in public, interval 1000 ms. */
export function payload(agentId: string, fields: Partial<NodePayload> = {}): NodePayload {
  return {
    agent_id: agentId,
    agent_name: agentId,
    role: "worker",
    parent_id: "",
    zones: ["public"],
    endpoint: "",
    status: "active",
    heartbeat_interval_ms: 1000,
    ...fields,
  };
}

/** The parsed envelope of a node's own record. */
export function envelopeOf(node: NodePayload): Envelope {
  const record = nodeRecord("g1", node.agent_id, node);
  const parsed = parseRecord(record);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.envelope;
}

/** A table entry seen at `lastSeen`, parent `parentId`. */
export function known(
  agentId: string,
  parentId: string | undefined,
  fields: Partial<KnownNode> = {},
): KnownNode {
  return {
    agentId,
    agentName: agentId,
    role: "worker",
    parentId,
    parentSetBy: undefined,
    zones: ["public"],
    endpoint: "",
    intervalMs: 1000,
    lastSeen: 0,
    left: false,
    ...fields,
  };
}
