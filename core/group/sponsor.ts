/**
 * The sponsor's side of onboarding (PROTOCOL.md, Membership and trust, Onboarding). Sponsors share
 * one consumer group on `control.onboarding`, so Kafka hands each newcomer's records (keyed
 * `onboard:<requester>`, one partition) to exactly one of them. In an `open` group the sponsor
 * issues a certificate at once; in a `gated` one it sends a random challenge and issues one only
 * for an answer made with an unused invite of the owner's (compared in constant time; the invite
 * is then recorded as used). Anything else gets `onboard_reject`, audited. The certificate is
 * also published on the roster, so members who never see the newcomer's first records know it.
 *
 * @module
 */
import {
  type CertificateBundle,
  deadLetterTopicFor,
  type EnvelopeOf,
  type GroupManifest,
  isMemberId,
  MEMBER_ID_RULE,
  onboardKey,
  parseRecord,
  PROTOCOL_VERSION,
  sponsorsConsumerGroup,
  topicsFor,
} from "../protocol/mod.ts";
import type { EventLog, StoredInvite } from "../timeline/mod.ts";
import type {
  HandlerResult,
  InboundRecord,
  OutboundRecord,
  Subscription,
  Transport,
} from "../transport/mod.ts";
import { untilStarted } from "./_gate.ts";
import { matchInvite, randomToken } from "./invites.ts";
import type { Membership, Standing } from "./membership.ts";
import { admit, certificateRecord } from "./owner.ts";

/** What a {@link Sponsor} is built from. */
export interface SponsorOptions {
  readonly group: string;
  readonly sponsorId: string;
  /** The group's onboard mode now (its manifest's, which may change while the sponsor runs). */
  readonly onboardMode: () => "open" | "gated";
  /** Issues a certificate for a newcomer's key, and publishes it on the roster. */
  readonly issue: (agentId: string, publicKey: string) => Promise<CertificateBundle>;
  /** The group's manifest, sent along with the certificate. */
  readonly manifest: () => GroupManifest | undefined;
  readonly invites: {
    usable(group: string, now: Date): StoredInvite[];
    use(id: string, agentId: string): boolean;
  };
  /** Sends records, signed as the sponsor. */
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  /** Records a refusal (`onboard_rejected`). */
  readonly audit: (agentId: string, reason: string) => void;
  /**
   * What the roster holds for an id (membership.ts `standing`): a newcomer may not take the id of
   * a member certified with another key, nor a revoked one. Default: nothing is held.
   */
  readonly standing?: (agentId: string) => Standing | undefined;
  /** How long a challenge may be answered. Default 5 minutes. */
  readonly challengeMs?: number;
  readonly now?: () => number;
}

interface Pending {
  readonly challenge: string;
  readonly publicKey: string;
  readonly until: number;
}

/** The handler of a sponsor's `work` subscription on `control.onboarding`. */
export class Sponsor {
  readonly #options: SponsorOptions;
  readonly #pending = new Map<string, Pending>();

  constructor(options: SponsorOptions) {
    this.#options = options;
  }

