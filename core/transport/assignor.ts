/**
 * The partition assignor every member of a shared group offers, under the protocol name
 * `roundrobin` that the Java client, kafka-python and franz-go give theirs, so that members written
 * in other languages can join the group whoever leads it (PROTOCOL.md, semantics 1).
 *
 * It assigns as the Java client's RoundRobinAssignor does: every partition of every topic some
 * member subscribes to, topics in name order and partitions in number order, each to the next
 * member (in member id order, circularly) that subscribes to its topic. kafkajs's own round-robin
 * assigner hands every member partitions of the leader's topics, subscribed or not.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";
import type { PartitionAssigner } from "kafkajs";
import { readSubscription } from "./member_metadata.ts";

const { AssignerProtocol } = kafkajs;
const NO_USER_DATA = Buffer.alloc(0);

/** The protocol name of the assignor. */
export const ROUND_ROBIN = "roundrobin";

/** Topic -> partition numbers, per member id. */
export type Assignment = Map<string, Record<string, number[]>>;

/**
 * Assigns partitions round-robin, each only to members that subscribe to its topic.
 *
 * @example
 * ```ts
 * import { assignRoundRobin } from "./assignor.ts";
 * const plan = assignRoundRobin(
 *   new Map([["b", ["requests"]], ["a", ["requests", "skill"]]]),
 *   new Map([["requests", 3], ["skill", 1]]),
 * );
 * plan.get("a"); // { requests: [0, 2], skill: [0] }
 * ```
 */
export function assignRoundRobin(
  subscriptions: ReadonlyMap<string, readonly string[]>,
  partitionCounts: ReadonlyMap<string, number>,
): Assignment {
  const members = [...subscriptions.keys()].sort();
  const plan: Assignment = new Map(members.map((m) => [m, {}]));
  const topics = [...new Set([...subscriptions.values()].flat())].sort();
  let next = 0;
  for (const topic of topics) {
    const count = partitionCounts.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) {
      // Someone subscribes to every topic in the list, so this ends within one round.
      while (!subscriptions.get(members[next % members.length]!)!.includes(topic)) next++;
      const owner = plan.get(members[next % members.length]!)!;
      (owner[topic] ??= []).push(partition);
      next++;
    }
  }
  return plan;
}

/** The kafkajs form of the assignor; see the module documentation. */
export const roundRobinAssigner: PartitionAssigner = roundRobinAssignerWith(NO_USER_DATA);

/**
 * The assignor whose members send `userData` with their subscription (the transport's run tag,
 * run_tag.ts); other members ignore it, as the Java client's round-robin does.
 */
export function roundRobinAssignerWith(userData: Uint8Array): PartitionAssigner {
  const sent = Buffer.from(userData);
  return ({ cluster }) => ({
    name: ROUND_ROBIN,
    version: 0,
    async assign({ members }) {
      // A member whose metadata does not decode subscribes to nothing and gets nothing.
      const topics = new Map(members.map((m) => [m.memberId, subscribedTopics(m.memberMetadata)]));
      const wanted = [...new Set([...topics.values()].flat())];
      // A member may subscribe to topics the leader does not read: learn their partitions too.
      await cluster.addMultipleTargetTopics(wanted);
      let counts = new Map(wanted.map((t) => [t, partitionsOf(cluster, t)]));
      // Metadata read just after a topic was made may not list its partitions yet: a plan made from
      // it would give nobody that topic until the next rebalance. Ask again, briefly, first.
      for (let i = 1; i <= 3 && [...counts.values()].some((n) => n === 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100 * i));
        await cluster.refreshMetadata().catch(() => {});
        counts = new Map(wanted.map((t) => [t, partitionsOf(cluster, t)]));
      }
      const plan = assignRoundRobin(topics, counts);
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: plan.get(m.memberId)!,
          userData: NO_USER_DATA,
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: ROUND_ROBIN,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: sent,
        }),
      };
    },
  });
}

/**
 * The topics a member subscribes to, as its metadata says (member_metadata.ts: another client
 * wrote it); metadata that does not read as a subscription subscribes to nothing.
 */
export function subscribedTopics(metadata: Uint8Array | null | undefined): string[] {
  return readSubscription(metadata)?.topics ?? [];
}

function partitionsOf(
  cluster: { findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }> },
  topic: string,
): number {
  try {
    return cluster.findTopicPartitionMetadata(topic).length;
  } catch {
    return 0;
  }
}
