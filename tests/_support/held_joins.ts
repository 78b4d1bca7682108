/**
 * Joins held back, as a broker's group.initial.rebalance.delay.ms holds each new consumer group:
 * tests of parts that must ask for their groups together, not one after another.
 */
import { createZoneTopics, memberTopicSpecs, zoneRecord } from "../../core/group/mod.ts";
import {
  MemoryBroker,
  MemoryTransport,
  type Subscription,
  type Transport,
} from "../../core/transport/mod.ts";

/**
 * From now on, `transport`'s subscriptions to the consumer groups in `held` wait for `release`
 * of their group (or of all). `made` has every group asked for, with its subscription once made.
 */
export function holdJoins(transport: Transport, held: readonly string[]) {
  const releases = new Map(held.map((id) => [id, Promise.withResolvers<void>()]));
  const made = new Map<string, Subscription | undefined>();
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = async (options) => {
    made.set(options.groupId, undefined);
    await releases.get(options.groupId)?.promise;
    const subscription = await subscribe(options);
    made.set(options.groupId, subscription);
    return subscription;
  };
  return {
    made,
    /** Whether `groupId` was asked for and is not made yet. */
    waits: (groupId: string) => made.has(groupId) && made.get(groupId) === undefined,
    /** What each group asked for is now: for a failed wait's message. */
    state: () => [...made].map(([id, s]) => `${id}: ${s ? "made" : "asked"}`),
    /** Lets the joins of `groupId` (default: of every held group) end. */
    release: (groupId?: string) => {
      for (const [id, release] of releases) {
        if (groupId === undefined || id === groupId) release.resolve();
      }
    },
  };
}

/**
 * Open group `group`'s topics on a new in-process broker, with zone lab (owned by boss) listing
 * ann: the broker, and a transport on it that made them.
 */
export async function groupWithLab(group: string) {
  const broker = new MemoryBroker();
  const setUp = new MemoryTransport({ broker });
  await setUp.createTopics(memberTopicSpecs(group, { workPartitions: 3 }));
  await createZoneTopics(setUp, { group, zoneId: "lab" });
  await setUp.produce([zoneRecord(group, "boss", {
    zone_id: "lab",
    name: "Lab",
    visibility: "private",
    owner_id: "boss",
    parent_zone: "",
    members: ["ann"],
    created_at: "2026-12-05T04:00:00.000Z",
  })]);
  return { broker, setUp };
}
