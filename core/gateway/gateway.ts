/**
 * The long-running agent: {@link Gateway.start} starts, in order, the agent runtime, the
 * transport (Kafka when the mode is group or full, or headless with group.enabled; else the
 * in-process transport, under the same protocol code), its part in the group (group_side.ts: the
 * membership, with a sponsor where the home holds the owner key, the task paths, the shared memory
 * and the orchestrator's node in headless mode and full mode with orchestrator.enabled), the
 * scheduler (when scheduler.enabled) and the delivery worker. {@link Gateway.stop} stops them in
 * the reverse order within a bounded time: the scheduler's running jobs get part of it, running
 * tasks get half of what is left to end and answer (tasks.ts) before those still running are
 * given up (declined, so their requesters send them on, and left uncommitted, so they come
 * again), and the agent sends its signed `leave`.
 *
 * {@link Gateway.leave} takes the gateway out of its group while the rest serves on (chat, the
 * scheduler, the API), and {@link Gateway.join} brings it back with a new group side: its
 * `membership`, `tasks`, `memory` and `orchestrator` are always those of the latest side, so
 * whoever reads them through the gateway sees the new ones. Joining while a member, or leaving
 * while not one, throws a {@link MembershipStateError}; the two run one at a time, and the stop
 * waits for the one under way (within half its time; a join that ends later is undone).
 *
 * @module
 */
import { type AgentRuntime, jobRunner, runDirAlive } from "../agent/mod.ts";
import { type Mode, type ResolvedConfig, resolveMode } from "../config/mod.ts";
import {
  GroupSetupError,
  memberId,
  type Membership,
  memberTopicSpecs,
  type SkillChange,
} from "../group/mod.ts";
import type { Orchestrator } from "../orchestrator/mod.ts";
import {
  type Deliver,
  DeliveryWorker,
  type JobRunReport,
  Scheduler,
  syncConfigJobs,
} from "../scheduler/mod.ts";
import {
  bounded,
  kafkaOptionsFromConfig,
  loadKafka,
  type LogFn,
  MemoryTransport,
  type ReachabilityChange,
  type Transport,
} from "../transport/mod.ts";
import { type Step, stopAll } from "./_steps.ts";
import { GroupSide, type GroupSideOptions } from "./group_side.ts";
import type { SharedMemorySide } from "./shared_memory.ts";
import type { TaskSide } from "./tasks.ts";

/** What the gateway needs besides config. */
export interface GatewayOptions {
  /** The mode asked for (`--mode`); default: decided from config. */
  readonly mode?: Mode;
  /** Builds the agent (core/agent `createAgentRuntime`, with the caller's approvals and warnings). */
  readonly createRuntime: (config: ResolvedConfig) => Promise<AgentRuntime>;
  /**
   * The transport to use instead of the one the mode chooses (several gateways in one process
   * share an in-process broker); the gateway does not close it.
   */
  readonly transport?: Transport;
  /** Sends an answer whose delivery failed to its channel; default: no channel runs here. */
  readonly deliver?: Deliver;
  /** Lines about what the gateway does (stderr in the CLI). */
  readonly say?: (line: string) => void;
  /**
   * Kafka lost (its client's retries ran out) or back, once per change; default: said through
   * `say` in core's words.
   */
  readonly onKafka?: (change: ReachabilityChange) => void;
  /** Each scheduled run. */
  readonly onRun?: (report: JobRunReport) => void;
  /**
   * Each join of one of its work groups (the inbox's, the workers'): the first, then one per
   * rebalance, so a join after the first means a new generation of that group.
   */
  readonly onJoin?: (groupId: string, joins: number) => void;
  /** Tasks run at once from each work subscription (default 4). */
  readonly concurrency?: number;
  /**
   * Silence after which a lease of a task this agent sent lapses (default `group.leaseMs`, else
   * the requester's: 30 s + 3 heartbeat intervals).
   */
  readonly leaseMs?: number;
  /** How often expired shared memories are deleted (default 30 s). */
  readonly memorySweepMs?: number;
}

/** How long {@link Gateway.stop} may take by default. */
export const STOP_TIMEOUT_MS = 10_000;

/**
 * A join while the gateway is a member of its group, or a leave while it is not: `member` says
 * which it is now.
 */
