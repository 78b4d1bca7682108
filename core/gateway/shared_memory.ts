/**
 * The gateway's shared memory (core/group {@link SharedMemory}): the agent's `share_memory` tool,
 * the reader of `memory.shared` and `memory.context` through the agent's own stream group
 * `kafclaw.<g>.<agent_id>.memory` (from the beginning when the group is new, so a newcomer indexes
 * what was shared before it came; records awaiting their signer's certificate wait for it), the
 * parts of items kept in the timeline until all have come (restored at start), and a sweep on a
 * timer that deletes the context items that expired.
 *
 * Zones' memory topics are read too, of each zone the agent is a member of, while it is one
 * (core/group `ZoneSubscriptions`, through `kafclaw.<g>.<agent_id>.zone-memory.<z>`): an item
 * there is indexed in that zone (its topic's).
 *
 * @module
 */
import type { AgentRuntime } from "../agent/mod.ts";
import {
  type GroupAudit,
  type Membership,
  type MemoryQuota,
  SharedMemory,
  type SharedMemoryLimits,
  type ZoneDirectory,
  zoneDroppedEvent,
  ZoneSubscriptions,
} from "../group/mod.ts";
import { agentConsumerGroup, topicsFor } from "../protocol/mod.ts";
import { shareMemoryTool } from "../tools/mod.ts";
import type { Subscription, Transport } from "../transport/mod.ts";

/** How often expired memories are swept by default. */
export const MEMORY_SWEEP_MS = 30_000;

/** What the shared memory side is built from. */
export interface SharedMemorySideOptions {
  readonly group: string;
  readonly agentId: string;
  readonly transport: Transport;
  readonly runtime: AgentRuntime;
  readonly membership: Pick<Membership, "send" | "trust" | "guard">;
  /** Each author's quota (config `group.memoryQuota*`). */
  readonly quota: MemoryQuota;
  /** Sizes of parts and items (config `group.memoryPartBytes`, `group.memoryItemBytes`). */
  readonly limits: SharedMemoryLimits;
  /** Default {@link MEMORY_SWEEP_MS}. */
  readonly sweepMs?: number | undefined;
  /** Where refusals are told to the group (its audit topic), beside this agent's timeline. */
  readonly audit?: Pick<GroupAudit, "publish" | "record"> | undefined;
  /** The group's zones: the memory topics of those the agent is a member of are read too. */
  readonly zones?: ZoneDirectory | undefined;
  /**
   * The membership's start, when the side starts beside it: the zones are first followed once it
   * has ended (it reads the zone directory). Default: started already.
   */
  readonly joined?: Promise<unknown>;
}

/** The running shared memory of one agent. */
export class SharedMemorySide {
  readonly shared: SharedMemory;
  readonly #subscription: Subscription;
  readonly #zones: ZoneSubscriptions | undefined;
  readonly #timer: ReturnType<typeof setInterval>;
  /** Takes the `share_memory` tool from the agent. */
  #untool: () => void = () => {};

  private constructor(
    shared: SharedMemory,
    subscriptions: { all: Subscription; zones: ZoneSubscriptions | undefined },
    sweepMs: number,
  ) {
    this.shared = shared;
    this.#subscription = subscriptions.all;
    this.#zones = subscriptions.zones;
    this.#timer = setInterval(() => shared.sweep(), sweepMs);
  }

  /** Starts reading the memory topics and gives the agent its `share_memory` tool. */
  static async start(options: SharedMemorySideOptions): Promise<SharedMemorySide> {
    const { group, agentId, runtime, membership } = options;
    const timeline = runtime.timeline;
    const shared = new SharedMemory({
      group,
      agentId,
      send: (records) => membership.send(records),
      trust: membership.trust,
      memory: runtime.memory,
      quota: options.quota,
      limits: options.limits,
      parts: timeline.memoryParts,
      audit: (refusal) => {
        const detail = `refused memory item ${refusal.itemId ?? "(unreadable)"}: ${refusal.detail}`;
        timeline.events.record({
          kind: "GROUP",
          sender: refusal.authorId,
          contentText: detail,
          metadata: {
            event_type: refusal.eventType,
            topic: refusal.topic,
            ...(refusal.itemId === undefined ? {} : { item_id: refusal.itemId }),
          },
        });
        options.audit?.publish({
          // PROTOCOL.md's audit types have none for a valid item not taken: a policy decision.
          eventType: refusal.eventType === "poison_record" ? "poison_record" : "policy_decision",
          ...(refusal.eventType === "poison_record" ? {} : { decision: refusal.eventType }),
          agentId: refusal.authorId,
          detail,
          topic: refusal.topic,
        });
      },
    });
    await shared.restore();
    const topics = topicsFor(group);
    const reading = options.transport.subscribe({
      kind: "stream",
      topics: [topics.memoryShared, topics.memoryContext],
      groupId: `${agentConsumerGroup(group, agentId)}.memory`,
      fromBeginning: true,
      handler: membership.guard(shared.handle),
    });
    const zones = options.zones && new ZoneSubscriptions({
      group,
      agentId,
      transport: options.transport,
      zones: options.zones,
      handlers: { memory: shared.handle },
      trust: membership.trust,
      guard: (handler) => membership.guard(handler),
      concurrency: 1,
      streamGroup: "zone-memory",
      refused: (dropped) => options.audit?.record(zoneDroppedEvent(dropped)),
      remembered: timeline.settings,
    });
    // The zones' reads join beside the group's (each join waits for the broker's join delay):
    // those read when the agent last ran at once, the others once the membership's start has
    // read the zone directory.
    const joined = options.joined ?? Promise.resolve();
    const [all, followed] = await Promise.allSettled([reading, zones?.start(joined)]);
    if (all.status === "rejected" || followed.status === "rejected") {
      await Promise.allSettled([all.status === "fulfilled" && all.value.close(), zones?.close()]);
      throw all.status === "rejected" ? all.reason : (followed as PromiseRejectedResult).reason;
    }
    const subscription = all.value;
    shared.sweep();
    const tool = shareMemoryTool(shared);
    runtime.tools.register(tool);
    const sweepMs = options.sweepMs ?? MEMORY_SWEEP_MS;
    const side = new SharedMemorySide(shared, { all: subscription, zones }, sweepMs);
    side.#untool = () => runtime.tools.unregister(tool.name);
    return side;
  }

  /** Takes the `share_memory` tool from the agent, and stops the sweep and the reader. */
  async stop(): Promise<void> {
    this.#untool();
    clearInterval(this.#timer);
    this.#subscription.pause();
    await Promise.allSettled([this.#subscription.close(), this.#zones?.close()]);
  }
}