  /** Handles one onboarding record; replies and other sponsors' records are left alone. */
  readonly handle = (record: InboundRecord): HandlerResult => {
    const parsed = parseRecord(record);
    if (!parsed.ok) return { poison: parsed.error.message };
    // parseRecord takes only the type that goes on the onboarding topic: `onboard`.
    const envelope = parsed.envelope as EnvelopeOf<"onboard">;
    const step = envelope.payload;
    if (step.action !== "onboard_request" && step.action !== "onboard_response") return;
    return { work: () => this.#answer(envelope.correlation_id, step) };
  };

  async #answer(
    correlation: string,
    step: {
      action: string;
      requester_id: string;
      public_key?: string | undefined;
      response?: string | undefined;
    },
  ): Promise<void> {
    const { sponsorId, group } = this.#options;
    const onboardMode = this.#options.onboardMode();
    const now = (this.#options.now ?? Date.now)();
    const requester = step.requester_id;
    if (!isMemberId(requester)) {
      return await this.#reject(
        correlation,
        requester,
        `"${requester}" cannot be a member's id: ${MEMBER_ID_RULE}`,
      );
    }
    if (step.action === "onboard_request") {
      const publicKey = step.public_key as string;
      const taken = this.#taken(requester, publicKey);
      if (taken !== undefined) return await this.#reject(correlation, requester, taken);
      if (onboardMode === "open") return await this.#complete(correlation, requester, publicKey);
      const challenge = randomToken();
      this.#pending.set(requester, {
        challenge,
        publicKey,
        until: now + (this.#options.challengeMs ?? 300_000),
      });
      return await this.#reply(correlation, requester, { action: "onboard_challenge", challenge });
    }
    const pending = this.#pending.get(requester);
    this.#pending.delete(requester);
    if (pending === undefined || pending.until < now) {
      return await this.#reject(correlation, requester, "no challenge of this sponsor is open");
    }
    // Looked at again before an invite is spent: the roster may have changed since the challenge.
    const taken = this.#taken(requester, pending.publicKey);
    if (taken !== undefined) return await this.#reject(correlation, requester, taken);
    const parts = {
      challenge: pending.challenge,
      requesterId: requester,
      publicKey: pending.publicKey,
      sponsorId,
    };
    const usable = this.#options.invites.usable(group, new Date(now));
    const invite = await matchInvite(step.response as string, usable, parts);
    if (invite === undefined || !this.#options.invites.use(invite.id, requester)) {
      return await this.#reject(correlation, requester, "the answer matches no unused invite");
    }
    await this.#complete(correlation, requester, pending.publicKey);
  }

  /**
   * Why `requester` may not have a certificate for `publicKey`: its id is revoked, or a member's
   * certified with another key (a newcomer would take it over: its records would verify as that
   * member's, and the roster would hold its key instead). The same key is certified again.
   */
  #taken(requester: string, publicKey: string): string | undefined {
    const standing = this.#options.standing?.(requester);
    if (standing === undefined) return undefined;
    if ("revoked" in standing) {
      return `"${requester}" is revoked in this group (${standing.revoked}): join under another ` +
        "agent id";
    }
    if (standing.publicKey === publicKey) return undefined;
    return `"${requester}" is a member's id already, certified with another key: join under ` +
      "another agent id";
  }

  async #complete(correlation: string, requester: string, publicKey: string): Promise<void> {
    const manifest = this.#options.manifest();
    if (manifest === undefined) {
      return await this.#reject(correlation, requester, "the sponsor has no manifest yet");
    }
    const certificate = await this.#options.issue(requester, publicKey);
    await this.#reply(correlation, requester, {
      action: "onboard_complete",
      certificate,
      manifest,
    });
  }

  async #reject(correlation: string, requester: string, reason: string): Promise<void> {
    this.#options.audit(requester, reason);
    await this.#reply(correlation, requester, { action: "onboard_reject", reason });
  }

  async #reply(correlation: string, requester: string, fields: Record<string, unknown>) {
    const { sponsorId, group } = this.#options;
    const now = new Date((this.#options.now ?? Date.now)());
    const value = JSON.stringify({
      type: "onboard",
      correlation_id: correlation,
      sender_id: sponsorId,
      timestamp: now.toISOString(),
      protocol: PROTOCOL_VERSION,
      payload: { requester_id: requester, sponsor_id: sponsorId, ...fields },
    });
    await this.#options.send([{
      topic: topicsFor(group).onboarding,
      key: onboardKey(requester),
      value,
    }]);
  }
}

/** What {@link startSponsor} needs: the owner key to issue with, where invites are, who audits. */
export interface StartSponsorOptions {
  readonly membership: Pick<
    Membership,
    "group" | "agentId" | "manifest" | "send" | "standing" | "started"
  >;
  readonly transport: Transport;
  /** The owner's private key: certificates are issued, and published, as the owner. */
  readonly ownerKey: CryptoKey;
  /** The group's onboard mode now, asked at each request. */
  readonly onboardMode: () => "open" | "gated";
  readonly invites: SponsorOptions["invites"];
  readonly events: Pick<EventLog, "record">;
  /** Told of each refusal too, after the timeline (the group's audit). */
  readonly onRejected?: ((agentId: string, reason: string) => void) | undefined;
}

/**
 * Joins the group's sponsors: a `work` subscription on `control.onboarding` in the shared group
 * `kafclaw.<g>.sponsors`, which may begin beside the membership's join: its requests wait until
 * the membership has started (the roster and the manifest read). Close the subscription to stop.
 */
export function startSponsor(options: StartSponsorOptions): Promise<Subscription> {
  const { membership, transport, ownerKey } = options;
  const group = membership.group;
  const sponsor = new Sponsor({
    group,
    sponsorId: membership.agentId,
    onboardMode: options.onboardMode,
    issue: async (agentId, publicKey) => {
      const bundle = await admit(ownerKey, { agentId, publicKey });
      await transport.produce([await certificateRecord(group, ownerKey, agentId, bundle)]);
      return bundle;
    },
    manifest: () => membership.manifest,
    standing: (agentId) => membership.standing(agentId),
    invites: options.invites,
    send: (records) => membership.send(records),
    audit: (agentId, reason) => {
      options.events.record({
        kind: "GROUP",
        sender: agentId,
        contentText: `refused to onboard ${agentId}: ${reason}`,
        metadata: { event_type: "onboard_rejected", code: "onboard_rejected" },
      });
      options.onRejected?.(agentId, reason);
    },
  });
  const topic = topicsFor(group).onboarding;
  return transport.subscribe({
    kind: "work",
    topics: [topic],
    groupId: sponsorsConsumerGroup(group),
    // Not the membership's guard: a newcomer's requests are unsigned (it has no certificate yet).
    handler: untilStarted(membership.started, sponsor.handle),
    deadLetterTopic: deadLetterTopicFor(topic),
  });
}
