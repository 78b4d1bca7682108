/**
 * The in-process transport: Kafka's semantics (partitions, keys, consumer groups, committed
 * offsets, rebalances, no automatic topic creation) in memory, for agents that share one process
 * and for tests. Its fault mode adds what Kafka does to a consumer on a bad day: duplicates,
 * delays, reordering across topics and partitions, and redelivery of uncommitted records. Like
 * the Kafka transport, it commits a partition only up to its oldest record whose work still runs.
 *
 * @module
 */
import { RunningWork } from "./bounded.ts";
import { Dispatcher, type LogFn } from "./dispatch.ts";
import { partitionForKey } from "./murmur2.ts";
import { type TakenRecord, Watermarks } from "./watermark.ts";
import {
  type GroupHolder,
  type InboundRecord,
  type OutboundRecord,
  type SubscribeOptions,
  type Subscription,
  TopicMissingError,
  type TopicProblem,
  type TopicSpec,
  type Transport,
  type WholeReadOptions,
} from "./types.ts";

/** Faults to inject; each probability is per delivered record. */
export interface FaultOptions {
  /** Seed of the fault generator, so a failing run can be replayed. */
  readonly seed: number;
  /** Probability that a record is delivered twice in a row. */
  readonly duplicate?: number;
  /** Each delivery waits a random 0..maxDelayMs first. */
  readonly maxDelayMs?: number;
  /** Probability that the commit after a record is lost and the consumer rewinds to the last commit. */
  readonly redeliver?: number;
  /** Deliver from partitions in random order (reorders across topics and partitions). */
  readonly reorder?: boolean;
}

/** A small, seedable generator (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface StoredTopic {
  readonly spec: TopicSpec;
  readonly log: InboundRecord[][];
}

interface GroupState {
  readonly members: Set<Member>;
  readonly committed: Map<string, number>;
}

const encoder = new TextEncoder();
const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** The shared in-memory "cluster": several transports (agents) may use one broker. */
export class MemoryBroker {
  readonly topics = new Map<string, StoredTopic>();
  readonly groups = new Map<string, GroupState>();

  /** Appends records; fails like Kafka when a topic does not exist (no automatic creation). */
  append(records: readonly OutboundRecord[]): void {
    for (const r of records) {
      const topic = this.topics.get(r.topic);
      if (!topic) throw new TopicMissingError(r.topic);
      const partition = partitionForKey(r.key, topic.spec.partitions);
      const log = topic.log[partition]!;
      const headers: Record<string, Uint8Array> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) {
        headers[k] = typeof v === "string" ? encoder.encode(v) : v;
      }
      log.push({
        topic: r.topic,
        partition,
        offset: String(log.length),
        key: r.key,
        value: typeof r.value === "string" ? encoder.encode(r.value) : r.value,
        headers,
        timestamp: Date.now(),
      });
    }
    for (const group of this.groups.values()) for (const m of group.members) m.kick();
  }

  group(id: string): GroupState {
    let g = this.groups.get(id);
    if (!g) {
      g = { members: new Set(), committed: new Map() };
      this.groups.set(id, g);
    }
    return g;
  }

  /** Round-robin assignment of every subscribed partition over the group's members. */
  rebalance(groupId: string): void {
    const group = this.group(groupId);
    const members = [...group.members];
    const partitions: Array<[string, number]> = [];
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const name of topics) {
      const topic = this.topics.get(name);
      if (!topic) continue;
      for (let p = 0; p < topic.spec.partitions; p++) partitions.push([name, p]);
    }
    for (const m of members) m.assigned = [];
    let i = 0;
    for (const [name, p] of partitions) {
      const candidates = members.filter((m) => m.topics.includes(name));
      if (candidates.length === 0) continue;
      candidates[i++ % candidates.length]!.assigned.push([name, p]);
    }
    for (const m of members) {
      m.stats.joins++;
      m.resetPositions();
      m.joined();
    }
  }
}

