/**
 * The Kafka transport, over kafkajs. Produces with acks=all through an idempotent producer with one
 * request in flight (so retries never reorder), reads state topics in no consumer group
 * (kafka_follower.ts), streams through the agent's own group, and work topics through a shared
 * group, handing slow work to a bounded executor; streams and work commit in the background,
 * within a bound (commits.ts), and a consumer holds its input while the executor is full
 * (kafka_subscription.ts).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { ConnectionOptions } from "node:tls";
import kafkajs from "kafkajs";
import type { Admin, Kafka, KafkaMessage, Producer } from "kafkajs";
import { roundRobinAssignerWith } from "./assignor.ts";
import { Dispatcher, type LogFn } from "./dispatch.ts";
import { KafkaSubscription } from "./kafka_subscription.ts";
import { topicOffsets, waitForLeaders } from "./leaders.ts";
import { LeftoverMembers } from "./leftover_members.ts";
import { SharedCluster } from "./kafka_cluster.ts";
import { KafkaFollower, readWholeTopics } from "./kafka_follower.ts";
import { whereHeld } from "./where_held.ts";
import { unreachable } from "./unreachable.ts";
import { encodeRunTag, type RunFolder, thisRun } from "./run_tag.ts";
import { decodeRecordKey } from "./record_key.ts";
import { registerCodecs } from "./codecs.ts";
import { installUndecodableMarkers } from "./undecodable.ts";
import { kafkaClient } from "./kafka_client.ts";
import { missingIn, missingTopicError, requireTopics, topicsAfter } from "./missing_topic.ts";
import { ProducerSlot } from "./producer_slot.ts";
import type { ReachabilityChange } from "./reachability.ts";
import type {
  GroupHolder,
  InboundRecord,
  OutboundRecord,
  PartitionLag,
  SubscribeOptions,
  Subscription,
  TopicProblem,
  TopicSpec,
  Transport,
  WholeReadOptions,
} from "./types.ts";

const { Partitioners, ConfigResourceTypes } = kafkajs;

/** How long a client keeps trying to reach Kafka; see {@link KafkaTransportOptions.patience}. */
export type Patience = "command" | "service";

/** Connection settings, resolved from the group config (core/config) by the caller. */
export interface KafkaTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS: true for the system's CAs, or Node TLS options (ca, cert, key). */
  readonly ssl?: boolean | ConnectionOptions;
  readonly sasl?: {
    readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    readonly username: string;
    readonly password: string;
  };
  /** Consumer session timeout in ms (default 30000). */
  readonly sessionTimeoutMs?: number;
  /** Consumer heartbeat interval in ms (default 3000). */
  readonly heartbeatIntervalMs?: number;
  /** How long one connection may take to open (default: by {@link patience}). */
  readonly connectionTimeoutMs?: number;
  /**
   * How long to keep trying when Kafka cannot be reached: `"command"` for a command that a user
   * waits on (a few attempts within seconds, then KafkaUnreachableError), `"service"` (the default)
   * for a long-lived process such as the gateway (retries with backoff for half a minute and more).
   * The retries also cover a broker's passing refusals (a coordinator still loading).
   */
  readonly patience?: Patience;
  /**
   * Told once when a long-lived client loses Kafka (its retries ran out on a failed connection)
   * and once when Kafka answers again (reachability.ts).
   */
  readonly onReachability?: (change: ReachabilityChange) => void;
  readonly requestTimeoutMs?: number;
  /**
   * How long a topic Kafka said it has is written to without asking again (default 60 s): a
   * topic deleted meanwhile (`group gc` deletes inboxes) is then named at a write within this
   * long, not after kafkajs's half-minute of retries.
   */
  readonly topicRecheckMs?: number;
  /**
   * How long the producer trusts what it was told of its topics before it asks Kafka again
   * (kafkajs's `metadataMaxAge`, default five minutes).
   */
  readonly metadataMaxAgeMs?: number;
  /**
   * Work and stream subscriptions commit this long after the first uncommitted record at the
   * latest (default 1000 ms); see commits.ts for what a crash may redeliver.
   */
  readonly commitIntervalMs?: number;
  /** The most records a subscription takes before a commit lands (default 100). */
  readonly maxUncommitted?: number;
  readonly log?: LogFn;
  /**
   * The agent's run folder in its home, named in its consumers' metadata so that a restart can
   * tell what a crashed run left in its groups (run_tag.ts).
   */
  readonly runFolder?: RunFolder;
}

function toBuffer(value: Uint8Array | string): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
}

