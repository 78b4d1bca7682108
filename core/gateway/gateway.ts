/**
 * The long-running agent: {@link Gateway.start} starts, in order, the agent runtime, the
 * transport (Kafka when the mode is group or full, or headless with group.enabled; else the
 * in-process transport, under the same protocol code), the membership of the group (with a
 * sponsor where the home holds the owner key), the task paths (tasks.ts), the shared memory
 * (shared_memory.ts), the orchestrator's node (headless, and full mode with orchestrator.enabled,
 * core/orchestrator), the scheduler (when scheduler.enabled) and the delivery worker.
 * {@link Gateway.stop} stops them in the reverse order within a bounded time: the scheduler's
 * running jobs get part of it, running tasks are given up (declined, so their requesters send them
 * on), and the agent sends its signed `leave`.
 *
 * @module
 */
import { type AgentRuntime, configuredSecrets, jobRunner } from "../agent/mod.ts";
import { type Mode, type ResolvedConfig, resolveMode } from "../config/mod.ts";
import {
  GroupAudit,
  GroupSetupError,
  GroupSpans,
  joinGroup,
  LEAVE_TIMEOUT_MS,
  memberId,
  type Membership,
  memberTopicOptions,
  memberTopicSpecs,
  sharedMemoryLimits,
  type SkillChange,
  watchPoison,
} from "../group/mod.ts";
import { type Orchestrator, startOrchestrator } from "../orchestrator/mod.ts";
import { SecretRedactor } from "../policy/mod.ts";
import type { Timeline } from "../timeline/mod.ts";
import {
  type Deliver,
  DeliveryWorker,
  type JobRunReport,
  Scheduler,
  syncConfigJobs,
} from "../scheduler/mod.ts";
import {
  kafkaOptionsFromConfig,
  KafkaTransport,
  MemoryTransport,
  type Transport,
} from "../transport/mod.ts";
import { bounded } from "./_bounded.ts";
import { SharedMemorySide } from "./shared_memory.ts";
import { TaskSide } from "./tasks.ts";

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

type Step = readonly [name: string, stop: (ms: number) => Promise<unknown>];

/** A running gateway; see the module documentation. */
export class Gateway {
  readonly mode: Mode;
  readonly agentId: string;
  readonly group: string;
  /** Whether the group runs over Kafka (else in this process). */
  readonly kafka: boolean;
  readonly runtime: AgentRuntime;
  readonly membership: Membership;
  readonly tasks: TaskSide;
  readonly memory: SharedMemorySide;
  /** The node of the orchestrator's hierarchy, in headless mode and when full mode runs one. */
  readonly orchestrator: Orchestrator | undefined;
  readonly sponsoring: boolean;
  /** The transport it runs on (its own, or the one it was given). */
  readonly transport: Transport;
  readonly #steps: Step[];
  #stopped: Promise<string[]> | undefined;

  private constructor(fields: {
    mode: Mode;
    agentId: string;
    group: string;
    kafka: boolean;
    runtime: AgentRuntime;
    membership: Membership;
    tasks: TaskSide;
    memory: SharedMemorySide;
    orchestrator: Orchestrator | undefined;
    sponsoring: boolean;
    transport: Transport;
    steps: Step[];
  }) {
    this.mode = fields.mode;
    this.agentId = fields.agentId;
    this.group = fields.group;
    this.kafka = fields.kafka;
    this.runtime = fields.runtime;
    this.membership = fields.membership;
    this.tasks = fields.tasks;
    this.memory = fields.memory;
    this.orchestrator = fields.orchestrator;
    this.sponsoring = fields.sponsoring;
    this.transport = fields.transport;
    this.#steps = fields.steps;
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
    const group = config.group.name;
    const steps: Step[] = [];
    const unwind = () => stopAll(steps, STOP_TIMEOUT_MS);
    try {
      const runtime = await options.createRuntime(config);
      steps.push(["agent", () => runtime.close()]);
      // The audit takes events from the start; they reach the group once it has joined.
      const audit = unopenedAudit(agentId, group, runtime.timeline, options.say);
      const own = options.transport ?? await ownTransport(config, kafka, agentId);
      if (options.transport === undefined) steps.push(["transport", () => own.close()]);
      // Heartbeats tell the load of the task side, which starts after the membership.
      const started: { tasks?: TaskSide } = {};
      const transport = watchPoison(own, audit.poison, audit.undecodable);
      const concurrency = options.concurrency ?? 4;
      const { membership, sponsor } = await joinGroup(config, {
        agentId,
        transport,
        timeline: runtime.timeline,
        ...(kafka ? {} : { security: "open" as const }),
        load: () => started.tasks?.load() ?? { running: 0, capacity: concurrency },
        expertise: () => skillScores(runtime, started.tasks?.skills.offered() ?? []),
        onDropped: audit.dropped,
        onRejected: audit.rejected,
      });
      steps.push(["group", (ms) => membership.leave(Math.min(ms, LEAVE_TIMEOUT_MS))]);
      if (sponsor !== undefined) steps.push(["sponsor", () => sponsor.close()]);
      const send = (records: Parameters<Membership["send"]>[0]) => membership.send(records);
      const spans = observers(config, membership, runtime.timeline, { audit, say: options.say });
      // Stopped after the task side (steps stop last first): the spans its stop ended go out.
      steps.push(["spans", () => spans.flush()]);
      const tasks = await TaskSide.start({
        group,
        agentId,
        transport,
        runtime,
        trust: membership.trust,
        guard: (handler) => membership.guard(handler),
        send,
        workers: { live: () => membership.live() },
        membership,
        zones: membership.zones,
        skills: config.group.skills,
        topics: memberTopicOptions(config),
        heartbeatIntervalMs: config.group.heartbeatIntervalMs,
        leaseMs: options.leaseMs ?? config.group.leaseMs,
        concurrency,
        audit,
        spans,
        ...(options.onJoin === undefined ? {} : { onJoin: options.onJoin }),
      });
      started.tasks = tasks;
      steps.push(["tasks", (ms) => tasks.stop(ms)]);
      const memory = await SharedMemorySide.start({
        group,
        agentId,
        transport,
        runtime,
        membership,
        quota: {
          items: config.group.memoryQuotaItems,
          bytes: config.group.memoryQuotaBytes,
          windowMs: config.group.memoryQuotaWindowMs,
        },
        limits: sharedMemoryLimits({
          partBytes: config.group.memoryPartBytes,
          itemBytes: config.group.memoryItemBytes,
        }),
        sweepMs: options.memorySweepMs,
        audit,
        zones: membership.zones,
      });
      steps.push(["memory", () => memory.stop()]);
      const orchestrator = await startOrchestrator(config, mode, { agentId, member: membership });
      if (orchestrator !== undefined) steps.push(["orchestrator", () => orchestrator.stop()]);
      const scheduling = startScheduler(config, runtime, options);
      if (scheduling !== undefined) steps.push(scheduling);
      const delivery = new DeliveryWorker({
        store: runtime.timeline,
        deliver: options.deliver ?? noChannel,
        warn: (m) => options.say?.(m),
      });
      delivery.start();
      steps.push(["delivery", () => delivery.stop()]);
      return new Gateway({
        mode,
        agentId,
        group,
        kafka,
        runtime,
        membership,
        tasks,
        memory,
        orchestrator,
        sponsoring: sponsor !== undefined,
        transport: own,
        steps,
      });
    } catch (error) {
      await unwind();
      throw error;
    }
  }

