/**
 * The gateway's task paths (core/group): tasks in and tasks out, wired to the agent.
 *
 * - In: a {@link TaskIntake} takes records from the group's requests topic (the shared group
 *   `kafclaw.<g>.workers`), from the work topics of the skills the agent offers (their shared
 *   groups `kafclaw.<g>.skill.<s>`, run by {@link Skills}) and from the agent's inbox; each task
 *   runs as a turn on session `task:<task_id>` through the agent's door.
 * - Out: a {@link Requester} follows the tasks the agent's `delegate_task` sends, and those
 *   `kafclaw task submit` queues in this home's store (looked for every 250 ms), choosing retries
 *   among the live members of the roster (`Membership.live()`) less those found gone
 *   ({@link GoneWorkers}: a lapsed lease, or gone from the roster since the last look, every
 *   250 ms too), whom it also takes off the skills' records.
 * - Both read the status stream and the responses topic; the spans of every agent are read from
 *   the traces topic on the same subscription and stored (core/group `GroupSpans`).
 * - Trust: in a signed group every record of that stream is verified before its handlers see it
 *   (core/group `senderChecked`), and the intake verifies each task and grant itself; every task
 *   subscription is behind the membership's guard (`TaskSideOptions.guard`), so a record whose
 *   signer's certificate has not arrived waits for it instead of being refused, and a fetched
 *   batch's signatures are checked together before its records come one by one.
 * - Zones: the same handlers read the topics of the zones the agent is a member of, while it is
 *   one (core/group `ZoneSubscriptions`, which puts them behind the same trust and guard itself).
 *
 * The agent's own consumer group `kafclaw.<g>.<agent_id>` already holds the membership's
 * heartbeats stream, so the task side reads through groups of its own beside it:
 * `kafclaw.<g>.<agent_id>.inbox` (work) and `kafclaw.<g>.<agent_id>.tasks` (stream). With the inbox
 * in the agent's own group, as PROTOCOL.md names it, the rebalance it caused left the heartbeats
 * consumer without its partitions now and then on the real broker: the roster emptied itself
 * (three of six runs of tests/integration/core/gateway; none since the groups are apart).
 *
 * {@link TaskSide.stop} takes the group's tools from the agent and no further task, gives the
 * attempts running half of the given time to end and answer (their records are committed), then
 * gives those still running up (declined, so their requesters send them on at once; their records
 * are left uncommitted, so they come again), closes the subscriptions and takes the agent off its
 * skills' records, within the given time.
 *
 * @module
 */
import type { AgentRuntime } from "../agent/mod.ts";
import { settleAll } from "../errors/mod.ts";
import {
  createZoneTopics,
  ensureSkillTopic,
  GoneWorkers,
  type GroupAudit,
  GroupDelegation,
  type GroupSpans,
  type HeardWorker,
  Requester,
  senderChecked,
  Skills,
  type SkillsMembership,
  TaskIntake,
  type TaskLimits,
  type Trust,
  type ZoneDirectory,
  zoneDroppedEvent,
  ZoneSubscriptions,
} from "../group/mod.ts";
import {
  agentConsumerGroup,
  agentInbox,
  deadLetterTopicFor,
  topicsFor,
  type TopicSpecOptions,
  workersConsumerGroup,
} from "../protocol/mod.ts";
import { QUEUE_FOLLOWED_AT } from "../timeline/mod.ts";
import { delegateTaskTool, groupMembersTool } from "../tools/mod.ts";
import {
  bounded,
  type OutboundRecord,
  type RecordHandler,
  type Subscription,
  type Transport,
} from "../transport/mod.ts";

/** How often tasks queued by `kafclaw task submit` in this home are looked for. */
const QUEUE_POLL_MS = 250;
/** How often at most `QUEUE_FOLLOWED_AT` (core/timeline) is written. */
const QUEUE_MARK_MS = 1_000;