function toRecord(topic: string, partition: number, m: KafkaMessage): InboundRecord {
  const headers: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one === undefined) continue;
    headers[k] = typeof one === "string" ? new TextEncoder().encode(one) : new Uint8Array(one);
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: decodeRecordKey(m.key),
    value: m.value === null ? new Uint8Array() : new Uint8Array(m.value),
    headers,
    timestamp: Number(m.timestamp),
  };
}

/** How many topics a transport remembers as existing before it starts over. */
const KNOWN_TOPICS = 10_000;
/** How long a topic found to exist is written to before a write asks for it again. */
const TOPIC_RECHECK_MS = 60_000;

/** The Kafka Transport. */
export class KafkaTransport implements Transport {
  readonly #kafka: Kafka;
  readonly #options: KafkaTransportOptions;
  readonly #log: LogFn;
  /** The producer (producer_slot.ts), made by the first who needs it; dropped on failure. */
  readonly #producers: ProducerSlot;
  #admin: Promise<Admin> | undefined;
  readonly #subs = new Set<Subscription>();
  readonly #leftovers: LeftoverMembers;
  /** kafkajs's own cluster connection, for LeaveGroup and whole reads (kafka_cluster.ts). */
  readonly #cluster: SharedCluster;
  /** Every consumer says which process (and agent run) it belongs to (run_tag.ts). */
  readonly #assigner: ReturnType<typeof roundRobinAssignerWith>;
  /**
   * Topic → when Kafka last said it has it: a write to any other, or to one not asked for lately,
   * is checked first (missing_topic.ts).
   */
  readonly #known = new Map<string, number>();

