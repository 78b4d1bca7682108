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
 * Membership and trust: `kafclaw group init` makes a group (group_init.ts); an agent joins
 * through a sponsor (sponsor.ts, newcomer.ts) and runs its {@link Membership} (membership.ts):
 * announce, heartbeats, the roster (roster.ts) in memory and SQLite, and in a signed group the
 * verification of every record ({@link GroupTrust}, trust.ts), which fills the task intake's
 * {@link Trust}. The task side picks workers from `Membership.live()`.
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
export { LEAVE_TIMEOUT_MS, Membership, type MembershipOptions } from "./membership.ts";
export { type MembershipRequest, OnboardRejected, requestMembership } from "./newcomer.ts";
export {
  type Admission,
  admit,
  certificateRecord,
  manifestRecord,
  ownerRecord,
  revocationRecord,
} from "./owner.ts";
export { announceRecord, heartbeatRecord, type Load } from "./presence.ts";
export {
  type Heartbeat,
  type Member,
  REMOVE_AFTER,
  Roster,
  type RosterChange,
  STALE_AFTER,
} from "./roster.ts";
export { type ReadRoster, readRoster, RosterFeed, type RosterFeedOptions } from "./roster_feed.ts";
export { ATTACH_FIRST, RecordSigner } from "./signer.ts";
export { Sponsor, type SponsorOptions, startSponsor, type StartSponsorOptions } from "./sponsor.ts";
export { type MembershipStore, toStored } from "./store.ts";
export { type Dropped, GroupTrust, type GroupTrustOptions, type TrustVerdict } from "./trust.ts";