  /**
   * Offers exactly `skills` from now on (config.json's group.skills changed): the consumers of
   * skills no longer offered stop, those of new ones start, and the skills' records say so.
   */
  offerSkills(skills: readonly string[]): Promise<SkillChange> {
    return this.tasks.skills.offer(skills);
  }

  /**
   * Stops in the reverse order of the start, within `timeoutMs` in all; resolves with the steps
   * that did not end in time (empty when all did). Stopping twice waits for the first stop.
   */
  stop(timeoutMs = STOP_TIMEOUT_MS): Promise<string[]> {
    return this.#stopped ??= stopAll(this.#steps, timeoutMs);
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
 * An agent's audit before it has joined its group: events are kept in `timeline` at once and
 * told on `observe.audit` once {@link observers} opens it with the member's sender.
 */
export function unopenedAudit(
  agentId: string,
  group: string,
  timeline: Pick<Timeline, "events">,
  say?: (line: string) => void,
): GroupAudit {
  return new GroupAudit({ agentId, group, events: timeline.events, warn: (m) => say?.(m) });
}

/**
 * What an agent's group observes with, once it is a member: its `audit` (unopenedAudit), opened
 * here with the member's signed sender, and its spans (stored in `timeline`, sent on the traces
 * topic, content only with `group.traceContent`, redacted of the configured secrets), returned.
 */
export function observers(
  config: ResolvedConfig,
  membership: Membership,
  timeline: Pick<Timeline, "groupTraces">,
  options: { readonly audit: GroupAudit; readonly say?: ((line: string) => void) | undefined },
): GroupSpans {
  const { agentId, group } = membership;
  const send = (records: Parameters<Membership["send"]>[0]) => membership.send(records);
  const warn = (m: string) => options.say?.(m);
  options.audit.open(send);
  const redactor = new SecretRedactor({ known: configuredSecrets(config) });
  const spans = new GroupSpans({
    agentId,
    group,
    send,
    store: timeline.groupTraces,
    content: config.group.traceContent,
    redact: (text) => redactor.redact(text).text,
    trust: membership.trust,
    warn,
  });
  return spans;
}

/** Runs each step's stop, last started first, each bounded by what is left of `timeoutMs`. */
async function stopAll(steps: Step[], timeoutMs: number): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  const late: string[] = [];
  for (const [name, stop] of steps.splice(0).reverse()) {
    // A step always gets a moment, so a late one still sends its last records.
    const left = Math.max(until - Date.now(), 250);
    if (!await bounded(stop(left), left)) late.push(name);
  }
  return late;
}

/**
 * The mode's transport: Kafka, or a broker in this process holding the group's topics.
 */
async function ownTransport(
  config: ResolvedConfig,
  kafka: boolean,
  agentId: string,
): Promise<Transport> {
  if (kafka) {
    const options = await kafkaOptionsFromConfig(config, { clientId: `kafclaw-${agentId}` });
    return new KafkaTransport(options);
  }
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs(config.group.name, { agentId }));
  return transport;
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

/** The agent's expertise score in each skill it offers and has used (core/memory, step 3). */
function skillScores(runtime: AgentRuntime, skills: readonly string[]): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const skill of skills) {
    const known = runtime.memory.expertise(skill);
    if (known !== undefined) scores[skill] = Math.round(known.score * 1000) / 1000;
  }
  return scores;
}

/** No channel runs in this gateway yet: a due delivery fails, and is tried again later. */
const noChannel: Deliver = (task) =>
  Promise.reject(new Error(`channel ${task.channel} does not run in this gateway`));