  constructor(options: KafkaTransportOptions) {
    this.#options = options;
    this.#log = options.log ?? (() => {});
    // Batches other clients compressed with snappy, lz4 or zstd are read, not a stalled partition.
    registerCodecs();
    // A batch that still cannot be decoded is skipped and dead-lettered, not fetched forever.
    const notInstalled = installUndecodableMarkers();
    if (notInstalled) this.#log("warn", notInstalled);
    this.#kafka = kafkaClient(options);
    this.#producers = new ProducerSlot(() => this.#newProducer());
    const folder = options.runFolder;
    const me = thisRun(folder);
    this.#assigner = roundRobinAssignerWith(encodeRunTag(me?.tag));
    this.#cluster = new SharedCluster(this.#kafka);
    this.#leftovers = new LeftoverMembers(() => this.#cluster.get(), () => this.#adminClient(), {
      me,
      live: folder === undefined ? {} : { folderAlive: folder.alive },
    });
  }

  #adminClient(): Promise<Admin> {
    this.#admin ??= connected(this.#kafka.admin(), () => this.#admin = undefined);
    return this.#admin;
  }

  async #newProducer(): Promise<Producer> {
    const producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(this.#options.metadataMaxAgeMs === undefined
        ? {}
        : { metadataMaxAge: this.#options.metadataMaxAgeMs }),
    });
    await producer.connect();
    return producer;
  }

  async connectProducer(): Promise<void> {
    await this.#producers.producer();
  }

  async produce(records: readonly OutboundRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One request for the whole call, whatever its topics (a grant goes to the status stream and
    // an inbox at once): one round trip, not one per topic. Order holds within each partition.
    const topics = new Map<string, OutboundRecord[]>();
    for (const r of records) {
      const list = topics.get(r.topic);
      if (list) list.push(r);
      else topics.set(r.topic, [r]);
    }
    const topicMessages = [...topics].map(([topic, batch]) => ({
      topic,
      messages: batch.map((r) => ({
        key: r.key,
        value: toBuffer(r.value),
        headers: Object.fromEntries(
          Object.entries(r.headers ?? {}).map(([k, v]) => [k, toBuffer(v)]),
        ),
      })),
    }));
    const listTopics = async () => (await this.#adminClient()).listTopics();
    // A topic not written to lately is asked for first: one that does not exist (or no longer)
    // is named at once, not after kafkajs's half-minute of retries. The same listing shows any
    // topic the producer wrote to and Kafka no longer has: the producer goes before a refresh of
    // its metadata fails every send (producer_slot.ts).
    const now = Date.now();
    const recheckMs = this.#options.topicRecheckMs ?? TOPIC_RECHECK_MS;
    const unknown = [...topics.keys()].filter((topic) => {
      const seen = this.#known.get(topic);
      return seen === undefined || now - seen >= recheckMs;
    });
    if (unknown.length > 0) {
      const admin = await this.#adminClient();
      const existing = new Set(await admin.listTopics());
      this.#producers.retireIfGone(existing);
      // One made a moment ago may not be listed yet: asked for alone, for a while.
      const unlisted = unknown.filter((topic) => !existing.has(topic));
      await requireTopics(unlisted, (topic) => admin.fetchTopicMetadata({ topics: [topic] }));
      if (this.#known.size > KNOWN_TOPICS) this.#known.clear();
      // The listing answers for every topic known: one listing a minute, however many are written.
      for (const topic of this.#known.keys()) if (existing.has(topic)) this.#known.set(topic, now);
      for (const topic of unknown) this.#known.set(topic, now);
    }
    const retired = this.#producers.retired;
    const producer = await this.#producers.producer();
    const batch = { acks: -1, topicMessages };
    this.#producers.writing(topics.keys());
    try {
      await producer.sendBatch(batch);
    } catch (error) {
      // Retired meanwhile by another write (which found a topic gone): this one goes again. Else
      // Kafka's unknown topic retires it when a topic it wrote to is gone, one listing deciding
      // both that and which of this write's topics to name when one of them is missing.
      if (this.#producers.retired === retired) {
        const existing = await topicsAfter(error, listTopics);
        const again = existing !== undefined && this.#producers.retireIfGone(existing) &&
          [...topics.keys()].every((t) => existing.has(t));
        if (!again) throw missingIn(error, topics.keys(), existing);
      }
      // The producer failed for a topic deleted since it wrote to it: a new one sends.
      const fresh = await this.#producers.producer();
      this.#producers.writing(topics.keys());
      await fresh.sendBatch(batch).catch(async (again: unknown) => {
        throw await missingTopicError(again, topics.keys(), listTopics);
      });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const admin = await this.#adminClient();
    if (options.kind === "state") return await this.#follow(admin, options);
    // A group this agent joins again after a crash is freed of what the dead run left in it.
    await this.#claimGroup(options.kind, options.groupId);
    const { groupId } = options;
    const consumer = this.#kafka.consumer({
      groupId,
      sessionTimeout: this.#options.sessionTimeoutMs ?? 30000,
      heartbeatInterval: this.#options.heartbeatIntervalMs ?? 3000,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      partitionAssigners: [this.#assigner],
    });
    const sub = new KafkaSubscription({
      consumer,
      admin,
      groupId,
      options,
      dispatcher: this.#dispatcher(options, groupId),
      decode: toRecord,
      commit: {
        intervalMs: this.#options.commitIntervalMs ?? 1000,
        maxUncommitted: this.#options.maxUncommitted ?? 100,
      },
      log: this.#log,
    });
    try {
      await sub.start(options.fromBeginning ?? options.kind !== "stream");
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw await missingTopicError(error, options.topics, () => admin.listTopics());
    }
    this.#subs.add(sub);
    return sub;
  }

  /**
   * A state subscription: its topics read from their start and followed in no consumer group
   * (kafka_follower.ts), through a cluster connection of its own, as a consumer has.
   */
  async #follow(admin: Admin, options: SubscribeOptions): Promise<Subscription> {
    const label = `${options.groupId}.state`;
    const cluster = new SharedCluster(this.#kafka);
    const follower = new KafkaFollower({
      admin,
      cluster: () => cluster.get(),
      release: () => cluster.close(),
      label,
      topics: options.topics,
      handler: options.handler,
      onUndecodable: options.onUndecodable,
      dispatcher: this.#dispatcher(options, label),
      decode: toRecord,
      log: this.#log,
    });
    try {
      await follower.start();
    } catch (error) {
      await follower.close();
      throw await missingTopicError(error, options.topics, () => admin.listTopics());
    }
    this.#subs.add(follower);
    return follower;
  }

  #dispatcher(
    options: Pick<SubscribeOptions, "kind" | "handler" | "concurrency" | "deadLetterTopic">,
    groupId: string,
  ): Dispatcher {
    return new Dispatcher({
      kind: options.kind,
      groupId,
      handler: options.handler,
      concurrency: options.concurrency ?? 4,
      deadLetterTopic: options.deadLetterTopic,
      produce: (r) => this.produce(r),
      log: this.#log,
    });
  }

  async readWhole(options: WholeReadOptions): Promise<void> {
    const label = `whole read of ${options.topics.join(", ")}`;
    // Its fetches go through kafkajs's cluster, not the client kafka_client.ts wraps: a failed
    // connection is made the same KafkaUnreachableError here.
    await readWholeTopics({
      admin: await this.#adminClient(),
      cluster: () => this.#cluster.get(),
      label,
      topics: options.topics,
      handler: options.handler,
      onUndecodable: options.onUndecodable,
      dispatcher: this.#dispatcher({ kind: "state", handler: options.handler }, label),
      decode: toRecord,
      log: this.#log,
    }).catch((error) => {
      throw unreachable(error, this.#options.brokers) ?? error;
    });
  }

  /**
   * Frees `groupId` of members left by dead runs; a stream group is one agent's own, so a member
   * still in it means a second copy of the agent: refused.
   */
  async #claimGroup(kind: "stream" | "work", groupId: string): Promise<void> {
    const holders = await this.reclaimGroup(groupId);
    if (kind === "stream" && holders.length > 0) {
      throw new Error(
        `Consumer group "${groupId}" already has ${holders.length} live member(s): another ` +
          `process is running as this agent${whereHeld(holders)}; stop it or use another agent id`,
      );
    }
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor ?? -1,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
    const names = missing.map((s) => s.name);
    await waitForLeaders(admin, names);
    return names;
  }

  async verifyTopics(specs: readonly TopicSpec[]): Promise<TopicProblem[]> {
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const problems: TopicProblem[] = [];
    const present = specs.filter((s) => {
      if (existing.has(s.name)) return true;
      problems.push({
        topic: s.name,
        setting: "existence",
        expected: "exists",
        actual: "missing",
        fix: "create it (automatic topic creation is off)",
      });
      return false;
    });
    if (present.length === 0) return problems;
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((s) => ({
        type: ConfigResourceTypes.TOPIC,
        name: s.name,
        configNames: Object.keys(s.config),
      })),
    });
    for (const spec of present) {
      const meta = metadata.topics.find((t) => t.name === spec.name);
      const partitions = meta?.partitions.length ?? 0;
      if (partitions < spec.partitions) {
        problems.push({
          topic: spec.name,
          setting: "partitions",
          expected: `at least ${spec.partitions}`,
          actual: String(partitions),
          fix: `kafka-topics.sh --alter --topic ${spec.name} --partitions ${spec.partitions}`,
        });
      }
      const replicas = meta?.partitions[0]?.replicas.length ?? 0;
      if (spec.replicationFactor !== undefined && replicas !== spec.replicationFactor) {
        problems.push({
          topic: spec.name,
          setting: "replication factor",
          expected: String(spec.replicationFactor),
          actual: String(replicas),
          fix: `reassign ${spec.name}'s partitions to ${spec.replicationFactor} replicas`,
        });
      }
      const entries = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ??
        [];
      for (const [setting, expected] of Object.entries(spec.config)) {
        const actual = entries.find((e) => e.configName === setting)?.configValue ?? "(unset)";
        if (actual !== expected) {
          problems.push({
            topic: spec.name,
            setting,
            expected,
            actual,
            fix: `kafka-configs.sh --alter --entity-type topics ` +
              `--entity-name ${spec.name} --add-config ${setting}=${expected}`,
          });
        }
      }
    }
    return problems;
  }

  async groupMembers(groupId: string): Promise<number> {
    const admin = await this.#adminClient();
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  }

  reclaimGroup(groupId: string): Promise<GroupHolder[]> {
    return this.#leftovers.reclaim(groupId);
  }

  async listGroups(prefix: string): Promise<string[]> {
    const admin = await this.#adminClient();
    const { groups } = await admin.listGroups();
    return groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix)).sort();
  }

  async consumerLag(groupId: string): Promise<PartitionLag[]> {
    const admin = await this.#adminClient();
    const committed = await admin.fetchOffsets({ groupId });
    const out: PartitionLag[] = [];
    for (const { topic, partitions } of committed) {
      const ends = new Map(
        (await topicOffsets(admin, topic)).map((p) => [p.partition, BigInt(p.high)]),
      );
      for (const p of partitions) {
        const at = BigInt(p.offset);
        const end = ends.get(p.partition);
        if (at < 0n || end === undefined) continue;
        out.push({ topic, partition: p.partition, lag: Number(end > at ? end - at : 0n) });
      }
    }
    return out;
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = await this.#adminClient();
    await admin.deleteGroups([...groupIds]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subs].map((s) => s.close().catch(() => {})));
    this.#subs.clear();
    await this.#producers.close();
    await (await this.#admin?.catch(() => undefined))?.disconnect().catch(() => {});
    await this.#cluster.close();
    this.#admin = undefined;
  }
}

/** `client` once connected; `forget` is called when it cannot connect, so a later call tries again. */
async function connected<T extends { connect(): Promise<void> }>(
  client: T,
  forget: () => void,
): Promise<T> {
  try {
    await client.connect();
    return client;
  } catch (error) {
    forget();
    throw error;
  }
}
