/**
 * The group: agents working together over Kafka (PROTOCOL.md).
 *
 * Where a Kafka record becomes a turn: a worker's subscriptions on requests topics and on its
 * inbox hand each record to {@link TaskIntake.handle} (task_intake.ts). It parses and checks the
 * record (poison is dead-lettered by the transport), checks depth, chain, budget and deadline
 * (limits.ts), claims the task, and hands it to the agent's one door into a turn (core/agent
 * `Door.enter`, as `{kind: "task"}`), in the zone of the topic it came on, with the attempt's
 * grant (grant.ts) as the fence of every side effect; the answer goes back as a response record.
 *
 * Where a task goes out: the agent's `delegate_task` tool reaches {@link GroupDelegation}, which
 * has the {@link Requester} send the request and follow it to one final answer: grants, renewals,
 * lapsed leases and declines sent on to another live worker ({@link LiveWorkers}), deadlines, and
 * its unfinished tasks resumed after a restart (core/timeline `groupTasks`).
 *
 * The transport (core/transport) owns consuming, pausing and committing; the protocol
 * (core/protocol) owns what a record may say. Roster, heartbeats, onboarding, skills, shared
 * memory and traces arrive with the rest of the group step; {@link LiveWorkers} is the roster's
 * face that the task paths read.
 *
 * @module
 */
export {
  type ActiveTask,
  openTrust,
  TaskIntake,
  type TaskIntakeDeps,
  type TaskRequest,
  type Trust,
} from "./task_intake.ts";
export { Grant, type GrantOptions, type GrantState } from "./grant.ts";
export {
  type Accepted,
  checkRequest,
  DEFAULT_TASK_LIMITS,
  type Rejected,
  type SubTaskLimits,
  subTaskLimits,
  type TaskLimits,
} from "./limits.ts";
export { chooseWorker, type LiveWorker, type LiveWorkers, LiveWorkerSet } from "./live_workers.ts";
export { SeqCounter, type StatusFields, type TaskPlace, TaskRecords } from "./status_records.ts";
export {
  type FinalAnswer,
  Requester,
  type RequesterAudit,
  type RequesterDeps,
} from "./requester.ts";
export { GroupDelegation, type GroupDelegationDeps } from "./delegation.ts";