export class MembershipStateError extends Error {
  override name = "MembershipStateError";
  constructor(readonly member: boolean, message: string) {
    super(message);
  }
}

/** A running gateway; see the module documentation. */
export class Gateway {
  readonly mode: Mode;
  readonly agentId: string;
  readonly group: string;
  /** Whether the group runs over Kafka (else in this process). */
  readonly kafka: boolean;
  readonly runtime: AgentRuntime;
  /** The transport it runs on (its own, or the one it was given). */
  readonly transport: Transport;
  /** What a new group side is started from, the skills to offer aside. */
  readonly #side: Omit<GroupSideOptions, "skills">;
  /** The latest group side: the running one while a member, else the one that left. */
  #group: GroupSide;
  #member = true;
  /** The skills offered, kept while out of the group for the next join. */
  #skills: readonly string[];
  /** The steps started before the group side (agent, transport) and after it (scheduler...). */
  readonly #before: Step[];
  readonly #after: Step[];
  /** The join, leave or stop under way: they run one at a time. */
  #turn: Promise<unknown> = Promise.resolve();
  #stopped: Promise<string[]> | undefined;

  private constructor(fields: {
    mode: Mode;
    agentId: string;
    kafka: boolean;
    runtime: AgentRuntime;
    transport: Transport;
    side: Omit<GroupSideOptions, "skills">;
    group: GroupSide;
    skills: readonly string[];
    before: Step[];
    after: Step[];
  }) {
    this.mode = fields.mode;
    this.agentId = fields.agentId;
    this.group = fields.side.config.group.name;
    this.kafka = fields.kafka;
    this.runtime = fields.runtime;
    this.transport = fields.transport;
    this.#side = fields.side;
    this.#group = fields.group;
    this.#skills = fields.skills;
    this.#before = fields.before;
    this.#after = fields.after;
  }

  /** Starts everything; on a failure, what started is stopped again and the error thrown. */
  static async start(config: ResolvedConfig, options: GatewayOptions): Promise<Gateway> {
    const decided = resolveMode(config, options.mode);
    if (!decided.ok) throw new GroupSetupError(decided.error);
    const { mode } = decided;
    const lease = leaseProblem(config);
    if (lease !== undefined) throw new GroupSetupError(lease);
    const kafka = overKafka(config, mode);
    const agentId = memberId(config, kafka ? undefined : "local");
    const before: Step[] = [];
    const after: Step[] = [];
    let group: GroupSide | undefined;
    // The gateway once made, for what its group side tells later (a revocation).
    const made = Promise.withResolvers<Gateway>();
    const unwind = async () => {
      await stopAll(after, STOP_TIMEOUT_MS);
      await group?.stop(STOP_TIMEOUT_MS);
      await stopAll(before, STOP_TIMEOUT_MS);
    };
    try {
      const runtime = await options.createRuntime(config);
      before.push(["agent", () => runtime.close()]);
      const transport = options.transport ??
        await ownTransport(config, kafka, {
          agentId,
          runName: runtime.runName,
          onKafka: kafkaListener(options),
          log: transportLog(options.say),
        });
      if (options.transport === undefined) before.push(["transport", () => transport.close()]);
      const side = {
        config,
        mode,
        agentId,
        kafka,
        runtime,
        transport,
        concurrency: options.concurrency ?? 4,
        leaseMs: options.leaseMs,
        memorySweepMs: options.memorySweepMs,
        say: options.say,
        onJoin: options.onJoin,
        // Revoked by the owner while it runs: heard by no one, it leaves rather than take work.
        onRevoked: (line: string) => {
          options.say?.(`${line}; it leaves the group and serves on outside it`);
          void made.promise.then((gateway) => gateway.leave()).catch(() => {});
        },
      };
      group = await GroupSide.start({ ...side, skills: config.group.skills });
      const scheduling = startScheduler(config, runtime, options);
      if (scheduling !== undefined) after.push(scheduling);
      const delivery = new DeliveryWorker({
        store: runtime.timeline,
        deliver: options.deliver ?? noChannel,
        warn: (m) => options.say?.(m),
      });
      delivery.start();
      after.push(["delivery", () => delivery.stop()]);
      const gateway = new Gateway({
        mode,
        agentId,
        kafka,
        runtime,
        transport,
        side,
        group,
        skills: config.group.skills,
        before,
        after,
      });
      made.resolve(gateway);
      return gateway;
    } catch (error) {
      await unwind();
      throw error;
    }
  }

