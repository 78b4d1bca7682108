/**
 * The orchestrator (PROTOCOL.md, `orchestrator` node records; issue "Step 8"): roles, discovery,
 * hierarchy and dispatch.
 *
 * - Discovery is a state topic, not a message: every node with `orchestrator.enabled` announces
 *   its `node:<id>` record at start and again every heartbeat interval ({@link Orchestrator});
 *   everyone reads the topic from the beginning into a {@link NodeTable}, so a newcomer has the
 *   whole table once it has read the topic. Liveness follows the roster's rules on each node's own
 *   interval: stale after 3 silent intervals, inactive after 6, at once when it says it left.
 * - The hierarchy ({@link Hierarchy}) is computed from the table by every node alike: inactive
 *   nodes' children hang from their grandparent, and a cycle from the wire is cut at its smallest
 *   id. A parent comes from config (`orchestrator.parentId`) or from a set-parent record, which
 *   only the node itself may write, from its home, as the protocol's key rule has it
 *   ({@link setParentRecord}); set-parent refuses what would close a cycle ({@link wouldCycle}).
 * - Dispatch ({@link dispatchTarget}) picks an active, live node below the orchestrator in the
 *   task's zone, as the requester picks workers; the task then takes the group's own task path.
 *
 * Zone records are not read here yet: {@link publicOnly} is the zone hook until they are.
 *
 * @module
 */
export {
  DEFAULT_INTERVAL_MS,
  type KnownNode,
  livenessOf,
  NODE_STATUS,
  type NodeChange,
  type NodeLiveness,
  type NodePayload,
  NodeTable,
  type Role,
  ROLES,
} from "./node_table.ts";
export { Hierarchy, type PlacedNode, wouldCycle } from "./hierarchy.ts";
export { nodeRecord, setParentRecord } from "./node_records.ts";
export {
  Orchestrator,
  type OrchestratorMember,
  type OrchestratorOptions,
  type SelfNode,
} from "./orchestrator.ts";
export {
  DispatchError,
  type DispatchFrom,
  dispatchTarget,
  publicOnly,
  type ZoneMembers,
} from "./dispatch.ts";
export { type ReadNodes, readNodes } from "./read.ts";
export { runsOrchestrator, startOrchestrator } from "./from_config.ts";
