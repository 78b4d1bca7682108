/**
 * The Transport port: everything the group layer needs from Kafka, and nothing more. Two
 * implementations keep the same semantics: Kafka (kafkajs) and in-process (with a fault mode).
 *
 * @module
 */

/** Record headers as sent: UTF-8 strings or raw bytes. */
export type Headers = Readonly<Record<string, string | Uint8Array>>;

/** A record to produce. The key is required: our topics are keyed (PROTOCOL.md, Records). */
export interface OutboundRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Uint8Array | string;
  readonly headers?: Headers;
}

/** A record as a consumer sees it. */
export interface InboundRecord {
  readonly topic: string;
  readonly partition: number;
  /** The offset as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
  /** The key as text; its bytes when they are not UTF-8 (which `parseRecord` refuses). */
  readonly key: string | Uint8Array | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, Uint8Array>>;
  /** Broker time (CreateTime or LogAppendTime, as the topic says), in ms since the epoch. */
  readonly timestamp: number;
}

/**
 * What a handler tells the transport about a record. Handlers never block: they validate, record,
 * and hand slow work back as `work`, which runs on the subscription's bounded executor after the
 * handler has returned (PROTOCOL.md, semantics 2).
 */
export type HandlerResult =
  | void
  | { readonly poison: string }
  | {
    readonly work: () => Promise<WorkEnd>;
    /**
     * The work waits for this before it starts (a record parked until its signer's certificate
     * arrives, core/group/trust.ts), holding no place in the executor meanwhile: the consumer
     * goes on with the records behind it. The record is still finished only once its work has
     * run, so its offset is not committed before.
     */
    readonly ready?: Promise<unknown>;
  };

/**
 * How work ends: nothing when it is done (failed or not), or `{ again }` with the reason when it
 * stopped short because its worker is stopping. A record whose work ended `again` is never
 * committed, so it is delivered again: to this agent's next run, or to the partition's next owner.
 */
export type WorkEnd = void | { readonly again: string };

/**
 * A consumer's callback for one record. It may carry `prepare`, which the Kafka transport calls
 * with each fetched batch of a partition before the first of its records goes to the handler, so
 * that work the records share can start together (their signature checks: core/group/trust.ts).
 * It decides nothing: every record still goes to the handler, in order, and a transport that
 * delivers records one by one (in-process) does not call it.
 */
export type RecordHandler =
  & ((record: InboundRecord) => HandlerResult | Promise<HandlerResult>)
  & { readonly prepare?: (records: readonly InboundRecord[]) => Promise<void> };

/** A topic with its intended configuration, for creation and for verification at start. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Replication factor; absent means the broker's default. */
  readonly replicationFactor?: number;
  /** Topic-level configs, e.g. `{"cleanup.policy": "compact"}`. */
  readonly config: Readonly<Record<string, string>>;
}

/** One way in which an existing topic differs from its spec, with the fix spelled out. */
export interface TopicProblem {
  readonly topic: string;
  readonly setting: string;
  readonly expected: string;
  readonly actual: string;
  readonly fix: string;
}

/** How a subscription consumes. */
export type SubscriptionKind =
  /** Every agent reads from the beginning, without committing, to rebuild current state. */
  | "state"
  /** Each agent reads through its own consumer group and catches up after downtime. */
  | "stream"
  /** One shared group per topic: each record goes to one member; offsets committed by hand. */
  | "work";

/** Options of a subscription. */
export interface SubscribeOptions {
  readonly kind: SubscriptionKind;
  readonly topics: readonly string[];
  /**
   * The consumer group. A `state` subscription joins none on Kafka (it is named after it); in
   * process a unique per-run group is made from it.
   */
  readonly groupId: string;
  readonly handler: RecordHandler;
  /** At most this many `work` items run at once; when full, the partitions pause. Default 4. */
  readonly concurrency?: number;
  /** `work` subscriptions write poison records here (topic, partition, offset, reason, hash). */
  readonly deadLetterTopic?: string | undefined;
  /** Where a brand-new stream group starts: earliest (default for work) or latest. */
  readonly fromBeginning?: boolean;
  /**
   * A stream group starting at the end starts instead, in each partition it has no commit for, at
   * the first record appended at or after this time (ms since the epoch, the records' timestamps):
   * what the last moments said (a newcomer's heartbeats). `caughtUp` resolves once those records
   * are read.
   */
  readonly fromTime?: number;
  /**
   * Told after each join of the group (the first, then one per rebalance: a new generation) with
   * the count so far, so that a long-lived process can say when its groups rebalance.
   */
  readonly onJoin?: (joins: number) => void;
  /**
   * Told of each batch the consumer could not decode and skipped (Kafka only), before it is
   * dead-lettered or logged as before, so that a member can audit it.
   */
  readonly onUndecodable?: (batch: SkippedBatch) => void;
}

/** Options of {@link Transport.readWhole}. */
export interface WholeReadOptions {
  readonly topics: readonly string[];
  readonly handler: RecordHandler;
  /** Names the per-run group of a transport that reads through one (in process). */
  readonly groupId: string;
  /** Told of each batch that could not be decoded and was skipped (Kafka only). */
  readonly onUndecodable?: (batch: SkippedBatch) => void;
}

/** A batch of records the consumer could not decode: where, its offsets, and why. */
export interface SkippedBatch {
  readonly topic: string;
  readonly partition: number;
  /** The batch's first and last offsets, as decimal strings. */
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly reason: string;
}

