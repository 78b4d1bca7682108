/**
 * A gateway's part in its group, started and stopped as one unit: {@link GroupSide.start} begins
 * a fresh membership's join (core/group `beginJoin`: roster, announce, heartbeats), opens the
 * audit and the spans on it, and starts beside the join the task paths (tasks.ts: intake,
 * requester, skills, zone subscriptions, the `delegate_task` and `group_members` tools), the shared
 * memory (shared_memory.ts, the `share_memory` tool) and, in the home holding the owner key, the
 * sponsor of newcomers (core/group `sponsorFrom`); then the orchestrator's node when the mode runs
 * one. {@link GroupSide.stop} stops them last started first, the membership's signed `leave` last,
 * and takes the group's tools from the agent.
 *
 * A membership closes for good once it has left, so a gateway that leaves its group
 * (`POST /api/v1/group/leave`) and joins again starts a new side; nothing of the old one is
 * reused.
 *
 * @module
 */
import type { AgentRuntime } from "../agent/mod.ts";
import type { Mode, ResolvedConfig } from "../config/mod.ts";
import {
  beginJoin,
  DEFAULT_TASK_LIMITS,
  LEAVE_TIMEOUT_MS,
  type Membership,
  memberTopicOptions,
  sharedMemoryLimits,
  sponsorFrom,
  watchPoison,
} from "../group/mod.ts";
import { type Orchestrator, startOrchestrator } from "../orchestrator/mod.ts";
import type { Subscription, Transport } from "../transport/mod.ts";
import { startAll, type Step, stopAll } from "./_steps.ts";
import { observers, unopenedAudit } from "./observers.ts";
import { SharedMemorySide } from "./shared_memory.ts";
import { TaskSide, type TaskSideOptions } from "./tasks.ts";

/** What a group side is started from: the gateway's parts that outlive it. */
export interface GroupSideOptions {
  readonly config: ResolvedConfig;
  readonly mode: Mode;
  readonly agentId: string;
  /** Whether the group runs over Kafka (else in this process, unsigned). */
  readonly kafka: boolean;
  readonly runtime: AgentRuntime;
  /** The gateway's transport, which the side uses and never closes. */
  readonly transport: Transport;
  /** The skills to offer (group.skills, or what the gateway was last told to offer). */
  readonly skills: readonly string[];
  /** Tasks run at once from each work subscription. */
  readonly concurrency: number;
  readonly leaseMs?: number | undefined;
  readonly memorySweepMs?: number | undefined;
  readonly say?: ((line: string) => void) | undefined;
  readonly onJoin?: TaskSideOptions["onJoin"];
  /** Told when the owner revokes this agent while it runs (membership.ts `onRevoked`). */
  readonly onRevoked?: ((line: string) => void) | undefined;
}

/** A running part of a group; see the module documentation. */
export class GroupSide {
  readonly membership: Membership;
  readonly tasks: TaskSide;
  readonly memory: SharedMemorySide;
  /** The node of the orchestrator's hierarchy, when the mode runs one. */
  readonly orchestrator: Orchestrator | undefined;
  /** Whether this home's sponsor lets newcomers in. */
  readonly sponsoring: boolean;
  readonly #steps: Step[];
  readonly #left: { readonly told?: boolean };
  #stopped: Promise<string[]> | undefined;

  private constructor(fields: {
    membership: Membership;
    tasks: TaskSide;
    memory: SharedMemorySide;
    orchestrator: Orchestrator | undefined;
    sponsoring: boolean;
    steps: Step[];
    left: { readonly told?: boolean };
  }) {
    this.membership = fields.membership;
    this.tasks = fields.tasks;
    this.memory = fields.memory;
    this.orchestrator = fields.orchestrator;
    this.sponsoring = fields.sponsoring;
    this.#steps = fields.steps;
    this.#left = fields.left;
  }

  /**
   * Whether the group was told that this agent left: false until the side has stopped, and when
   * the leave could not be sent or not in time.
   */
  get told(): boolean {
    return this.#left.told === true;
  }

