/**
 * What only the group's owner does, with the owner key: issue certificates, revoke them, and sign
 * the group's manifest. Each becomes a `roster` state record on `control.roster`, signed as the
 * reserved id `owner` (PROTOCOL.md, Membership and trust).
 *
 * @module
 */
import {
  type CertificateBundle,
  certKey,
  type GroupManifest,
  issueCertificate,
  MANIFEST_KEY,
  OWNER_ID,
  PROTOCOL_VERSION,
  signRecord,
  topicsFor,
} from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";

/** What a new member's certificate says. */
export interface Admission {
  readonly agentId: string;
  /** base64url of its raw 32-byte Ed25519 public key. */
  readonly publicKey: string;
  readonly zones?: readonly string[];
  readonly vouched?: boolean;
  readonly issuer?: boolean;
  /** Default 365 days from `now`. */
  readonly validDays?: number;
  readonly now?: Date;
}

const DAY = 86_400_000;

/** Issues a certificate with the owner key. */
export function admit(ownerKey: CryptoKey, admission: Admission): Promise<CertificateBundle> {
  const now = admission.now ?? new Date();
  return issueCertificate({
    agent_id: admission.agentId,
    public_key: admission.publicKey,
    zones: [...(admission.zones ?? ["public"])],
    vouched: admission.vouched ?? false,
    issuer: admission.issuer ?? false,
    not_after: new Date(now.getTime() + (admission.validDays ?? 365) * DAY).toISOString(),
    issuer_id: OWNER_ID,
  }, ownerKey);
}

/** A `roster` record of the owner's, signed with the owner key. */
export async function ownerRecord(
  group: string,
  ownerKey: CryptoKey,
  payload: Record<string, unknown>,
  now = new Date(),
): Promise<OutboundRecord> {
  const key = typeof payload.agent_id === "string" ? certKey(payload.agent_id) : MANIFEST_KEY;
  const value = JSON.stringify({
    type: "roster",
    correlation_id: `roster-${crypto.randomUUID()}`,
    sender_id: OWNER_ID,
    timestamp: now.toISOString(),
    protocol: PROTOCOL_VERSION,
    payload,
  });
  const record = { topic: topicsFor(group).roster, key, value };
  return {
    ...record,
    headers: await signRecord(record, { keyId: OWNER_ID, privateKey: ownerKey }),
  };
}

/** The roster record that publishes a member's certificate. */
export function certificateRecord(
  group: string,
  ownerKey: CryptoKey,
  agentId: string,
  bundle: CertificateBundle,
): Promise<OutboundRecord> {
  return ownerRecord(group, ownerKey, {
    agent_id: agentId,
    cert: bundle.cert,
    cert_sig: bundle.cert_sig,
  });
}

/** The roster record that revokes a member's certificate. */
export function revocationRecord(
  group: string,
  ownerKey: CryptoKey,
  agentId: string,
  reason: string,
): Promise<OutboundRecord> {
  return ownerRecord(group, ownerKey, { agent_id: agentId, revoked: true, reason });
}

/** The roster record of the group's manifest. */
export function manifestRecord(
  group: string,
  ownerKey: CryptoKey,
  manifest: GroupManifest,
): Promise<OutboundRecord> {
  return ownerRecord(group, ownerKey, { ...manifest });
}
