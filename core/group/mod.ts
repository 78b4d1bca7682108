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
 * (core/protocol) owns what a record may say. {@link LiveWorkers} is the roster's face that the
 * task paths read.
 *
 * Skills (skills.ts, skill_records.ts): an agent offers the skills of `group.skills`; each has a
 * work topic read through the skill's shared consumer group, and one `skill` state record per
 * skill lists its providers ({@link SkillDirectory}, read whole by every member at start). A
 * skill task's first attempt goes to the skill's topic; its retries and declines go to the inbox
 * of the live provider with the best expertise, then the most free capacity
 * ({@link rankWorkers}), and the requester stores each choice with its reason (`routes`). A
 * member found gone ({@link GoneWorkers}: its lease lapsed, or it left the live set) is out of
 * routing at once and taken off the skills' records.
 *
 * Traces and audit: the requester and the intake record each step of a task as a span
 * ({@link GroupSpans}, spans.ts) of the task's trace, whose id and parent span travel in the
 * request's envelope, so a sub-task's spans join its parent's tree; a task's turn is read back
 * from the timeline and sent as spans too (turn_spans.ts). Every agent stores the spans it sees;
 * {@link spanTree} makes one tree of them (`kafclaw task show <id> --trace`). What an agent drops
 * or refuses goes to the group's audit topic ({@link GroupAudit}, audit.ts).
 *
 * Shared memory: {@link SharedMemory} (shared_memory.ts) is the `share_memory` tool's port, which
 * publishes an item in parts each with the whole's sha256 (memory_parts.ts), and the handler of
 * the memory topics, which checks sender, expiry, the author's quota (memory_quota.ts), size and
 * hash, and indexes the item into the agent's memory with its taint and author.
 *
 * Membership and trust: `kafclaw group init` makes a group (group_init.ts); an agent joins
 * through a sponsor (sponsor.ts, newcomer.ts) and runs its {@link Membership} (membership.ts):
 * announce, heartbeats, the roster (roster.ts) in memory and SQLite, and in a signed group the
 * verification of every record ({@link GroupTrust}, trust.ts), which fills the task intake's
 * {@link Trust}. `Membership.live()` lists the live members with their skills, load and
 * expertise: the gateway (core/gateway) hands it to the requester as its {@link LiveWorkers}.
 * {@link joinGroup} (member_config.ts) joins as config says, for `kafclaw gateway` and
 * `kafclaw group join` alike: the agent's key and certificate (asked of a sponsor when a signed
 * group's newcomer has none), the pinned owner key, the membership, and a sponsor in the home that
 * holds the owner key. An agent whose `group.security` is not the mode of the group's manifest
 * refuses to join (group_mode.ts).
 *
 * Operations: `kafclaw group acl` makes each agent's Kafka ACLs (acl.ts); `kafclaw group gc`
 * deletes the inbox and consumer groups of agents gone long enough (gc.ts), judged by what the
 * group's topics say of them (sightings.ts).
 *
 * @module
 */