/** Counters a subscription keeps; tests and `status` read them. */
export interface SubscriptionStats {
  delivered: number;
  poison: number;
  /** Batches the consumer could not decode (a codec refused them, say), skipped (Kafka only). */
  undecodable: number;
  deadLettered: number;
  handlerErrors: number;
  workStarted: number;
  workFinished: number;
  /** Times the consumer held its input: the executor was full, it was paused, or commits lagged. */
  pauses: number;
  /** Group joins (the first, then one per rebalance). */
  joins: number;
  /** Fetch requests sent (Kafka), or polls of the partitions (in-process). */
  fetches: number;
  /** Offset commits that landed. */
  commits: number;
}

/** A running subscription. */
export interface Subscription {
  readonly groupId: string;
  readonly stats: Readonly<SubscriptionStats>;
  /** The partitions this member holds now, as `topic:partition` strings, sorted. */
  assignment(): string[];
  /**
   * Stops handing records to the handler (work already handed over goes on); `resume` starts
   * again at once, with no fetch wait.
   */
  pause(): void;
  resume(): void;
  /** Resolves when a `state` subscription has read every partition up to its end at start. */
  caughtUp(): Promise<void>;
  /**
   * Whether a record appended to `topics` (default: all of the subscription's) before this call
   * has not been handed to the handler yet: the consumer's lag, as Kafka measures it (the end of
   * each partition this member holds against its position there). A member that holds no
   * partition of them is behind: what it has not been given it has not read.
   */
  behind(topics?: readonly string[]): Promise<boolean>;
  /** Resolves when no work is running or queued (for tests and clean shutdown). */
  idle(): Promise<void>;
  /**
   * Takes no further record and gives the work running up to `graceMs` (default 0) to end,
   * keeping the group meanwhile; then commits what finished, never past a record whose work still
   * runs or ended `again` (those are delivered again), and leaves the group. Resolves once the
   * work still running then has ended too.
   */
  close(graceMs?: number): Promise<void>;
}

/** The port. */
export interface Transport {
  /**
   * Produces with acks=all; the records of one call keep their order within each partition (one
   * request in flight). Nothing is promised across topics (PROTOCOL.md, semantics 7).
   */
  produce(records: readonly OutboundRecord[]): Promise<void>;
  /**
   * Opens what producing needs (a Kafka producer's connections and its producer id) before the
   * first `produce`, so that a start can do it while it waits on other things. Optional: a
   * transport without it connects at the first `produce`. Rejects as that `produce` would.
   */
  connectProducer?(): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Reads every record `topics` hold when the read begins, each partition's in order, and
   * resolves once the handler has had them all and the work it handed back has ended. Kafka
   * fetches them without a consumer group: no join to wait for, no group left on the broker, and
   * nothing needed but the right to read the topics. A missing topic is a
   * {@link TopicMissingError}.
   */
  readWhole(options: WholeReadOptions): Promise<void>;
  /** Creates missing topics with their full configuration; existing ones are left alone. */
  createTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  /** Compares existing topics with their specs; missing topics are reported too. */
  verifyTopics(specs: readonly TopicSpec[]): Promise<TopicProblem[]>;
  /** Number of live members of a consumer group (0 when it does not exist). */
  groupMembers(groupId: string): Promise<number>;
  /**
   * Removes from a consumer group the members that processes of this host left when they died
   * (the broker keeps them until their session times out), and returns the other members: live,
   * or not known to be dead (another host's).
   */
  reclaimGroup(groupId: string): Promise<GroupHolder[]>;
  /** The consumer groups whose id starts with `prefix` (for `group gc`). */
  listGroups(prefix: string): Promise<string[]>;
  /** Deletes consumer groups that have no live member (state groups left by an agent that died). */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /**
   * How far a consumer group is behind the end of each partition it has committed in; absent
   * where the transport cannot tell (in process, where delivery is immediate).
   */
  consumerLag?(groupId: string): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/**
 * A member of a consumer group: its pid when its metadata says, the host name when it is this
 * process's own host (read here, never from the metadata), and whether it is known to run
 * elsewhere (another host, boot or PID namespace).
 */
export interface GroupHolder {
  readonly host?: string;
  readonly pid?: number;
  readonly elsewhere?: boolean;
}

/** A consumer group's lag on one partition: records past its committed offset. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/**
 * A subscription or a write named a topic the broker does not have (KafClaw never lets a client
 * create one by using it).
 */
export class TopicMissingError extends Error {
  override name = "TopicMissingError";
  constructor(readonly topic: string, options?: ErrorOptions) {
    super(`Topic "${topic}" does not exist (automatic creation is off)`, options);
  }
}

/** Thrown at start when topics are missing or misconfigured; the message lists every fix. */
export class TopicConfigError extends Error {
  override name = "TopicConfigError";
  /** The problems found. */
  readonly problems: readonly TopicProblem[];
  constructor(problems: readonly TopicProblem[]) {
    super(
      `${problems.length} topic setting(s) differ from what KafClaw needs:\n` +
        problems.map((p) =>
          `  ${p.topic}: ${p.setting} is ${p.actual}, expected ${p.expected}; fix: ${p.fix}`
        ).join("\n"),
    );
    this.problems = problems;
  }
}

/** Creates missing topics, then refuses to go on if any topic differs from its spec. */
export async function ensureTopics(t: Transport, specs: readonly TopicSpec[]): Promise<void> {
  await t.createTopics(specs);
  const problems = await t.verifyTopics(specs);
  if (problems.length > 0) throw new TopicConfigError(problems);
}
