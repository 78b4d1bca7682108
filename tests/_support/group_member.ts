/**
 * Agents of a group for membership tests: an owner made by `initGroup`, members with their own
 * KAFCLAW_HOME (a temporary folder), key, certificate and timeline, on any transport.
 */
import { join } from "node:path";
import {
  admit,
  agentKey,
  certificateRecord,
  type Dropped,
  initGroup,
  type InitializedGroup,
  type KeyPair,
  Membership,
  ownerKey,
} from "../../core/group/mod.ts";
import {
  type AgentIdentity,
  type CertificateBundle,
  importPublicKey,
  type TopicSpecOptions,
} from "../../core/protocol/mod.ts";
import { Timeline } from "../../core/timeline/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";

/** An agent's home: its folder, identity folder, key and timeline. */
export interface AgentHome extends AsyncDisposable {
  readonly agentId: string;
  readonly home: string;
  readonly identityDir: string;
  readonly key: KeyPair;
  readonly timeline: Timeline;
}

/** A new home for `agentId`, removed on dispose. */
export async function agentHome(agentId: string): Promise<AgentHome> {
  const home = await Deno.makeTempDir({ prefix: `kafclaw-${agentId}-` });
  const identityDir = join(home, "identity");
  const key = await agentKey(identityDir);
  const timeline = Timeline.open(join(home, "timeline.db"));
  return {
    agentId,
    home,
    identityDir,
    key,
    timeline,
    async [Symbol.asyncDispose]() {
      timeline.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** The identity an agent announces. */
export function identityOf(
  agentId: string,
  publicKey: string,
  options: { intervalMs?: number; skills?: string[] } = {},
): AgentIdentity {
  return {
    agent_id: agentId,
    agent_name: agentId,
    soul_summary: "",
    capabilities: [],
    skills: options.skills ?? [],
    channels: [],
    model: "openai/gpt-test",
    joined_at: new Date().toISOString(),
    status: "active",
    zones: ["public"],
    public_key: publicKey,
    heartbeat_interval_ms: options.intervalMs ?? 1000,
    protocol: "kafclaw/1",
  };
}

/** A group made by its owner's home. */
export interface TestGroup {
  readonly group: string;
  readonly owner: AgentHome;
  readonly init: InitializedGroup;
  readonly ownerKey: KeyPair;
  readonly ownerPublic: CryptoKey;
  /** How its topics were made. */
  readonly topics: TopicSpecOptions;
}

/** Makes group `group` from a new owner home (agent `ownerAgent`). */
export async function makeGroup(
  transport: Transport,
  group: string,
  options: { ownerAgent?: string; onboardMode?: "open" | "gated"; replicationFactor?: number } = {},
): Promise<TestGroup> {
  const owner = await agentHome(options.ownerAgent ?? "boss");
  const topics: TopicSpecOptions = options.replicationFactor === undefined
    ? {}
    : { replicationFactor: options.replicationFactor, workPartitions: 3 };
  const init = await initGroup({
    group,
    agentId: owner.agentId,
    identityDir: owner.identityDir,
    transport,
    security: "signed",
    onboardMode: options.onboardMode ?? "open",
    heartbeatIntervalMs: 1000,
    topics,
  });
  const key = (await ownerKey(owner.identityDir))!;
  return { group, owner, init, ownerKey: key, ownerPublic: key.publicKey, topics };
}

/** Issues `home` a certificate with the owner key and publishes it on the roster. */
export async function certify(
  transport: Transport,
  g: TestGroup,
  home: AgentHome,
  options: { validDays?: number; now?: Date; publish?: boolean; zones?: readonly string[] } = {},
): Promise<CertificateBundle> {
  const bundle = await admit(g.ownerKey.privateKey, {
    agentId: home.agentId,
    publicKey: home.key.publicKeyText,
    ...(options.zones === undefined ? {} : { zones: options.zones }),
    ...(options.validDays === undefined ? {} : { validDays: options.validDays }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  if (options.publish !== false) {
    await transport.produce([
      await certificateRecord(g.group, g.ownerKey.privateKey, home.agentId, bundle),
    ]);
  }
  return bundle;
}

/** Starts `home`'s membership of the group, signed with `certificate`. */
export async function startMember(
  transport: Transport,
  g: TestGroup,
  home: AgentHome,
  certificate: CertificateBundle,
  options: {
    intervalMs?: number;
    skills?: string[];
    parkMs?: number;
    parkLimit?: number;
    attachFirst?: number;
    now?: () => number;
    onDropped?: (dropped: Dropped) => void;
    warn?: (line: string) => void;
    onRevoked?: (message: string) => void;
  } = {},
): Promise<Membership> {
  return await Membership.start({
    group: g.group,
    transport,
    identity: identityOf(home.agentId, home.key.publicKeyText, options),
    security: "signed",
    signer: { keyId: home.agentId, privateKey: home.key.privateKey, certificate },
    ownerKey: await importPublicKey(g.init.ownerPublicKey),
    store: home.timeline,
    topics: g.topics,
    ...(options.parkMs === undefined ? {} : { parkMs: options.parkMs }),
    ...(options.parkLimit === undefined ? {} : { parkLimit: options.parkLimit }),
    ...(options.attachFirst === undefined ? {} : { attachFirst: options.attachFirst }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.onDropped === undefined ? {} : { onDropped: options.onDropped }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
    ...(options.onRevoked === undefined ? {} : { onRevoked: options.onRevoked }),
  });
}
