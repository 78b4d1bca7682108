/**
 * A requester for one command's life: `kafclaw task submit --wait` where no gateway runs in the
 * KAFCLAW_HOME. It joins the group as the home's agent with no capacity (so nobody sends it work,
 * and it reads no work topic: PROTOCOL.md keeps those for long-lived agents), follows its task on
 * the agent's task stream as the gateway would (grants, leases, retries, spans, audit), and leaves
 * the group when the command ends.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { joinGroup, LEAVE_TIMEOUT_MS, type Membership, Requester } from "../group/mod.ts";
import type { Timeline } from "../timeline/mod.ts";
import type { Subscription, Transport } from "../transport/mod.ts";
import { observers, unopenedAudit } from "./gateway.ts";
import { taskStream } from "./tasks.ts";

/** A requester that runs while one command does; see the module documentation. */
export class OneShotRequester implements AsyncDisposable {
  readonly requester: Requester;
  readonly #membership: Membership;
  readonly #stream: Subscription;

  private constructor(requester: Requester, membership: Membership, stream: Subscription) {
    this.requester = requester;
    this.#membership = membership;
    this.#stream = stream;
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
    const { membership, sponsor } = await joinGroup(config, {
      agentId,
      transport,
      timeline,
      load: () => ({ running: 0, capacity: 0 }),
      onDropped: audit.dropped,
    });
    // Newcomers are sponsored by the owner's long-lived agent, not by one command.
    await sponsor?.close();
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
    });
    let stream: Subscription;
    try {
      stream = await transport.subscribe(
        taskStream(config.group.name, agentId, {
          requester,
          spans,
          trust: membership.trust,
          guard: (handler) => membership.guard(handler),
        }),
      );
    } catch (error) {
      await membership.leave();
      throw error;
    }
    requester.start();
    return new OneShotRequester(requester, membership, stream);
  }

  /** Stops following (unfinished tasks stay stored) and leaves the group. */
  async stop(): Promise<void> {
    this.requester.close();
    await this.#stream.close();
    await this.#membership.leave(LEAVE_TIMEOUT_MS);
  }

  /** Stops. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