  /** Whether it is a member of its group now (it has not left, or it joined again). */
  get member(): boolean {
    return this.#member;
  }

  /** The membership of the latest group side (closed once the gateway left). */
  get membership(): Membership {
    return this.#group.membership;
  }

  /** The task paths of the latest group side. */
  get tasks(): TaskSide {
    return this.#group.tasks;
  }

  /** The shared memory of the latest group side. */
  get memory(): SharedMemorySide {
    return this.#group.memory;
  }

  /** The node of the orchestrator's hierarchy, in headless mode and when full mode runs one. */
  get orchestrator(): Orchestrator | undefined {
    return this.#group.orchestrator;
  }

  /** Whether this home's sponsor lets newcomers in (while a member). */
  get sponsoring(): boolean {
    return this.#group.sponsoring;
  }

  /**
   * Whether its group was told, when it last left (by `leave` or `stop`), that this agent left:
   * false while a member, and when the leave could not be sent or not in time.
   */
  get told(): boolean {
    return !this.#member && this.#group.told;
  }

  /**
   * Offers exactly `skills` from now on (config.json's group.skills changed): the consumers of
   * skills no longer offered stop, those of new ones start, and the skills' records say so. Out
   * of the group, the skills are kept for the next join.
   */
  offerSkills(skills: readonly string[]): Promise<SkillChange> {
    const before = this.#skills;
    this.#skills = [...skills];
    if (this.#member) return this.tasks.skills.offer(skills);
    return Promise.resolve({
      added: skills.filter((s) => !before.includes(s)),
      removed: before.filter((s) => !skills.includes(s)),
    });
  }

  /**
   * Leaves the group with a signed `leave`, stopping every part of the group side within
   * `timeoutMs`; the rest of the gateway serves on. Resolves with the parts that did not end in
   * time. Throws a {@link MembershipStateError} when it is not a member.
   */
  leave(timeoutMs = STOP_TIMEOUT_MS): Promise<string[]> {
    return this.#inTurn(() => {
      if (!this.#member) {
        throw new MembershipStateError(
          false,
          `${this.agentId} is not a member of group "${this.group}": it has left it`,
        );
      }
      this.#member = false;
      return this.#group.stop(timeoutMs);
    });
  }

  /**
   * Joins the group again with a new group side (membership, task paths, shared memory, the
   * orchestrator's node). Throws a {@link MembershipStateError} when it is a member already, and
   * what the join threw when it failed (then it is still out of the group).
   */
  join(): Promise<void> {
    return this.#inTurn(async () => {
      if (this.#stopped !== undefined) {
        throw new MembershipStateError(false, `The gateway of ${this.agentId} has stopped`);
      }
      if (this.#member) {
        throw new MembershipStateError(
          true,
          `${this.agentId} is a member of group "${this.group}" already`,
        );
      }
      const side = await GroupSide.start({ ...this.#side, skills: this.#skills });
      if (this.#stopped !== undefined) {
        // The stop did not wait for this join to end: the new side goes at once.
        await side.stop(STOP_TIMEOUT_MS);
        throw new MembershipStateError(false, `The gateway of ${this.agentId} has stopped`);
      }
      this.#group = side;
      this.#member = true;
    });
  }

  /**
   * Stops in the reverse order of the start, within `timeoutMs` in all; resolves with the steps
   * that did not end in time (empty when all did). Stopping twice waits for the first stop.
   */
  stop(timeoutMs = STOP_TIMEOUT_MS): Promise<string[]> {
    return this.#stopped ??= (async () => {
      const until = Date.now() + timeoutMs;
      const left = () => Math.max(until - Date.now(), 250);
      // A join or leave under way gets half the time to end; a join that ends later is undone.
      await bounded(this.#turn, timeoutMs / 2);
      const late = await stopAll(this.#after, left());
      if (this.#member) late.push(...await this.#group.stop(left()));
      this.#member = false;
      late.push(...await stopAll(this.#before, left()));
      return late;
    })();
  }

  /** Runs `change` after the join, leave or stop under way, if any. */
  #inTurn<T>(change: () => T | Promise<T>): Promise<T> {
    const next = this.#turn.then(change);
    this.#turn = next.catch(() => {});
    return next;
  }
}

/**
 * Whether a gateway in `mode` runs its group over Kafka (group and full modes, and headless with
 * group.enabled); else the group is in this process.
 */
export function overKafka(config: Pick<ResolvedConfig, "group">, mode: Mode): boolean {
  return mode === "group" || mode === "full" || (mode === "headless" && config.group.enabled);
}

/**
 * Why `group.leaseMs` cannot work, if it cannot: a worker that falls silent stops itself only
 * after 2 heartbeat intervals without an acknowledgement, so a shorter lease would let the next
 * attempt start while the silent holder may still act.
 */
function leaseProblem(config: ResolvedConfig): string | undefined {
  const { leaseMs, heartbeatIntervalMs } = config.group;
  const least = 3 * heartbeatIntervalMs;
  if (leaseMs === undefined || leaseMs >= least) return undefined;
  return `Cannot use group.leaseMs ${leaseMs}: it must be at least 3 heartbeat intervals ` +
    `(${least} ms with group.heartbeatIntervalMs ${heartbeatIntervalMs}), because a silent ` +
    "worker stops itself only after 2 of them";
}

/**
 * The mode's transport: Kafka (its consumers tagged with the agent's run folder), or a broker in
 * this process holding the group's topics.
 */
async function ownTransport(
  config: ResolvedConfig,
  kafka: boolean,
  agent: {
    readonly agentId: string;
    readonly runName: string | undefined;
    readonly onKafka: (change: ReachabilityChange) => void;
    readonly log: LogFn;
  },
): Promise<Transport> {
  const { agentId, runName } = agent;
  if (kafka) {
    const options = await kafkaOptionsFromConfig(config, { clientId: `kafclaw-${agentId}` });
    // The consumers name the agent's run folder: a restart after a crash frees its groups at once.
    const runFolder = runName === undefined
      ? undefined
      : { home: config.home, name: runName, alive: runDirAlive };
    const { KafkaTransport } = await loadKafka();
    return new KafkaTransport({
      ...options,
      ...(runFolder === undefined ? {} : { runFolder }),
      onReachability: agent.onKafka,
      log: agent.log,
    });
  }
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs(config.group.name, { agentId }));
  return transport;
}