/** What the task side is built from. */
export interface TaskSideOptions {
  readonly group: string;
  readonly agentId: string;
  readonly transport: Transport;
  readonly runtime: AgentRuntime;
  /** Checks senders (the membership's trust). */
  readonly trust: Trust;
  /**
   * Wraps each task subscription's handler (the membership's guard: records awaiting their
   * signer's certificate wait for it; a batch's signatures are checked together). Default: none.
   */
  readonly guard?: (handler: RecordHandler) => RecordHandler;
  /** Sends records (signed in a signed group). */
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  /** The live members (the roster's), whom retries and declined tasks go to. */
  readonly workers: { live(): readonly HeardWorker[] };
  /** The membership, which announces and records the skills the agent offers. */
  readonly membership: SkillsMembership;
  /** The skills offered at start (group.skills). */
  readonly skills: readonly string[];
  /** How new skill topics are made (partitions, replication). */
  readonly topics?: TopicSpecOptions;
  readonly heartbeatIntervalMs: number;
  /**
   * Depth, budget, deadline and clock skew of the tasks it takes and sends (group.maxDelegationDepth
   * and group.clockSkewMs); default the protocol's.
   */
  readonly limits?: TaskLimits;
  /** Silence after which a lease lapses; default the requester's. */
  readonly leaseMs?: number | undefined;
  /** Tasks run at once from each work subscription. */
  readonly concurrency: number;
  /** Tells the group what was dropped or refused. */
  readonly audit: GroupAudit;
  /** Records each task's steps as spans, and stores those read from the traces topic. */
  readonly spans: GroupSpans;
  /** The group's zones: the agent reads the topics of those it is a member of (zone_subscriptions.ts). */
  readonly zones?: ZoneDirectory;
  /**
   * The membership's start, when the side starts beside it (core/group `Membership.begin`): the
   * zones are first followed (those read when the agent last ran are asked for beside it), and
   * the requester started, once it has ended; its failure fails the side's start. Default:
   * started already.
   */
  readonly joined?: Promise<unknown>;
  /** Told after each join of a work group (the inbox's, the workers'), with the joins so far. */
  readonly onJoin?: (groupId: string, joins: number) => void;
  /**
   * Told, in one line, of a task whose turn failed here (the LLM refused, an error), and of what a
   * look at the tasks this agent follows could not do (Kafka out of reach).
   */
  readonly warn?: ((line: string) => void) | undefined;
}

/**
 * The subscription of an agent's task stream (`kafclaw.<g>.<agent_id>.tasks`): statuses and
 * responses to its requester, grants to its intake (when it works), spans to its store, each
 * record's sender checked first by `trust`, behind `guard` (see the module documentation).
 */
export function taskStream(
  group: string,
  agentId: string,
  to: {
    readonly requester: Requester;
    readonly intake?: TaskIntake;
    readonly spans: GroupSpans;
    readonly trust: Trust;
    readonly guard?: ((handler: RecordHandler) => RecordHandler) | undefined;
  },
): Parameters<Transport["subscribe"]>[0] {
  const topics = topicsFor(group);
  const guard = to.guard ?? ((handler: RecordHandler) => handler);
  return {
    kind: "stream",
    topics: [topics.tasksStatus, topics.responses, topics.traces],
    groupId: `${agentConsumerGroup(group, agentId)}.tasks`,
    handler: guard(senderChecked(to.trust, async (record) => {
      if (record.topic === topics.responses) return to.requester.handleResponse(record);
      if (record.topic === topics.traces) return await to.spans.handle(record);
      return await statusHandler(to)(record);
    })),
  };
}

/** The handler of a status stream: the requester's side, and the intake's grants. */
function statusHandler(
  to: { readonly requester: Requester; readonly intake?: TaskIntake },
): RecordHandler {
  return async (record) => {
    const [mine, grant] = await Promise.all([
      to.requester.handleStatus(record),
      to.intake?.handleStatus(record),
    ]);
    return mine ?? grant;
  };
}

/** The running task paths of one agent. */
export class TaskSide {
  readonly intake: TaskIntake;
  readonly requester: Requester;
  readonly skills: Skills;
  /** The subscriptions of the zones the agent is a member of, when it knows the zones. */
  zones: ZoneSubscriptions | undefined;
  /** The task stream's subscription, and the work subscriptions (the inbox's, the requests'). */
  readonly #streams: Subscription[] = [];
  readonly #work: Subscription[] = [];
  readonly #concurrency: number;
  readonly #group: string;
  #queue: ReturnType<typeof setInterval> | undefined;
  /** Takes the group's tools from the agent. */
  #untools: () => void = () => {};

