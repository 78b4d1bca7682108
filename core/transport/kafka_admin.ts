/**
 * Kafka administration for operators (`kafclaw group acl --apply`, `kafclaw group gc`,
 * `kafclaw doctor --fix`): topics, their configs, consumer groups and ACLs through kafkajs's admin
 * client. Agents never need it; the
 * {@link Transport} is theirs.
 *
 * @module
 */
import kafkajs from "kafkajs";
import type { Admin } from "kafkajs";
import type { KafkaTransportOptions } from "./kafka.ts";
import { kafkaClient } from "./kafka_client.ts";

const {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} = kafkajs;

/** How long a topic's altered configs may take to be seen. */
const SEEN_WITHIN_MS = 5000;

/** One ACL binding, named as Kafka names its parts. */
export interface KafkaAcl {
  readonly resourceType: "TOPIC" | "GROUP";
  readonly resourceName: string;
  readonly patternType: "LITERAL" | "PREFIXED";
  readonly principal: string;
  readonly host: string;
  readonly operation:
    | "READ"
    | "WRITE"
    | "CREATE"
    | "DELETE"
    | "DESCRIBE"
    | "DESCRIBE_CONFIGS"
    | "ALTER_CONFIGS";
  readonly permission: "ALLOW" | "DENY";
}

/** A consumer group and how many members it has now. */
export interface GroupInfo {
  readonly groupId: string;
  readonly members: number;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function key(acl: KafkaAcl): string {
  return [
    acl.resourceType,
    acl.resourceName,
    acl.patternType,
    acl.principal,
    acl.host,
    acl.operation,
    acl.permission,
  ].join("\n");
}

/** The admin client; close it when done. */
export class KafkaAdmin implements AsyncDisposable {
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;

  constructor(options: KafkaTransportOptions) {
    this.#admin = kafkaClient(options).admin();
  }

  async #ready(): Promise<Admin> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    return this.#admin;
  }

