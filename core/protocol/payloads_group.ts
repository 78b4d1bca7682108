/**
 * Membership payloads: `announce`, `heartbeat`, `roster`, `skill` and `onboard`, with the
 * AgentIdentity they carry (PROTOCOL.md, Types and payloads).
 *
 * @module
 */

import { z } from "zod";
import {
  actionRequirements,
  AgentId,
  Base64Url,
  Count,
  GroupId,
  PublicKey,
  requireForAction,
  SkillName,
  Timestamp,
  ZoneId,
} from "./fields.ts";

/** Who an agent is, as it announces itself. */
export const AgentIdentity = z.looseObject({
  agent_id: AgentId,
  agent_name: z.string(),
  soul_summary: z.string(),
  capabilities: z.array(z.string()),
  skills: z.array(SkillName),
  channels: z.array(z.string()),
  model: z.string(),
  joined_at: Timestamp,
  status: z.string(),
  role: z.string().optional(),
  parent_id: AgentId.optional(),
  zones: z.array(ZoneId),
  endpoint: z.string().optional(),
  public_key: PublicKey,
  heartbeat_interval_ms: z.int().min(1),
  protocol: z.string().min(1),
}).meta({ id: "AgentIdentity" });

/** A parsed agent identity. */
export type AgentIdentity = z.output<typeof AgentIdentity>;

/** The payload of `announce`: an agent joins or leaves. */
export const AnnouncePayload = z.looseObject({
  action: z.enum(["join", "leave"]),
  identity: AgentIdentity,
}).meta({ id: "AnnouncePayload" });

/** The payload of `heartbeat`: what a requester needs to pick an inbox for a retry. */
export const HeartbeatPayload = z.looseObject({
  agent_id: AgentId,
  status: z.string(),
  load: z.looseObject({ running: Count, capacity: Count }),
  skills: z.array(SkillName),
  expertise: z.record(SkillName, z.number()).optional(),
  heartbeat_interval_ms: z.int().min(1),
}).meta({ id: "HeartbeatPayload" });

/** A membership certificate as it travels: its JSON bytes and the issuer's signature. */
export const CertificateBundle = z.looseObject({
  cert: Base64Url.meta({ description: "base64url of the certificate's JSON bytes" }),
  cert_sig: Base64Url.meta({
    description: 'the issuer\'s signature over "kafclaw-cert/1\\n" + those bytes',
  }),
}).meta({ id: "CertificateBundle" });

/** A certificate with its issuer's signature, both base64url. */
export type CertificateBundle = z.output<typeof CertificateBundle>;

/** The group's settings, signed by the owner: the `roster` record keyed `manifest`. */
export const GroupManifest = z.looseObject({
  group_name: GroupId,
  version: z.int().min(1),
  owner_key: PublicKey,
  security_mode: z.enum(["signed", "open"]),
  onboard_mode: z.enum(["open", "gated"]),
  heartbeat_interval_ms: z.int().min(1),
  topics: z.array(z.string()),
  updated_at: Timestamp,
  updated_by: AgentId,
}).meta({ id: "GroupManifest" });

/** The group's manifest. */
export type GroupManifest = z.output<typeof GroupManifest>;

/** A `roster` record keyed `cert:<agent_id>`: a certificate issued to that agent. */
export const CertificateEntry = z.looseObject({
  agent_id: AgentId,
  cert: CertificateBundle.shape.cert,
  cert_sig: CertificateBundle.shape.cert_sig,
}).meta({ id: "CertificateEntry" });

/** A `roster` record keyed `cert:<agent_id>`: that agent's certificate is revoked. */
export const Revocation = z.looseObject({
  agent_id: AgentId,
  revoked: z.literal(true),
  reason: z.string(),
}).meta({ id: "Revocation" });

/** The three shapes of a `roster` payload. */
export type RosterShape = "revocation" | "certificate" | "manifest";

/**
 * Tells the shape of a `roster` payload. The record's key decides when it can: `manifest` is the
 * manifest, whatever fields a later version adds to it (readers ignore unknown fields), and
 * `cert:<id>` a revocation when it has a `revoked` field, a certificate entry otherwise. Without
 * such a key the fields decide: `revoked` makes a revocation, `cert` with `agent_id` a certificate
 * entry, and anything else is a manifest.
 */
export function rosterShape(payload: Record<string, unknown>, key?: string | null): RosterShape {
  const entry = "revoked" in payload ? "revocation" : "certificate";
  if (key === "manifest") return "manifest";
  if (key?.startsWith("cert:")) return entry;
  return "revoked" in payload || ("cert" in payload && "agent_id" in payload) ? entry : "manifest";
}

/** The schema of each roster shape. */
export const ROSTER_SCHEMAS = {
  revocation: Revocation,
  certificate: CertificateEntry,
  manifest: GroupManifest,
} as const;

/** The payload of `roster`: a manifest, a certificate entry or a revocation. */
export const RosterPayload = z.union([Revocation, CertificateEntry, GroupManifest]).meta({
  id: "RosterPayload",
  description: "A payload with a revoked field is a Revocation, one with a cert field a " +
    "CertificateEntry, any other a GroupManifest.",
});

/** A parsed roster payload. */
export type RosterPayload = z.output<typeof RosterPayload>;

/** The payload of `skill` (state, key `skill:<name>`): who offers a skill, in which zones. */
export const SkillPayload = z.looseObject({
  skill: SkillName,
  providers: z.array(
    z.looseObject({ agent_id: AgentId, zones: z.array(ZoneId), since: Timestamp }),
  ),
}).meta({ id: "SkillPayload" });

/** The steps of onboarding. */
export const ONBOARD_ACTIONS = [
  "onboard_request",
  "onboard_challenge",
  "onboard_response",
  "onboard_complete",
  "onboard_reject",
] as const;

/**
 * The fields each onboarding action requires beyond `action` and `requester_id`: only what the
 * next step cannot work without (the key a certificate is issued for, the challenge and the
 * sponsor it names, the answer, the certificate). The rest is optional, as PROTOCOL.md marks it:
 * a newcomer reads the manifest from the roster, and a rejection may come without a reason.
 */
export const ONBOARD_FIELDS_BY_ACTION: Readonly<
  Record<typeof ONBOARD_ACTIONS[number], readonly string[]>
> = {
  onboard_request: ["public_key"],
  onboard_challenge: ["sponsor_id", "challenge"],
  onboard_response: ["sponsor_id", "response"],
  onboard_complete: ["certificate"],
  onboard_reject: [],
};

/** The payload of `onboard`. Each action needs the fields the next step works with. */
export const OnboardPayload = z.looseObject({
  action: z.enum(ONBOARD_ACTIONS),
  requester_id: AgentId,
  sponsor_id: AgentId.optional(),
  public_key: PublicKey.optional(),
  challenge: z.string().min(1).optional(),
  response: z.string().min(1).optional(),
  certificate: CertificateBundle.optional(),
  manifest: GroupManifest.optional(),
  reason: z.string().optional(),
}).superRefine(requireForAction(ONBOARD_FIELDS_BY_ACTION)).meta({
  id: "OnboardPayload",
  allOf: actionRequirements(ONBOARD_FIELDS_BY_ACTION),
});