class Member implements Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  assigned: Array<[string, number]> = [];
  readonly #positions = new Map<string, number>();
  readonly #broker: MemoryBroker;
  readonly #options: SubscribeOptions;
  readonly #dispatcher: Dispatcher;
  readonly #faults: FaultOptions | undefined;
  readonly #random: () => number;
  readonly #endAtStart = new Map<string, number>();
  #caughtUp: Array<() => void> = [];
  #pumping = false;
  #paused = false;
  #manualPause = false;
  #closed = false;
  /** Closing: taking no further record while the work running gets its grace. */
  #draining = false;
  /** Each taken record whose work runs, until what its end allows is committed. */
  readonly #finishing = new RunningWork();
  /** Records taken and not yet committable, and the rebalance they were taken in. */
  readonly #marks = new Watermarks();
  #generation = 0;

  constructor(broker: MemoryBroker, options: SubscribeOptions, deps: {
    groupId: string;
    produce: (r: readonly OutboundRecord[]) => Promise<void>;
    faults: FaultOptions | undefined;
    log: LogFn;
  }) {
    this.#broker = broker;
    this.#options = options;
    this.groupId = deps.groupId;
    this.topics = [...options.topics];
    this.#faults = deps.faults;
    this.#random = seededRandom(deps.faults?.seed ?? 1);
    this.#dispatcher = new Dispatcher({
      kind: options.kind,
      groupId: deps.groupId,
      handler: options.handler,
      concurrency: options.concurrency ?? 4,
      deadLetterTopic: options.deadLetterTopic,
      produce: deps.produce,
      log: deps.log,
    });
    for (const name of this.topics) {
      const topic = broker.topics.get(name);
      if (!topic) throw new TopicMissingError(name);
      topic.log.forEach((log, p) => this.#endAtStart.set(tp(name, p), log.length));
    }
  }

  get stats() {
    return this.#dispatcher.stats;
  }

  assignment(): string[] {
    return this.assigned.map(([t, p]) => `${t}:${p}`).sort();
  }

  /** Tells the subscriber of a join of its group (the rebalance above). */
  joined(): void {
    this.#options.onJoin?.(this.stats.joins);
  }

  resetPositions(): void {
    this.#generation++;
    this.#marks.clear();
    this.#positions.clear();
    const committed = this.#broker.group(this.groupId).committed;
    for (const [name, p] of this.assigned) {
      const start = this.#options.kind !== "stream" || this.#options.fromBeginning !== false
        ? 0
        : streamStart(this.#broker.topics.get(name)!.log[p]!, this.#options.fromTime);
      this.#positions.set(tp(name, p), committed.get(tp(name, p)) ?? start);
    }
    this.kick();
  }

  pause(): void {
    this.#manualPause = true;
  }

  resume(): void {
    if (this.#draining) return;
    this.#manualPause = false;
    this.kick();
  }

  kick(): void {
    if (!this.#pumping && !this.#closed && !this.#manualPause) {
      this.#pumping = true;
      setTimeout(() => this.#pump(), 0);
    }
  }

  #next(): InboundRecord | undefined {
    const ready = this.assigned.filter(([name, p]) =>
      (this.#positions.get(tp(name, p)) ?? 0) < this.#broker.topics.get(name)!.log[p]!.length
    );
    if (ready.length === 0) return undefined;
    const pick = this.#faults?.reorder ? Math.floor(this.#random() * ready.length) : 0;
    const [name, p] = ready[pick]!;
    return this.#broker.topics.get(name)!.log[p]![this.#positions.get(tp(name, p))!];
  }

  async #pump(): Promise<void> {
    this.#dispatcher.stats.fetches++;
    try {
      while (!this.#closed && !this.#paused && !this.#manualPause) {
        const record = this.#next();
        if (!record) break;
        const key = tp(record.topic, record.partition);
        if (this.#faults?.maxDelayMs) {
          await new Promise((r) => setTimeout(r, this.#random() * this.#faults!.maxDelayMs!));
          if (this.#closed || this.#positions.get(key) !== Number(record.offset)) continue;
        }
        const generation = this.#generation;
        const deliveries = [await this.#dispatcher.deliver(record)];
        if (this.#faults?.duplicate && this.#random() < this.#faults.duplicate) {
          deliveries.push(await this.#dispatcher.deliver(record));
        }
        if (this.#positions.get(key) !== Number(record.offset)) continue; // rebalanced meanwhile
        if (this.#faults?.redeliver && this.#random() < this.#faults.redeliver) {
          // The commit is lost: like a consumer that restarts, go back to the last commit.
          const committed = this.#broker.group(this.groupId).committed.get(key);
          this.#positions.set(key, committed ?? 0);
        } else {
          this.#positions.set(key, Number(record.offset) + 1);
          if (this.#options.kind !== "state") {
            // Committed once its work is done, never past an older record still running.
            const taken = this.#marks.taken(record.topic, record.partition, BigInt(record.offset));
            const finished = Promise.all(deliveries.map((d) => d.finished));
            this.#finishing.track(finished.then((ended) => {
              if (ended.every(Boolean)) this.#commit(taken, generation);
            }));
          }
        }
        this.#checkCaughtUp();
        if (this.#dispatcher.executor.full) {
          this.#paused = true;
          this.#dispatcher.stats.pauses++;
          this.#dispatcher.executor.whenFree().then(() => {
            this.#paused = false;
            this.kick();
          });
        }
      }
    } finally {
      this.#pumping = false;
      this.#checkCaughtUp();
    }
  }

  /** Commits what `taken` finishing allows, unless the group moved on since it was taken. */
  #commit(taken: TakenRecord, generation: number): void {
    if (this.#closed || generation !== this.#generation) return;
    const advance = this.#marks.finish(taken);
    if (advance === undefined) return;
    const key = tp(advance.topic, advance.partition);
    this.#broker.group(this.groupId).committed.set(key, Number(advance.next));
    this.#dispatcher.stats.commits++;
  }

  #checkCaughtUp(): void {
    for (const [key, end] of this.#endAtStart) {
      if ((this.#positions.get(key) ?? 0) < end) return;
    }
    for (const wake of this.#caughtUp.splice(0)) wake();
  }

  caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      this.#caughtUp.push(resolve);
      this.#checkCaughtUp();
    });
  }

  behind(topics: readonly string[] = this.topics): Promise<boolean> {
    const held = this.assigned.filter(([name]) => topics.includes(name));
    return Promise.resolve(
      held.length === 0 ||
        held.some(([name, p]) =>
          (this.#positions.get(tp(name, p)) ?? 0) < this.#broker.topics.get(name)!.log[p]!.length
        ),
    );
  }

  idle(): Promise<void> {
    return this.#dispatcher.idle();
  }

  /** See {@link Subscription.close}: the work running gets `graceMs` while this member waits. */
  async close(graceMs = 0): Promise<void> {
    if (this.#closed || this.#draining) return;
    this.#draining = true;
    this.#manualPause = true;
    this.#dispatcher.stop();
    await this.#finishing.grace(graceMs);
    this.#closed = true;
    const group = this.#broker.group(this.groupId);
    group.members.delete(this);
    if (this.#options.kind === "state") this.#broker.groups.delete(this.groupId);
    else this.#broker.rebalance(this.groupId);
    await this.idle();
  }
}

/** Options of the in-process transport. */
export interface MemoryTransportOptions {
  /** Share one broker between several transports (agents); a new one by default. */
  readonly broker?: MemoryBroker;
  /** Turn on the fault mode. */
  readonly faults?: FaultOptions;
  readonly log?: LogFn;
}

let runCounter = 0;

/** The in-process Transport. */
export class MemoryTransport implements Transport {
  readonly broker: MemoryBroker;
  readonly #faults: FaultOptions | undefined;
  readonly #log: LogFn;
  readonly #subs = new Set<Member>();

  constructor(options: MemoryTransportOptions = {}) {
    this.broker = options.broker ?? new MemoryBroker();
    this.#faults = options.faults;
    this.#log = options.log ?? (() => {});
  }

  produce(records: readonly OutboundRecord[]): Promise<void> {
    try {
      this.broker.append(records);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    const live = this.broker.groups.get(options.groupId)?.members.size ?? 0;
    if (options.kind === "stream" && live > 0) {
      return Promise.reject(
        new Error(
          `Consumer group "${options.groupId}" already has ${live} live member(s): another ` +
            `process is running as this agent; stop it or use another agent id`,
        ),
      );
    }
    const groupId = options.kind === "state"
      ? `${options.groupId}.state.${Date.now().toString(36)}.${++runCounter}`
      : options.groupId;
    let member: Member;
    try {
      member = new Member(this.broker, options, {
        groupId,
        produce: (r) => this.produce(r),
        faults: this.#faults,
        log: this.#log,
      });
    } catch (error) {
      return Promise.reject(error);
    }
    this.#subs.add(member);
    this.broker.group(groupId).members.add(member);
    this.broker.rebalance(groupId);
    return Promise.resolve(member);
  }

  /** Reads through a state subscription, which in process costs no wait. */
  async readWhole(options: WholeReadOptions): Promise<void> {
    const { topics, handler, groupId } = options;
    const subscription = await this.subscribe({ kind: "state", topics, handler, groupId });
    try {
      await subscription.caughtUp();
    } finally {
      await subscription.close();
    }
  }

  createTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const created: string[] = [];
    for (const spec of specs) {
      if (this.broker.topics.has(spec.name)) continue;
      this.broker.topics.set(spec.name, {
        spec,
        log: Array.from({ length: spec.partitions }, () => []),
      });
      created.push(spec.name);
    }
    return Promise.resolve(created);
  }

  verifyTopics(specs: readonly TopicSpec[]): Promise<TopicProblem[]> {
    const problems: TopicProblem[] = [];
    for (const spec of specs) {
      const topic = this.broker.topics.get(spec.name);
      if (!topic) {
        problems.push({
          topic: spec.name,
          setting: "existence",
          expected: "exists",
          actual: "missing",
          fix: "create it (automatic topic creation is off)",
        });
        continue;
      }
      for (const [setting, expected] of Object.entries(spec.config)) {
        const actual = topic.spec.config[setting] ?? "(default)";
        if (actual !== expected) {
          problems.push({
            topic: spec.name,
            setting,
            expected,
            actual,
            fix: `set ${setting}=${expected} on ${spec.name}`,
          });
        }
      }
      if (topic.spec.partitions < spec.partitions) {
        problems.push({
          topic: spec.name,
          setting: "partitions",
          expected: `at least ${spec.partitions}`,
          actual: String(topic.spec.partitions),
          fix: `add partitions to ${spec.name}`,
        });
      }
    }
    return Promise.resolve(problems);
  }

  groupMembers(groupId: string): Promise<number> {
    return Promise.resolve(this.broker.groups.get(groupId)?.members.size ?? 0);
  }

  /** Members here live in this process: none is ever left behind by a dead one. */
  reclaimGroup(groupId: string): Promise<GroupHolder[]> {
    const members = this.broker.groups.get(groupId)?.members.size ?? 0;
    return Promise.resolve(Array.from({ length: members }, () => ({})));
  }

  listGroups(prefix: string): Promise<string[]> {
    return Promise.resolve(
      [...this.broker.groups.keys()].filter((id) => id.startsWith(prefix)).sort(),
    );
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const id of groupIds) {
      const live = this.broker.groups.get(id)?.members.size ?? 0;
      if (live > 0) {
        return Promise.reject(
          new Error(`Cannot delete consumer group "${id}": it has ${live} live member(s)`),
        );
      }
      this.broker.groups.delete(id);
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subs].map((s) => s.close()));
    this.#subs.clear();
  }
}

/**
 * Where a stream group starting at the end reads `log` from: its end, or with `fromTime` its
 * first record since then, if it has one.
 */
function streamStart(log: readonly { readonly timestamp: number }[], fromTime?: number): number {
  const since = fromTime === undefined ? -1 : log.findIndex((r) => r.timestamp >= fromTime);
  return since === -1 ? log.length : since;
}
