/**
 * An agent's place in its group, from config alone (for `kafclaw gateway` and `group join`): the
 * agent's key and certificate (asked of a sponsor, while the group is read, when a signed group's
 * newcomer has none yet), the owner's pinned public key, the {@link Membership} (announce,
 * heartbeats, roster, verification) and, in the home that holds the owner key, a sponsor of
 * newcomers.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../config/mod.ts";
import { settleAll } from "../errors/mod.ts";
import { GroupSetupError } from "./group_mode.ts";
import { agentKey, ownerKey, readCertificate, writeCertificate } from "./identity_files.ts";
import { Membership, type MembershipOptions } from "./membership.ts";
import { requestMembership } from "./newcomer.ts";
import type { Load } from "./presence.ts";
import { startSponsor } from "./sponsor.ts";
import type { Dropped } from "./trust.ts";
import {
  type AgentIdentity,
  type CertificateBundle,
  importPublicKey,
  isMemberId,
  MEMBER_ID_RULE,
  PROTOCOL_VERSION,
  type TopicSpecOptions,
} from "../protocol/mod.ts";
import type { Timeline } from "../timeline/mod.ts";
import type { Subscription, Transport } from "../transport/mod.ts";

/** The identity this agent announces to its group. */
export function memberIdentity(
  config: ResolvedConfig,
  agentId: string,
  publicKey: string,
): AgentIdentity {
  return {
    agent_id: agentId,
    agent_name: agentId,
    soul_summary: "",
    capabilities: [],
    skills: [],
    channels: ["cli"],
    model: config.model.name,
    joined_at: new Date().toISOString(),
    status: "active",
    zones: ["public"],
    public_key: publicKey,
    heartbeat_interval_ms: config.group.heartbeatIntervalMs,
    protocol: PROTOCOL_VERSION,
  };
}

/** How the group's topics are made: config's partitions and replication factor. */
export function memberTopicOptions(config: ResolvedConfig): TopicSpecOptions {
  const { partitions, replicationFactor } = config.group;
  return {
    workPartitions: partitions,
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
  };
}

/** This agent's id in the group (group.agentId), checked; `fallback` when none is set. */
export function memberId(config: ResolvedConfig, fallback?: string): string {
  const id = config.group.agentId ?? fallback;
  if (id === undefined) {
    throw new GroupSetupError(
      "this agent has no id in the group: set group.agentId (KAFCLAW_GROUP_AGENT_ID)",
    );
  }
  if (!isMemberId(id)) {
    throw new GroupSetupError(`group.agentId "${id}" is not valid: ${MEMBER_ID_RULE}`);
  }
  return id;
}

/** The owner's public key pinned in config, required in a signed group. */
export async function pinnedOwnerKey(config: ResolvedConfig): Promise<CryptoKey> {
  const text = config.group.ownerPublicKey;
  if (text === undefined) {
    throw new GroupSetupError(
      "group.ownerPublicKey is not set: a signed group's members pin its owner's public key " +
        `(KAFCLAW_GROUP_OWNER_PUBLIC_KEY, printed by ${config.command} group init)`,
    );
  }
  try {
    return await importPublicKey(text);
  } catch {
    throw new GroupSetupError(
      `group.ownerPublicKey "${text}" is not a public key (32 bytes of base64url)`,
    );
  }
}

/**
 * The owner's one-time invite as config gives it: `group.invite` (KAFCLAW_GROUP_INVITE), or the
 * first line of the file `group.inviteFile` names (config made it absolute, under KAFCLAW_HOME
 * when relative; kafclaw may read only there); undefined when neither is set.
 */
export async function configuredInvite(config: ResolvedConfig): Promise<string | undefined> {
  const { invite, inviteFile } = config.group;
  if (invite !== undefined && inviteFile !== undefined) {
    throw new GroupSetupError(
      "group.invite and group.inviteFile are both set: keep one (KAFCLAW_GROUP_INVITE or " +
        "KAFCLAW_GROUP_INVITE_FILE)",
    );
  }
  if (inviteFile === undefined) return invite;
  let text: string;
  try {
    text = await Deno.readTextFile(inviteFile);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : `it cannot be read (${(error as Error).name}): keep it a file inside KAFCLAW_HOME, ` +
        "where kafclaw may read";
    throw new GroupSetupError(`Cannot read group.inviteFile "${inviteFile}": ${reason}`);
  }
  const first = text.slice(0, (text + "\n").indexOf("\n")).trim();
  if (first === "") {
    throw new GroupSetupError(
      `Cannot read an invite from group.inviteFile "${inviteFile}": it is empty`,
    );
  }
  return first;
}

/** What {@link joinGroup} needs besides config. */
export interface JoinOptions {
  readonly agentId: string;
  readonly transport: Transport;
  readonly timeline: Timeline;
  /** The agent's load now, for heartbeats. */
  readonly load: () => Load;
  /** The agent's expertise score per skill it offers, for heartbeats. */
  readonly expertise?: () => Record<string, number>;
  /** Default group.security; a group in this process alone runs open (no one to sign for). */
  readonly security?: "signed" | "open";
  /** Told of every record the membership drops (the group's audit). */
  readonly onDropped?: (dropped: Dropped) => void;
  /** Told when heartbeats cannot be sent, and when they go again (membership.ts). */
  readonly warn?: (line: string) => void;
  /** Told of every newcomer this home's sponsor refuses (the group's audit). */
  readonly onRejected?: (agentId: string, reason: string) => void;
  /** Told when the owner revokes this agent while it runs (membership.ts). */
  readonly onRevoked?: (message: string) => void;
  /** A gated group's one-time invite, for a newcomer; default the one config holds. */
  readonly invite?: string;
  /**
   * Told, with {@link askingLine}'s line, when this agent, a newcomer, asks the group's sponsor
   * for its certificate, which it then waits for: up to half a minute when none runs.
   */
  readonly onAsking?: (line: string) => void;
}

