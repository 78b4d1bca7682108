/**
 * The gateway: one agent as a long-lived process (`kafclaw gateway`). {@link Gateway.start}
 * composes what core already has: the agent runtime (core/agent), a transport (core/transport:
 * Kafka in a group, in-process standalone), the membership and the task paths of the group
 * (core/group, wired in tasks.ts: tasks arrive as turns on sessions `task:<task_id>` through the
 * door; the agent's `delegate_task` and `group_members` tools reach the group), the shared memory
 * (shared_memory.ts: the `share_memory` tool, the reader of the memory topics, the sweep of expired
 * context items), the scheduler and the delivery worker (core/scheduler). {@link Gateway.stop}
 * takes them down in the reverse order within a bounded time, leaving the group with a signed
 * `leave`. Everything of the group (membership, task paths, shared memory, the orchestrator's node)
 * is one {@link GroupSide} (group_side.ts): {@link Gateway.leave} stops it while the rest serves on,
 * and {@link Gateway.join} starts a new one.
 *
 * {@link Swarm} (swarm.ts) runs the agents of `agents.list` in one process, each a gateway with
 * its own config (core/config `swarmAgents`), members of one in-process group.
 *
 * Channels and the HTTP API join it in later steps. {@link OneShotRequester} (one_shot.ts) is the
 * requester alone, for one command's life, where no gateway runs (`kafclaw task submit --wait`).
 *
 * @module
 */
export {
  Gateway,
  type GatewayOptions,
  MembershipStateError,
  overKafka,
  STOP_TIMEOUT_MS,
  transportLog,
} from "./gateway.ts";
export { observers } from "./observers.ts";
export { GroupSide, type GroupSideOptions } from "./group_side.ts";
export { Swarm, type SwarmMemberState } from "./swarm.ts";
export { OneShotRequester } from "./one_shot.ts";
export { TaskSide, type TaskSideOptions, taskStream } from "./tasks.ts";
export {
  MEMORY_SWEEP_MS,
  SharedMemorySide,
  type SharedMemorySideOptions,
} from "./shared_memory.ts";