/**
 * What the gateway says of its transport: its own errors (work that failed, a dead letter not
 * written yet, a delivery that broke), one line each. kafkajs's words and the transport's warnings
 * stay out: the reachability lines and the group's audit say what matters of them.
 */
export function transportLog(say: ((line: string) => void) | undefined): LogFn {
  return (level, message) => {
    if (level === "error" && !message.startsWith("kafkajs ")) say?.(message);
  };
}

/** What the gateway says when Kafka is lost or back: the caller's words, else core's. */
function kafkaListener(options: GatewayOptions): (change: ReachabilityChange) => void {
  return options.onKafka ?? ((change) =>
    options.say?.(
      change.reachable
        ? `Kafka at ${change.brokers.join(",")} answers again`
        : `${change.error.message}; the gateway keeps trying`,
    ));
}

/** The scheduler over the agent, as `cron serve` runs it, when scheduler.enabled. */
function startScheduler(
  config: ResolvedConfig,
  runtime: AgentRuntime,
  options: GatewayOptions,
): Step | undefined {
  const settings = config.scheduler;
  if (!settings.enabled) return undefined;
  const zone = settings.timezone;
  syncConfigJobs(runtime.timeline.jobs, settings.jobs, {
    now: new Date(),
    ...(zone === undefined ? {} : { timezone: zone }),
  });
  const scheduler = new Scheduler({
    store: runtime.timeline,
    runner: jobRunner(runtime.door),
    pollMs: settings.tickIntervalMs,
    maxConcurrent: settings.maxConcurrentLlm,
    catchUp: settings.catchUp,
    ...(zone === undefined ? {} : { timezone: zone }),
    ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
    warn: (m) => options.say?.(m),
  });
  scheduler.start();
  // Running jobs get half of what is left; their times stay due when they are cancelled.
  return ["scheduler", (ms) => scheduler.stop({ graceMs: ms / 2 })];
}

/** No channel runs in this gateway yet: a due delivery fails, and is tried again later. */
const noChannel: Deliver = (task) =>
  Promise.reject(new Error(`channel ${task.channel} does not run in this gateway`));
