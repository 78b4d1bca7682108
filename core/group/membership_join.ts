/**
 * What an agent checks and learns before its {@link Membership} reads the group (membership.ts):
 * its own inbox made (the group's topics are the owner's, `kafclaw group init`), every topic it
 * uses checked against how the group made them, no other live process with its agent id (what
 * a crashed run of it on this host left in its consumer group is removed first), and
 * the certificates it already knows (its own, then those cached in SQLite, revoked ones as
 * revoked) taught to the group's trust, so a quiet member's records verify from the first.
 *
 * @module
 */
import {
  agentConsumerGroup,
  agentInbox,
  type CertificateBundle,
  type TopicSpecOptions,
} from "../protocol/mod.ts";
import { type Transport, whereHeld } from "../transport/mod.ts";
import type { CertificateStore } from "../timeline/mod.ts";
import { checkGroupTopics, memberTopicSpecs } from "./group_topics.ts";
import type { GroupTrust } from "./trust.ts";

/** Another process runs as this agent in the group; the message says where, when it is known. */
export class AgentRunsError extends Error {
  override name = "AgentRunsError";
}

/**
 * Makes `agentId`'s inbox and checks the group's topics and that no other process runs as
 * `agentId` in `group`. Throws GroupTopicsError when a topic is not right, and
 * {@link AgentRunsError} when `agentId` is taken.
 */
export async function checkJoin(
  transport: Transport,
  at: {
    readonly group: string;
    readonly agentId: string;
    readonly topics?: TopicSpecOptions;
    /** How the user runs kafclaw, for the fix of a missing topic (default kafclaw). */
    readonly command?: string;
  },
): Promise<void> {
  const { group, agentId } = at;
  const specs = memberTopicSpecs(group, { ...at.topics, agentId });
  await transport.createTopics(specs.filter((s) => s.name === agentInbox(group, agentId)));
  await checkGroupTopics(transport, group, specs, at.command);
  // A run of this agent that crashed on this host leaves its consumers behind until their
  // session ends: they are removed, and only a live one refuses the start.
  const holders = await transport.reclaimGroup(agentConsumerGroup(group, agentId));
  if (holders.length > 0) {
    throw new AgentRunsError(
      `Cannot join group "${group}": agent "${agentId}" already runs in it${whereHeld(holders)}; ` +
        "stop that one first, or give this one an agent id of its own (group.agentId)",
    );
  }
}

/**
 * Teaches `trust` the agent's own certificate (an error when it does not chain to the owner) and
 * every certificate cached in `certificates`.
 */
export async function learnCertificates(
  trust: GroupTrust,
  known: {
    readonly own: CertificateBundle | undefined;
    readonly certificates: Pick<CertificateStore, "list">;
  },
): Promise<void> {
  if (known.own !== undefined) await learnOwnCertificate(trust, known.own);
  for (const entry of known.certificates.list()) {
    if (entry.revoked) trust.revoke(entry.agentId);
    else await trust.learn({ cert: entry.cert, cert_sig: entry.certSig });
  }
}

/**
 * Teaches `trust` the agent's own certificate: an error when it does not chain to the owner (a
 * newcomer's comes while its membership reads the group).
 */
export async function learnOwnCertificate(
  trust: GroupTrust,
  own: CertificateBundle,
): Promise<void> {
  const why = await trust.learn(own);
  if (why !== undefined) throw new Error(why.message);
}