export {
  type ActiveTask,
  openTrust,
  type SkillUse,
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
export {
  chooseWorker,
  type LiveWorker,
  type LiveWorkers,
  LiveWorkerSet,
  rankWorkers,
  scoreOf,
} from "./live_workers.ts";
export { SeqCounter, type StatusFields, type TaskPlace, TaskRecords } from "./status_records.ts";
export {
  type FinalAnswer,
  Requester,
  type RequesterAudit,
  type RequesterDeps,
} from "./requester.ts";
export { GroupDelegation, type GroupDelegationDeps } from "./delegation.ts";

// Traces and audit.
export { AUDIT_WAITING, type AuditEvent, GroupAudit, type GroupAuditOptions } from "./audit.ts";
export { type PoisonWatch, watchPoison } from "./audit_watch.ts";
export { senderChecked } from "./sender_check.ts";
export {
  contentHash,
  GroupSpans,
  type GroupSpansOptions,
  type OpenSpan,
  randomId,
  SPAN_LINGER_MS,
  type SpanEnd,
  spanOf,
  type SpanStart,
  type SpanType,
  type TraceContext,
} from "./spans.ts";
export {
  spanJson,
  spanTree,
  type SpanTreeNode,
  type TaskTrace,
  traceOfTask,
  uniqueSpans,
} from "./span_tree.ts";
export { type RecordedTurn, recordedTurn, reportTurn, type TurnRecords } from "./turn_spans.ts";
export {
  type DroppedRecord,
  readTaskLog,
  searchTaskLog,
  type TaskLog,
  type TaskLogQuery,
  type TaskLogReader,
  taskLogReader,
  type TaskLogSearch,
} from "./task_log.ts";
export { type TaskTopics, taskTopics, type TaskTopicsView } from "./task_topics.ts";
export { type NewTask, rootLimits, taskRequest, type TaskRequestOut } from "./task_request.ts";

// Membership and trust.
export { checkGroupTopics, GroupTopicsError, memberTopicSpecs } from "./group_topics.ts";
export { initGroup, type InitGroupOptions, type InitializedGroup } from "./group_init.ts";
export {
  agentKey,
  createOwnerKey,
  IDENTITY_FILES,
  type KeyPair,
  ownerKey,
  readCertificate,
  writeCertificate,
} from "./identity_files.ts";
export {
  constantTimeEqual,
  inviteProof,
  matchInvite,
  type ProofParts,
  randomToken,
} from "./invites.ts";
export {
  LEAVE_TIMEOUT_MS,
  Membership,
  MembershipClosed,
  type MembershipOptions,
} from "./membership.ts";
export {
  beginJoin,
  certificateAsking,
  configuredInvite,
  type Joined,
  joinGroup,
  type JoinOptions,
  memberId,
  memberIdentity,
  memberTopicOptions,
  pinnedOwnerKey,
  sponsorFrom,
} from "./member_config.ts";
export { GroupSetupError, securityMismatch } from "./group_mode.ts";
export { AgentRunsError } from "./membership_join.ts";
export {
  type MembershipRequest,
  OnboardRejected,
  requestMembership,
  SponsorSilent,
} from "./newcomer.ts";
export {
  type Admission,
  admit,
  certificateRecord,
  manifestRecord,
  ownerRecord,
  revocationRecord,
} from "./owner.ts";
export { NodeFeed, type NodeListener, type NodeRecordRead } from "./node_feed.ts";
export { announceRecord, heartbeatRecord, type Load } from "./presence.ts";
export {
  type Heartbeat,
  type Member,
  REMOVE_AFTER,
  Roster,
  type RosterChange,
  STALE_AFTER,
} from "./roster.ts";
export {
  readManifest,
  type ReadRoster,
  readRoster,
  RosterFeed,
  type RosterFeedOptions,
} from "./roster_feed.ts";
export { ATTACH_FIRST, RecordSigner } from "./signer.ts";
export {
  SkillDirectory,
  type SkillListener,
  type SkillProvider,
  skillRecord,
  withoutProvider,
  withProvider,
} from "./skill_records.ts";
export { GoneWorkers, type GoneWorkersOptions, type HeardWorker } from "./gone_workers.ts";
export {
  ensureSkillTopic,
  type SkillChange,
  Skills,
  type SkillsMembership,
  type SkillsOptions,
} from "./skills.ts";
export { Sponsor, type SponsorOptions, startSponsor, type StartSponsorOptions } from "./sponsor.ts";
export { type MembershipStore, toStored } from "./store.ts";
export { type Dropped, GroupTrust, type GroupTrustOptions, type TrustVerdict } from "./trust.ts";

// Operations: Kafka ACLs and leftovers of agents gone.
export {
  type AclAgent,
  type AclBinding,
  aclBindings,
  aclLine,
  type AclOperation,
  principalOf,
} from "./acl.ts";
export {
  type Collected,
  formatDuration,
  type GcAdmin,
  type GcInput,
  type GcPlan,
  planGc,
  runGc,
} from "./gc.ts";
export {
  readSightings,
  readSightingsAndZones,
  type Sighting,
  type Sightings,
} from "./sightings.ts";

// Shared memory.
export {
  type MemoryRefusal,
  SharedMemory,
  type SharedMemoryDeps,
  type SharedMemorySink,
} from "./shared_memory.ts";
export {
  type Assembly,
  byteLength,
  DEFAULT_SHARED_MEMORY_LIMITS,
  MIN_PART_BYTES,
  PartsAssembler,
  type PartsJournal,
  type RefusalCause,
  type SharedMemoryLimits,
  sharedMemoryLimits,
  splitContent,
} from "./memory_parts.ts";
export { AuthorQuotas, DEFAULT_MEMORY_QUOTA, type MemoryQuota } from "./memory_quota.ts";

// Zones.
export {
  type CertifiedZones,
  PUBLIC_ZONE,
  ZoneDirectory,
  type ZoneListener,
  type ZoneRefusal,
  ZoneRefused,
} from "./zones.ts";
export {
  createZoneTopics,
  orchestratorRecord,
  type ZoneEvent,
  type ZoneEventAction,
  zoneEventRecord,
  type ZoneInfo,
  zoneRecord,
  zoneTopicSpecs,
} from "./zone_records.ts";
export {
  type ZoneActor,
  type ZoneChange,
  ZoneChangeError,
  zoneChangeRecords,
} from "./zone_changes.ts";
export {
  zoneConsumerGroup,
  type ZoneDropped,
  zoneDroppedEvent,
  type ZoneHandlers,
  type ZoneMemory,
  ZoneSubscriptions,
  type ZoneSubscriptionsOptions,
} from "./zone_subscriptions.ts";
export { type OutageLines, OutageNotice } from "./outage.ts";
