/**
 * The newcomer's side of onboarding (PROTOCOL.md, Membership and trust, Onboarding): it asks for
 * a certificate on `control.onboarding`, answers a gated group's challenge with its invite, and
 * takes the certificate only when it chains to the owner key it was given and names its own id
 * and key. It reads the replies from the beginning of the topic (a state read: on Kafka in no
 * consumer group), so none can pass before it listens, and knows its own by the request's
 * correlation id.
 *
 * @module
 */
import {
  agentConsumerGroup,
  type CertificateBundle,
  type EnvelopeOf,
  type GroupManifest,
  onboardKey,
  parseRecord,
  PROTOCOL_VERSION,
  topicsFor,
  verifyCertificate,
} from "../protocol/mod.ts";
import type { InboundRecord, Transport } from "../transport/mod.ts";
import { inviteProof } from "./invites.ts";

/** The sponsor said no, or the group is gated and no invite was given; the message says why. */
export class OnboardRejected extends Error {
  override name = "OnboardRejected";
}

/** No sponsor answered the newcomer within its time: no agent of the owner runs, or none reads. */
export class SponsorSilent extends Error {
  override name = "SponsorSilent";
}

/** What a newcomer asks with. */
export interface MembershipRequest {
  readonly transport: Transport;
  readonly group: string;
  readonly agentId: string;
  /** base64url of its raw 32-byte public key. */
  readonly publicKey: string;
  /** The owner's public key, pinned in config. */
  readonly ownerKey: CryptoKey;
  /** The owner's one-time invite, for a gated group. */
  readonly invite?: string;
  /** How the user runs kafclaw (config.command), for the commands errors suggest. */
  readonly command?: string;
  /** Default 30000. */
  readonly timeoutMs?: number;
}

type Step = EnvelopeOf<"onboard">["payload"];

/** Asks the group's sponsors for a certificate; see the module documentation. */
export async function requestMembership(
  request: MembershipRequest,
): Promise<{ certificate: CertificateBundle; manifest: GroupManifest }> {
  const { transport, group, agentId } = request;
  const correlation = `onboard-${crypto.randomUUID()}`;
  const replies: Step[] = [];
  let wake = () => {};
  const subscription = await transport.subscribe({
    kind: "state",
    topics: [topicsFor(group).onboarding],
    groupId: `${agentConsumerGroup(group, agentId)}.onboard`,
    handler: (record: InboundRecord) => {
      const parsed = parseRecord(record);
      if (!parsed.ok || parsed.envelope.type !== "onboard") return;
      if (parsed.envelope.correlation_id !== correlation) return;
      const step = parsed.envelope.payload;
      if (step.requester_id !== agentId || step.action === "onboard_request") return;
      if (step.action === "onboard_response") return;
      replies.push(step);
      wake();
    },
  });
  const timeoutMs = request.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const next = async (): Promise<Step> => {
    while (replies.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new SponsorSilent(
          `Cannot join group "${group}": no sponsor answered within ${timeoutMs} ms ` +
            "(is an agent of the group's owner running?)",
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return replies.shift() as Step;
  };
  try {
    await send(request, correlation, { action: "onboard_request", public_key: request.publicKey });
    for (;;) {
      const step = await next();
      if (step.action === "onboard_reject") {
        throw new OnboardRejected(`The sponsor refused to admit "${agentId}": ${step.reason}`);
      }
      if (step.action === "onboard_challenge") {
        if (request.invite === undefined) {
          // Said alike by `group join` and by a gateway's start, which has no --invite flag.
          const command = request.command ?? "kafclaw";
          throw new OnboardRejected(
            `Group "${group}" is gated: ask its owner for an invite (${command} group invite) ` +
              `and run ${command} group join --invite <invite>, or set group.invite ` +
              "(KAFCLAW_GROUP_INVITE)",
          );
        }
        const response = await inviteProof(request.invite, {
          challenge: step.challenge as string,
          requesterId: agentId,
          publicKey: request.publicKey,
          sponsorId: step.sponsor_id as string,
        });
        await send(request, correlation, {
          action: "onboard_response",
          sponsor_id: step.sponsor_id,
          response,
        });
        continue;
      }
      return await accepted(request, step);
    }
  } finally {
    await subscription.close();
  }
}

async function send(
  request: MembershipRequest,
  correlation: string,
  fields: Record<string, unknown>,
): Promise<void> {
  const value = JSON.stringify({
    type: "onboard",
    correlation_id: correlation,
    sender_id: request.agentId,
    timestamp: new Date().toISOString(),
    protocol: PROTOCOL_VERSION,
    payload: { requester_id: request.agentId, ...fields },
  });
  await request.transport.produce([{
    topic: topicsFor(request.group).onboarding,
    key: onboardKey(request.agentId),
    value,
  }]);
}

/** The certificate of an `onboard_complete`, once it is known to be good and ours. */
async function accepted(
  request: MembershipRequest,
  step: Step,
): Promise<{ certificate: CertificateBundle; manifest: GroupManifest }> {
  const bundle = step.certificate as CertificateBundle;
  const checked = await verifyCertificate(bundle, {
    ownerKey: request.ownerKey,
    now: Date.now(),
  });
  if (!checked.ok) {
    throw new OnboardRejected(`The sponsor's certificate is not good: ${checked.error.message}`);
  }
  const { certificate } = checked.verified;
  if (certificate.agent_id !== request.agentId || certificate.public_key !== request.publicKey) {
    throw new OnboardRejected("The sponsor's certificate is for another agent or key");
  }
  return {
    certificate: { cert: bundle.cert, cert_sig: bundle.cert_sig },
    manifest: step.manifest as GroupManifest,
  };
}
