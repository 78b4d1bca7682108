/**
 * A requester for one command's life: `kafclaw task submit --wait` where no gateway runs in the
 * KAFCLAW_HOME. It joins the group as the home's agent with no capacity (so nobody sends it work,
 * and it reads no work topic: PROTOCOL.md keeps those for long-lived agents), follows its task on
 * the agent's task stream (and a zone's task on the zone's streams) as the gateway would (grants,
 * leases, retries, spans, audit), and leaves
 * the group when the command ends.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import {
  beginJoin,
  type GroupSpans,
  LEAVE_TIMEOUT_MS,
  type Membership,
  Requester,
  ZoneSubscriptions,
} from "../group/mod.ts";
import type { Timeline } from "../timeline/mod.ts";
import type { Subscription, Transport } from "../transport/mod.ts";
import { observers, unopenedAudit } from "./observers.ts";
import { taskStream } from "./tasks.ts";

/** A requester that runs while one command does; see the module documentation. */
export class OneShotRequester implements AsyncDisposable {
  readonly requester: Requester;
  readonly #membership: Membership;
  readonly #stream: Subscription;
  readonly #zones: ZoneSubscriptions;
  readonly #spans: GroupSpans;

  private constructor(
    requester: Requester,
    membership: Membership,
    streams: { readonly stream: Subscription; readonly zones: ZoneSubscriptions },
    spans: GroupSpans,
  ) {
    this.requester = requester;
    this.#membership = membership;
    this.#stream = streams.stream;
    this.#zones = streams.zones;
    this.#spans = spans;
  }

  /** Joins the group as `agentId` and starts following tasks. */
  static async start(
    config: ResolvedConfig,
    options: {
      readonly agentId: string;
      readonly transport: Transport;
      readonly timeline: Timeline;
    },
  ): Promise<OneShotRequester> {
    const { agentId, transport, timeline } = options;
    const audit = unopenedAudit(agentId, config.group.name, timeline);
    // The join begins, and the task stream's beside it (its records wait for the membership).
    // Newcomers are sponsored by the owner's long-lived agent, not by one command.
    const membership = await beginJoin(config, {
      agentId,
      transport,
      timeline,
      load: () => ({ running: 0, capacity: 0 }),
      onDropped: audit.dropped,
    });
    const spans = observers(config, membership, timeline, { audit });
    const requester = new Requester({
      agentId,
      group: config.group.name,
      send: (records) => membership.send(records),
      store: timeline.groupTasks,
      workers: { live: () => membership.live() },
      heartbeatIntervalMs: config.group.heartbeatIntervalMs,
      audit: audit.requester,
      spans,
      zones: membership.zones,
    });
    // A zone's task is followed on its zone's streams, read while the agent is a member.
    const zones = new ZoneSubscriptions({
      group: config.group.name,
      agentId,
      transport,
      zones: membership.zones,
      handlers: {
        responses: requester.handleResponse,
        status: requester.handleStatus,
        traces: (record) => spans.handle(record),
      },
      trust: membership.trust,
      guard: (handler) => membership.guard(handler),
      concurrency: 1,
      streamGroup: "one-shot",
      remembered: timeline.settings,
    });
    // The task stream joins beside the membership, and so do the streams of the zones read when
    // the agent last ran, the others' once it has read the zone directory (each join waits for
    // the broker's group.initial.rebalance.delay.ms, 3 s unless set). A failed join fails the
    // start here.
    const [stream, followed] = await Promise.allSettled([
      transport.subscribe(
        taskStream(config.group.name, agentId, {
          requester,
          spans,
          trust: membership.trust,
          guard: (handler) => membership.guard(handler),
        }),
      ),
      zones.start(membership.started),
    ]);
    if (stream.status === "rejected" || followed.status === "rejected") {
      await Promise.allSettled([stream.status === "fulfilled" && stream.value.close()]);
      await zones.close();
      await membership.leave();
      // The join's failure first: it says what is wrong with the group (group_mode.ts).
      throw followed.status === "rejected"
        ? followed.reason
        : (stream as PromiseRejectedResult).reason;
    }
    requester.start();
    return new OneShotRequester(requester, membership, { stream: stream.value, zones }, spans);
  }

  /** Stops following (unfinished tasks stay stored), sends its last spans, leaves the group. */
  async stop(): Promise<void> {
    this.requester.close();
    await this.#spans.flush();
    await this.#stream.close();
    await this.#zones.close();
    await this.#membership.leave(LEAVE_TIMEOUT_MS);
  }

  /** Stops. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