  private constructor(
    intake: TaskIntake,
    requester: Requester,
    skills: Skills,
    concurrency: number,
    group: string,
  ) {
    this.#group = group;
    this.intake = intake;
    this.requester = requester;
    this.skills = skills;
    this.#concurrency = concurrency;
  }

  /** Starts reading tasks, statuses and responses, and gives the agent its group tools. */
  static async start(options: TaskSideOptions): Promise<TaskSide> {
    const { group, agentId, transport, runtime, send, trust } = options;
    const guard = options.guard ?? ((handler: RecordHandler) => handler);
    const interval = options.heartbeatIntervalMs;
    // Members found gone leave routing at once, and the skills' records (gone_workers.ts); the
    // side exists before the first look (its timer starts last).
    const workers = new GoneWorkers(options.workers, {
      onGone: (id) => void side.skills.drop(id).catch(() => {}),
    });
    const store = runtime.timeline.groupTasks;
    const requester = new Requester({
      agentId,
      group,
      send,
      store,
      workers,
      heartbeatIntervalMs: interval,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      audit: workers.lapses((id) => store.outgoing(id)?.workerId, options.audit.requester),
      spans: options.spans,
      ...(options.zones === undefined ? {} : { zones: options.zones }),
      statusCaughtUp: async (task) => !(await side.#statusesBehind(task)),
      ...(options.warn === undefined ? {} : { warn: options.warn }),
    });
    const limits = options.limits === undefined ? {} : { limits: options.limits };
    // The task stream's subscription, made beside the others; runs wait for it (see start below).
    const stream = Promise.withResolvers<boolean>();
    const intake = new TaskIntake({
      agentId,
      door: runtime.door,
      trust,
      send,
      ...limits,
      heartbeatIntervalMs: interval,
      ownRequest: (request) => requester.ownRequest(request),
      skillUsed: (use) => runtime.memory.recordSkillEvent(use),
      spans: options.spans,
      turns: runtime.timeline,
      audit: (event) => options.audit.record(event),
      worked: (task) => runtime.timeline.workedTasks.record(task),
      runsAfter: stream.promise,
      ...(options.warn === undefined ? {} : { warn: options.warn }),
    });
    const delegation = new GroupDelegation({
      ...limits,
      agentId,
      group,
      requester,
      workers,
      taskOf: (session) => intake.taskOf(session),
      ...(options.zones === undefined ? {} : { zones: options.zones }),
      skillTopic: (skill) => ensureSkillTopic(transport, { group, skill }, options.topics),
    });
    const tools = [delegateTaskTool(delegation), groupMembersTool(delegation)];
    runtime.tools.register(...tools);
    const skills = new Skills({
      membership: options.membership,
      transport,
      handler: guard(intake.handle),
      offered: (offered) => intake.offer(offered),
      concurrency: options.concurrency,
      ...(options.topics === undefined ? {} : { topics: options.topics }),
    });
    const side: TaskSide = new TaskSide(intake, requester, skills, options.concurrency, group);
    side.#untools = () => runtime.tools.unregister(...tools.map((t) => t.name));
    const topics = topicsFor(group);
    const own = agentConsumerGroup(group, agentId);
    const subscribe = async (o: Parameters<Transport["subscribe"]>[0]) => {
      const subscription = await transport.subscribe(o);
      (o.kind === "work" ? side.#work : side.#streams).push(subscription);
    };
    try {
      // Every subscription at once: each consumer group's join waits for the broker's
      // group.initial.rebalance.delay.ms (3 s unless set), so joins in turn add up. The task stream
      // must hold its place before a task taken here is claimed, or the grant could be appended
      // before it reads: the intake's runs wait for it (`runsAfter`), outside the executors.
      const madeStream = subscribe(
        taskStream(group, agentId, { requester, intake, spans: options.spans, trust, guard }),
      );
      madeStream.then(() => stream.resolve(true), () => stream.resolve(false));
      const work = ([
        [agentInbox(group, agentId), `${own}.inbox`],
        [topics.requests, workersConsumerGroup(group)],
      ] as const).map(([topic, groupId]) =>
        subscribe({
          kind: "work",
          topics: [topic],
          groupId,
          deadLetterTopic: deadLetterTopicFor(topic),
          handler: guard(intake.handle),
          concurrency: options.concurrency,
          onJoin: (joins) => options.onJoin?.(groupId, joins),
        })
      );
      if (options.zones !== undefined) {
        side.zones = new ZoneSubscriptions({
          group,
          agentId,
          transport,
          zones: options.zones,
          handlers: {
            requests: intake.handle,
            inbox: intake.handle,
            responses: requester.handleResponse,
            status: statusHandler({ requester, intake }),
            traces: (record) => options.spans.handle(record),
          },
          trust,
          guard,
          concurrency: options.concurrency,
          ensureTopics: (zoneId) => createZoneTopics(transport, { group, zoneId }, options.topics),
          refused: (dropped) => options.audit.record(zoneDroppedEvent(dropped)),
          remembered: runtime.timeline.settings,
        });
      }
      // The zone directory is read by the membership's start; the zones read when the agent
      // last ran are asked for beside it.
      const zones = side.zones;
      const joined = options.joined ?? Promise.resolve();
      // The join's failure first: it says what is wrong with the group (group_mode.ts).
      await settleAll([
        joined,
        madeStream,
        ...work,
        skills.offer(options.skills),
        zones?.start(joined),
      ]);
    } catch (error) {
      await side.stop(5_000);
      throw error;
    }
    requester.start();
    const settings = runtime.timeline.settings;
    let marked = 0;
    const mark = () => {
      if (Date.now() - marked < QUEUE_MARK_MS) return;
      marked = Date.now();
      settings.set(QUEUE_FOLLOWED_AT, new Date(marked).toISOString());
    };
    mark();
    side.#queue = setInterval(() => {
      requester.sendQueued().catch(() => {});
      workers.watch();
      try {
        mark();
      } catch {
        // The store closing under the timer: the next look, if any, marks it.
      }
    }, QUEUE_POLL_MS);
    return side;
  }

