/**
 * The signer of the benches' signed records: agent `requester`, its certificate issued by a fresh
 * owner key for a day.
 */
import {
  type CertificateBundle,
  exportPublicKey,
  generateKeyPair,
  issueCertificate,
  type Signer,
} from "../../core/protocol/mod.ts";

/** The owner's and the agent's keys, the agent's certificate, and the agent as a signer. */
export interface BenchSigner {
  readonly owner: CryptoKeyPair;
  readonly agent: CryptoKeyPair;
  readonly certificate: CertificateBundle;
  readonly signer: Signer;
}

/** A new owner and agent `requester` with its certificate. */
export async function benchSigner(): Promise<BenchSigner> {
  const owner = await generateKeyPair();
  const agent = await generateKeyPair();
  const certificate = await issueCertificate({
    agent_id: "requester",
    public_key: await exportPublicKey(agent.publicKey),
    zones: ["public"],
    vouched: false,
    issuer: false,
    not_after: new Date(Date.now() + 86_400_000).toISOString(),
    issuer_id: "owner",
  }, owner.privateKey);
  const signer = { keyId: "requester", privateKey: agent.privateKey, certificate };
  return { owner, agent, certificate, signer };
}
