/**
 * What a membership keeps in SQLite, as a port: the roster (`group_members`), the certificate
 * cache, the replay table, a setting saying the member is alive, and the timeline events that
 * audit dropped records. A core/timeline `Timeline` is one.
 *
 * @module
 */
import type {
  CertificateStore,
  EventLog,
  GroupMemberStore,
  SettingStore,
  StoredMember,
} from "../timeline/mod.ts";
import type { ReplayStore } from "../protocol/mod.ts";
import type { Member } from "./roster.ts";

/** The parts of a Timeline a membership writes. */
export interface MembershipStore {
  readonly members: Pick<GroupMemberStore, "put" | "remove" | "clear">;
  readonly certificates: Pick<CertificateStore, "put" | "list">;
  readonly replay: ReplayStore;
  readonly settings: Pick<SettingStore, "set" | "delete">;
  readonly events: Pick<EventLog, "record">;
}

/** A roster member as `group_members` stores it. */
export function toStored(member: Member): StoredMember {
  const { identity } = member;
  return {
    agentId: member.agentId,
    agentName: identity.agent_name,
    model: identity.model,
    role: identity.role,
    publicKey: identity.public_key,
    capabilities: identity.capabilities,
    skills: member.skills,
    zones: identity.zones,
    status: member.status,
    heartbeatIntervalMs: member.heartbeatIntervalMs,
    joinedAt: new Date(identity.joined_at),
    lastSeen: new Date(member.lastSeen),
    load: member.load,
    expertise: member.expertise,
  };
}