  /**
   * Whether the stream that carries `task`'s statuses and responses (the group's task stream, or
   * its zone's) has records appended to them that it has not read: the lag that keeps a lease
   * from lapsing (core/group leases.ts). Not reading them at all counts as behind, and so does a
   * measure that failed (the broker out of reach): no lease lapses on a lag not known.
   */
  async #statusesBehind(task: { readonly zone?: string | undefined }): Promise<boolean> {
    try {
      if (task.zone !== undefined) {
        return await (this.zones?.behind(task.zone, ["tasks.status", "responses"]) ?? true);
      }
      const [stream] = this.#streams;
      const { tasksStatus, responses } = topicsFor(this.#group);
      return await (stream?.behind([tasksStatus, responses]) ?? true);
    } catch {
      return true;
    }
  }

  /** Tasks running now and how many may run at once, for heartbeats. */
  load(): { running: number; capacity: number } {
    return { running: this.intake.running().length, capacity: this.#concurrency };
  }

  /** Stops within `timeoutMs`; see the module documentation. */
  async stop(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    clearInterval(this.#queue);
    this.#untools();
    this.requester.close();
    // The work subscriptions take no further task; the attempts running get half the time to
    // end, answer, and have their records committed. Those still running then are given up
    // (declined) and their records left uncommitted, so they come again.
    const grace = timeoutMs / 2;
    const giveUp = setTimeout(() => this.intake.stop(), grace);
    const work = Promise.allSettled([
      ...this.#work.splice(0).map((s) => s.close(grace)),
      this.zones?.close(grace),
      this.skills.close(grace).then(() => this.skills.withdraw()),
    ]);
    await bounded(work, timeoutMs);
    clearTimeout(giveUp);
    this.intake.stop();
    // The task stream last: the attempts finishing in the grace read their grants on it.
    const streams = Promise.allSettled(this.#streams.splice(0).map((s) => s.close()));
    await bounded(streams, Math.max(until - Date.now(), 250));
  }
}
