/**
 * The group: agents working together over Kafka (PROTOCOL.md).
 *
 * Where a Kafka record becomes a turn: a worker's subscription on a requests topic hands each
 * record to {@link TaskIntake.handle} (task_intake.ts). It parses and checks the record (poison is
 * dead-lettered by the transport), and hands the task to the agent's one door into a turn
 * (core/agent `Door.enter`, as `{kind: "task"}`), in the zone of the topic it came on; the answer
 * goes back as a response record. The transport (core/transport) owns consuming, pausing and
 * committing; the protocol (core/protocol) owns what a record may say.
 *
 * Built so far: the path from a request record to a turn and back. Roster, heartbeats,
 * onboarding, delegation, skills, shared memory and traces arrive with the group step.
 *
 * @module
 */
export {
  openTrust,
  TaskIntake,
  type TaskIntakeDeps,
  type TaskRequest,
  type Trust,
} from "./task_intake.ts";