  /** Every topic the principal may see. */
  async listTopics(): Promise<string[]> {
    return (await (await this.#ready()).listTopics()).sort();
  }

  /** Deletes topics (their records too). */
  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await (await this.#ready()).deleteTopics({ topics: [...names] });
  }

  /** The consumer groups whose id starts with `prefix`, with their member counts. */
  async groups(prefix: string): Promise<GroupInfo[]> {
    const admin = await this.#ready();
    const ids = (await admin.listGroups()).groups.map((g) => g.groupId)
      .filter((id) => id.startsWith(prefix)).sort();
    if (ids.length === 0) return [];
    const { groups } = await admin.describeGroups(ids);
    return ids.map((groupId) => ({
      groupId,
      members: groups.find((g) => g.groupId === groupId)?.members.length ?? 0,
    }));
  }

  /**
   * Deletes consumer groups; Kafka refuses a group that has members. Returns the error of each
   * group that was not deleted.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    if (groupIds.length === 0) return failed;
    try {
      const results = await (await this.#ready()).deleteGroups([...groupIds]);
      for (const r of results) {
        if (r.error !== undefined) failed.set(r.groupId, errorText(r.error));
      }
    } catch (error) {
      const groups = (error as { groups?: { groupId: string; error?: unknown }[] }).groups;
      if (groups === undefined) throw error;
      for (const r of groups) if (r.error !== undefined) failed.set(r.groupId, errorText(r.error));
    }
    return failed;
  }

  /** The configs set on `topic` itself (its overrides of the broker's defaults). */
  async topicConfigs(topic: string): Promise<Record<string, string>> {
    const { resources } = await (await this.#ready()).describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const set: Record<string, string> = {};
    for (const e of resources[0]?.configEntries ?? []) {
      if (e.configSource === ConfigSource.TOPIC_CONFIG && e.configValue !== null) {
        set[e.configName] = e.configValue;
      }
    }
    return set;
  }

  /**
   * Sets configs of `topic` and keeps its other overrides: Kafka's AlterConfigs (all kafkajs
   * speaks) replaces a topic's whole set, so the set is read first and sent back with the
   * changes. Returns, once the brokers show the change, each changed config's value before
   * (undefined: the broker's default).
   */
  async alterTopicConfigs(
    topic: string,
    changes: Readonly<Record<string, string>>,
  ): Promise<Record<string, string | undefined>> {
    const current = await this.topicConfigs(topic);
    const before = Object.fromEntries(Object.keys(changes).map((k) => [k, current[k]]));
    const merged = { ...current, ...changes };
    await (await this.#ready()).alterConfigs({
      validateOnly: false,
      resources: [{
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: Object.entries(merged).map(([name, value]) => ({ name, value })),
      }],
    });
    // The brokers learn the change from the controller a moment later: wait until it is seen.
    const deadline = Date.now() + SEEN_WITHIN_MS;
    for (;;) {
      const now = await this.topicConfigs(topic);
      if (Object.entries(changes).every(([k, v]) => now[k] === v)) return before;
      if (Date.now() > deadline) {
        throw new Error(`Cannot see the new configs of ${topic} within ${SEEN_WITHIN_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The ALLOW and DENY bindings of `principal` (every principal's when undefined). */
  async describeAcls(principal?: string): Promise<KafkaAcl[]> {
    const { resources } = await (await this.#ready()).describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
      ...(principal === undefined ? {} : { principal }),
    });
    const name = <T extends Record<string, unknown>>(table: T, value: unknown) =>
      Object.keys(table).find((k) => table[k] === value) ?? String(value);
    return resources.flatMap((r) =>
      r.acls.map((a) => ({
        resourceType: name(AclResourceTypes, r.resourceType) as KafkaAcl["resourceType"],
        resourceName: r.resourceName,
        patternType: name(ResourcePatternTypes, r.resourcePatternType) as KafkaAcl["patternType"],
        principal: a.principal,
        host: a.host,
        operation: name(AclOperationTypes, a.operation) as KafkaAcl["operation"],
        permission: name(AclPermissionTypes, a.permissionType) as KafkaAcl["permission"],
      }))
    );
  }

  /**
   * Creates the bindings that do not exist yet (idempotent); returns those it created. The
   * principal needs ALTER on the cluster, and the broker an authorizer.
   */
  async createAcls(acls: readonly KafkaAcl[]): Promise<KafkaAcl[]> {
    const principals = [...new Set(acls.map((a) => a.principal))];
    const existing = new Set<string>();
    for (const principal of principals) {
      for (const acl of await this.describeAcls(principal)) existing.add(key(acl));
    }
    const missing = acls.filter((a) => !existing.has(key(a)));
    if (missing.length === 0) return [];
    await (await this.#ready()).createAcls({
      acl: missing.map(binding),
    });
    return missing;
  }

  /**
   * Deletes exactly these bindings (each one's own filter, so nothing else matches); returns how
   * many went. The principal needs ALTER on the cluster, and the broker an authorizer.
   */
  async deleteAcls(acls: readonly KafkaAcl[]): Promise<number> {
    if (acls.length === 0) return 0;
    const { filterResponses } = await (await this.#ready()).deleteAcls({
      filters: acls.map(binding),
    });
    return filterResponses.reduce((n, r) => n + r.matchingAcls.length, 0);
  }

  async close(): Promise<void> {
    if (this.#connected !== undefined) await this.#admin.disconnect().catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A binding as kafkajs's admin takes it, to create or (as an exact filter) to delete. */
function binding(a: KafkaAcl) {
  return {
    resourceType: AclResourceTypes[a.resourceType],
    resourceName: a.resourceName,
    resourcePatternType: ResourcePatternTypes[a.patternType],
    principal: a.principal,
    host: a.host,
    operation: AclOperationTypes[a.operation],
    permissionType: AclPermissionTypes[a.permission],
  };
}
