/**
 * Member certificates for tests: what the owner issues to an agent that is neither vouched nor an
 * issuer, for the public zone.
 */
import {
  type CertificateBundle,
  exportPublicKey,
  issueCertificate,
} from "../../core/protocol/mod.ts";

/** The owner's certificate for `agentId` and its public key, valid a day unless told otherwise. */
export async function memberCertificate(
  ownerPrivateKey: CryptoKey,
  agentId: string,
  publicKey: CryptoKey,
  notAfter = new Date(Date.now() + 86_400_000).toISOString(),
): Promise<CertificateBundle> {
  return await issueCertificate({
    agent_id: agentId,
    public_key: await exportPublicKey(publicKey),
    zones: ["public"],
    vouched: false,
    issuer: false,
    not_after: notAfter,
    issuer_id: "owner",
  }, ownerPrivateKey);
}