/** A running membership, and the sponsor subscription when this home holds the owner key. */
export interface Joined {
  readonly membership: Membership;
  readonly sponsor: Subscription | undefined;
}

/**
 * Joins the group as config says: in a signed group with the agent's certificate (asked of a
 * sponsor while the group is read when there is none in the identity folder, with the invite
 * given or config's for a gated group, and kept there, 0600), in an open one unsigned. Sponsors
 * newcomers when this home holds the owner key: the sponsor's consumer group joins beside the
 * membership's (on a broker with a join delay, one delay for both), its requests held until the
 * membership has started.
 */
export async function joinGroup(config: ResolvedConfig, options: JoinOptions): Promise<Joined> {
  const membership = await beginJoin(config, options);
  const sponsor = sponsorFrom(config, membership, options);
  try {
    await settleAll([membership.started, sponsor]);
  } catch (error) {
    await Promise.allSettled([sponsor.then((started) => started?.close()), membership.close()]);
    throw error;
  }
  return { membership, sponsor: await sponsor };
}

/**
 * {@link joinGroup}'s membership, once the group's topics are checked (its inbox made) and its
 * join begun (`Membership.begin`), a newcomer's certificate asked for beside it: the parts that
 * start beside the join await `started` where they need it.
 */
export async function beginJoin(
  config: ResolvedConfig,
  options: Omit<JoinOptions, "onRejected">,
): Promise<Membership> {
  const { agentId, transport, timeline } = options;
  const group = config.group.name;
  const identityDir = paths(config).identity;
  const security = options.security ?? config.group.security;
  const signed = security === "signed";
  const key = await agentKey(identityDir);
  let signing: Pick<MembershipOptions, "signer" | "ownerKey"> = {};
  if (signed) {
    const ownerKey = await pinnedOwnerKey(config);
    const known = await readCertificate(identityDir);
    const signer = (certificate: CertificateBundle) => ({
      keyId: agentId,
      privateKey: key.privateKey,
      certificate,
    });
    if (known === undefined) {
      const ask = await certificateAsking(config, {
        ...options,
        publicKey: key.publicKeyText,
        ownerKey,
      });
      signing = { ownerKey, signer: async () => signer(await ask()) };
    } else {
      signing = { ownerKey, signer: signer(known) };
    }
  }
  return await Membership.begin({
    group,
    transport,
    identity: memberIdentity(config, agentId, key.publicKeyText),
    security,
    ...signing,
    store: timeline,
    clockSkewMs: config.group.clockSkewMs,
    topics: memberTopicOptions(config),
    command: config.command,
    load: options.load,
    ...(options.expertise === undefined ? {} : { expertise: options.expertise }),
    ...(options.onDropped === undefined ? {} : { onDropped: options.onDropped }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
    ...(options.onRevoked === undefined ? {} : { onRevoked: options.onRevoked }),
  });
}

/** What a newcomer says as it asks the group's sponsor (an agent of the owner's) for a certificate. */
function askingLine(group: string, agentId: string): string {
  return `asking group "${group}" for a certificate for "${agentId}" (an agent of the owner's ` +
    "answers as the group's sponsor)";
}

/**
 * How a newcomer gets its certificate: asked of a sponsor (with the invite given, or config's)
 * and kept in the identity folder (0600), when the function returned is called: a join calls it
 * while its membership reads the group (on a broker with a join delay, one delay for both),
 * `group join --once` alone. The invite is read now: a bad one fails at once.
 */
export async function certificateAsking(
  config: ResolvedConfig,
  asking: Pick<JoinOptions, "agentId" | "transport" | "invite" | "onAsking"> & {
    /** base64url of the agent's raw public key. */
    readonly publicKey: string;
    /** The owner's public key, pinned in config. */
    readonly ownerKey: CryptoKey;
  },
): Promise<() => Promise<CertificateBundle>> {
  const invite = asking.invite ?? await configuredInvite(config);
  return async () => {
    asking.onAsking?.(askingLine(config.group.name, asking.agentId));
    const { certificate } = await requestMembership({
      transport: asking.transport,
      group: config.group.name,
      agentId: asking.agentId,
      publicKey: asking.publicKey,
      ownerKey: asking.ownerKey,
      command: config.command,
      ...(invite === undefined ? {} : { invite }),
    });
    await writeCertificate(paths(config).identity, certificate);
    return certificate;
  };
}

/**
 * Starts sponsoring newcomers of `membership`'s group when this home holds the owner key: the
 * sponsor's subscription, or undefined in any other home. It may begin beside the membership's
 * join (its requests wait for the join's end); the onboard mode is the manifest's at each request.
 */
export async function sponsorFrom(
  config: ResolvedConfig,
  membership: Membership,
  options: Pick<JoinOptions, "transport" | "timeline" | "onRejected">,
): Promise<Subscription | undefined> {
  const owner = await ownerKey(paths(config).identity);
  if (owner === undefined) return undefined;
  return await startSponsor({
    membership,
    transport: options.transport,
    ownerKey: owner.privateKey,
    onboardMode: () => membership.manifest?.onboard_mode ?? config.group.onboardMode,
    invites: options.timeline.invites,
    events: options.timeline.events,
    onRejected: options.onRejected,
  });
}
