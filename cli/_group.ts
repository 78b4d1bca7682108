/**
 * What the `kafclaw group` subcommands share: the configuration they need (brokers, group, agent
 * id, the owner's key), the Kafka transport, the agent's identity, and the errors of core turned
 * into one-line CLI errors.
 *
 * @module
 */
import { paths, type ResolvedConfig, setConfigValue } from "../core/config/mod.ts";
import {
  agentKey,
  type KeyPair,
  memberIdentity,
  memberTopicOptions,
  ownerKey,
  pinnedOwnerKey as pinnedKey,
  readCertificate,
  type ReadRoster,
  readRoster,
  type ZoneDirectory,
} from "../core/group/mod.ts";
import {
  type Certificate,
  type CertificateBundle,
  isMemberId,
  MEMBER_ID_RULE,
} from "../core/protocol/mod.ts";
import type { KafkaAdmin, Patience, ReachabilityChange, Transport } from "../core/transport/mod.ts";
import { failure, kafkaErrorText, UsageError } from "./_errors.ts";
import { zoneId } from "./_zone_id.ts";

// The light helpers, for the subcommands that import these from here.
export { groupConfig, needBrokers, trustedConfig } from "./_group_config.ts";

/** This agent's id: `--agent-id`, else group.agentId. */
export function agentIdOf(config: ResolvedConfig, given?: string): string {
  const id = given ?? config.group.agentId;
  if (id === undefined) {
    throw new UsageError(
      "this agent has no id in the group: set group.agentId (KAFCLAW_GROUP_AGENT_ID) or pass --agent-id",
    );
  }
  if (!isMemberId(id)) throw new UsageError(`agent id "${id}" is not valid: ${MEMBER_ID_RULE}`);
  return id;
}

/**
 * The zones of a `--zones` flag (`group admit`, `group acl`): comma-separated ids, blanks
 * around them and empty entries ignored; a zone that is not an id is a usage error, in one line.
 */
export function zoneList(text: string): string[] {
  const zones = text.split(",").map((zone) => zone.trim()).filter((zone) => zone !== "");
  for (const zone of zones) zoneId(zone, `Cannot read --zones "${text}": zone`);
  return zones;
}

/**
 * The Kafka transport of the configured brokers; close it when done. A command gives up on Kafka
 * it cannot reach within seconds; `patience: "service"` is for one that runs until stopped
 * (`group join`).
 */
export async function groupTransport(
  config: ResolvedConfig,
  agentId: string,
  options: {
    readonly patience?: Patience;
    /** Told once when Kafka is lost and once when it is back (a member that runs until stopped). */
    readonly onKafka?: (change: ReachabilityChange) => void;
  } = {},
): Promise<Transport> {
  const { kafkaOptionsFromConfig, loadKafka } = await import("../core/transport/mod.ts");
  const { KafkaTransport } = await loadKafka();
  try {
    return new KafkaTransport({
      ...await kafkaOptionsFromConfig(config, { clientId: `kafclaw-${agentId}` }),
      patience: options.patience ?? "command",
      ...(options.onKafka === undefined ? {} : { onReachability: options.onKafka }),
    });
  } catch (error) {
    throw failure(error);
  }
}

/** The Kafka admin client of the configured brokers, as this home's principal; close it when done. */
export async function groupAdmin(config: ResolvedConfig): Promise<KafkaAdmin> {
  const { kafkaOptionsFromConfig, loadKafka } = await import("../core/transport/mod.ts");
  const { KafkaAdmin } = await loadKafka();
  try {
    return new KafkaAdmin({
      ...await kafkaOptionsFromConfig(config, { clientId: "kafclaw-admin" }),
      patience: "command",
    });
  } catch (error) {
    throw failure(error);
  }
}

/** The identity folder of this KAFCLAW_HOME. */
export function identityDir(config: ResolvedConfig): string {
  return paths(config).identity;
}

/** The owner's public key pinned in config (group.ownerPublicKey), required in a signed group. */
export async function pinnedOwnerKey(config: ResolvedConfig): Promise<CryptoKey> {
  try {
    return await pinnedKey(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The owner key of this home, or a usage error saying only the owner's home has it; `what` is the
 * subcommand that needs it (`group invite`).
 */
export async function requireOwnerKey(config: ResolvedConfig, what: string): Promise<KeyPair> {
  const key = await ownerKey(identityDir(config));
  if (key === undefined) {
    throw new UsageError(
      `${config.command} ${what} needs the group owner's key, which is only in the ` +
        `KAFCLAW_HOME where ${config.command} group init ran`,
    );
  }
  return key;
}

/** The agent's key pair and certificate (undefined before it has one). */
export async function agentCredentials(
  config: ResolvedConfig,
): Promise<{ key: KeyPair; certificate: CertificateBundle | undefined }> {
  const dir = identityDir(config);
  try {
    return { key: await agentKey(dir), certificate: await readCertificate(dir) };
  } catch (error) {
    throw failure(error);
  }
}

/** The identity this agent announces (core/group `memberIdentity`). */
export const identityFor = memberIdentity;

/** Writes config values (config.json, 0600). */
export async function remember(
  config: ResolvedConfig,
  values: Readonly<Record<string, string>>,
): Promise<void> {
  for (const [path, value] of Object.entries(values)) {
    await setConfigValue(config.home, { path, value });
  }
}

/** How this group's topics are made: config's partitions and replication factor. */
export const topicOptions = memberTopicOptions;

/** The group's zones as its topics say, read with `transport` (verified in a signed group). */
export async function zonesNow(
  config: ResolvedConfig,
  transport: Transport,
): Promise<ZoneDirectory> {
  return (await rosterNow(config, transport, { what: "zones" })).zones;
}

/**
 * The group's roster, zones and certificates as its topics say now: verified against the pinned
 * owner key in a signed group, or against `ownerKey` when given (the owner's own, in any group).
 */
export async function rosterNow(
  config: ResolvedConfig,
  transport: Transport,
  options: { readonly what: string; readonly ownerKey?: CryptoKey },
): Promise<ReadRoster> {
  const key = options.ownerKey ??
    (config.group.security === "signed" ? await pinnedOwnerKey(config) : undefined);
  try {
    return await readRoster(transport, config.group.name, key ? { ownerKey: key } : {});
  } catch (error) {
    throw failure(
      error,
      `Cannot read the ${options.what} of group "${config.group.name}": ${kafkaErrorText(error)}`,
    );
  }
}

/**
 * The command that gives `agentId` a certificate naming `zoneId` as well as what the one the group
 * knows for it names (its key, and whether it is vouched or an issuer, kept); with no certificate
 * known, the agent's key must be given.
 */
export function admitCommand(
  command: string,
  agentId: string,
  zoneId: string,
  known: Certificate | undefined,
): string {
  if (known === undefined) {
    return `${command} group admit ${agentId} --public-key <its key> --zones public,${zoneId}`;
  }
  const zones = [...new Set([...known.zones, zoneId])].join(",");
  return `${command} group admit ${agentId} --zones ${zones}` +
    `${known.vouched ? " --vouched" : ""}${known.issuer ? " --issuer" : ""}`;
}