  /** Joins and starts every part; on a failure, what started is stopped again and it throws. */
  static async start(options: GroupSideOptions): Promise<GroupSide> {
    const { config, agentId, runtime, kafka, concurrency, say } = options;
    const group = config.group.name;
    const steps: Step[] = [];
    try {
      // The audit takes events from the start; they reach the group once it has joined.
      const audit = unopenedAudit(agentId, group, runtime.timeline, say);
      const transport = watchPoison(options.transport, audit.poison, audit.undecodable);
      // Heartbeats tell the load of the task side, which starts beside the membership.
      const started: { tasks?: TaskSide } = {};
      // The join begins; every other part starts beside it (their records held until it ends).
      const membership = await beginJoin(config, {
        agentId,
        transport,
        timeline: runtime.timeline,
        ...(kafka ? {} : { security: "open" as const }),
        load: () => started.tasks?.load() ?? { running: 0, capacity: concurrency },
        expertise: () => skillScores(runtime, started.tasks?.skills.offered() ?? []),
        onDropped: audit.dropped,
        ...(say === undefined ? {} : { warn: say, onAsking: say }),
        ...(options.onRevoked === undefined ? {} : { onRevoked: options.onRevoked }),
      });
      const left: { told?: boolean } = {};
      steps.push(["group", async (ms) => {
        left.told = await membership.leave(Math.min(ms, LEAVE_TIMEOUT_MS));
      }]);
      const spans = observers(config, membership, runtime.timeline, { audit, say });
      // Stopped after the task side (steps stop last first): the spans its stop ended go out.
      steps.push(["spans", () => spans.flush()]);
      // The task side, the shared memory and the sponsor (in the owner's home) start beside the
      // membership's join, each joining its consumer groups while the others do (a broker holds
      // every new group back for group.initial.rebalance.delay.ms, 3 s unless set). Their records
      // wait for the membership's start; what needs the state it reads (the zones, the skills'
      // records) waits for it too (the zones read when the agent last ran join beside it), and
      // its failure fails them. What started is stopped on a failure.
      const [tasks, memory, sponsor] = await startAll<
        [TaskSide, SharedMemorySide, Subscription | undefined]
      >(
        steps,
        [
          "tasks",
          TaskSide.start({
            group,
            agentId,
            transport,
            runtime,
            trust: membership.trust,
            guard: (handler) => membership.guard(handler),
            send: (records) => membership.send(records),
            workers: { live: () => membership.live() },
            membership,
            zones: membership.zones,
            skills: options.skills,
            topics: memberTopicOptions(config),
            heartbeatIntervalMs: config.group.heartbeatIntervalMs,
            limits: {
              ...DEFAULT_TASK_LIMITS,
              maxDepth: config.group.maxDelegationDepth,
              clockSkewMs: config.group.clockSkewMs,
            },
            leaseMs: options.leaseMs ?? config.group.leaseMs,
            concurrency,
            audit,
            spans,
            ...(options.onJoin === undefined ? {} : { onJoin: options.onJoin }),
            warn: say,
            joined: membership.started,
          }),
          (tasks) => {
            started.tasks = tasks;
            return (ms) => tasks.stop(ms);
          },
        ],
        [
          "memory",
          SharedMemorySide.start({
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
            joined: membership.started,
          }),
          (memory) => () => memory.stop(),
        ],
        [
          "sponsor",
          sponsorFrom(config, membership, {
            transport,
            timeline: runtime.timeline,
            onRejected: audit.rejected,
          }),
          (sponsor) => async () => await sponsor?.close(),
        ],
      );
      const orchestrator = await startOrchestrator(config, options.mode, {
        agentId,
        member: membership,
        warn: say,
      });
      if (orchestrator !== undefined) steps.push(["orchestrator", () => orchestrator.stop()]);
      return new GroupSide({
        membership,
        tasks,
        memory,
        orchestrator,
        sponsoring: sponsor !== undefined,
        steps,
        left,
      });
    } catch (error) {
      await stopAll(steps, LEAVE_TIMEOUT_MS);
      throw error;
    }
  }

  /**
   * Stops within `timeoutMs`, leaving the group; resolves with the parts that did not end in
   * time. Stopping twice waits for the first stop.
   */
  stop(timeoutMs: number): Promise<string[]> {
    return this.#stopped ??= stopAll(this.#steps, timeoutMs);
  }
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
