/**
 * `kafclaw group init`: a new group (PROTOCOL.md, Membership and trust). It makes the owner key
 * (kept in the owner's identity folder, 0600), creates every topic with its configuration and
 * checks them, signs the group's manifest, and issues the owner's own agent a certificate (an
 * issuer, vouched, so it can sponsor newcomers), publishing both on `control.roster`.
 *
 * @module
 */
import {
  type CertificateBundle,
  type GroupManifest,
  OWNER_ID,
  type TopicSpecOptions,
} from "../protocol/mod.ts";
import type { Transport } from "../transport/mod.ts";
import { checkGroupTopics, memberTopicSpecs } from "./group_topics.ts";
import { agentKey, createOwnerKey, writeCertificate } from "./identity_files.ts";
import { admit, certificateRecord, manifestRecord } from "./owner.ts";

/** What a new group is made with. */
export interface InitGroupOptions {
  readonly group: string;
  /** The owner's own agent, which gets the first certificate. */
  readonly agentId: string;
  /** `$KAFCLAW_HOME/identity` of the owner. */
  readonly identityDir: string;
  readonly transport: Transport;
  readonly security: "signed" | "open";
  readonly onboardMode: "open" | "gated";
  readonly heartbeatIntervalMs: number;
  /** How the user runs kafclaw (config.command), for the fixes errors name. Default kafclaw. */
  readonly command?: string;
  readonly topics?: TopicSpecOptions;
  readonly now?: Date;
}

/** What {@link initGroup} made. */
export interface InitializedGroup {
  /** base64url of the owner's public key: what every member pins in config. */
  readonly ownerPublicKey: string;
  /** The owner's agent's certificate. */
  readonly certificate: CertificateBundle;
  /** The topics created now (those that existed are left as they were, and checked). */
  readonly created: readonly string[];
  readonly manifest: GroupManifest;
}

/** Makes a group; see the module documentation. Throws when an owner key exists already. */
export async function initGroup(options: InitGroupOptions): Promise<InitializedGroup> {
  const { group, agentId, transport } = options;
  const now = options.now ?? new Date();
  const specs = memberTopicSpecs(group, { ...options.topics, agentId });
  const owner = await createOwnerKey(options.identityDir);
  const created = await transport.createTopics(specs);
  await checkGroupTopics(transport, group, specs, options.command);
  const agent = await agentKey(options.identityDir);
  const certificate = await admit(owner.privateKey, {
    agentId,
    publicKey: agent.publicKeyText,
    vouched: true,
    issuer: true,
    now,
  });
  await writeCertificate(options.identityDir, certificate);
  const manifest: GroupManifest = {
    group_name: group,
    version: 1,
    owner_key: owner.publicKeyText,
    security_mode: options.security,
    onboard_mode: options.onboardMode,
    heartbeat_interval_ms: options.heartbeatIntervalMs,
    topics: specs.map((s) => s.name),
    updated_at: now.toISOString(),
    updated_by: OWNER_ID,
  };
  await transport.produce([
    await manifestRecord(group, owner.privateKey, manifest),
    await certificateRecord(group, owner.privateKey, agentId, certificate),
  ]);
  return { ownerPublicKey: owner.publicKeyText, certificate, created, manifest };
}
