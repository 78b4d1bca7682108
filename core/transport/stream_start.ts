/**
 * Where a brand-new stream group starts reading, when it does not read from the beginning: at the
 * ends its topics have when {@link startAtEnds} runs, before the consumer joins, so that every
 * record produced once `subscribe()` has resolved is read.
 *
 * kafkajs resolves a group's missing offsets to "latest" only at the consumer's first fetch, after
 * `consumer.run()` has returned; what is produced in between (a claim answering the request the
 * agent sends as soon as it has subscribed, a task status while a loaded machine is slow to fetch)
 * was skipped, and a requester waited for its task's deadline. Committing the ends first gives the
 * consumer committed offsets to start from. Partitions the group has committed offsets for (a
 * restarted agent's stream) are left alone.
 *
 * @module
 */
import type { Admin } from "kafkajs";

/**
 * Commits, for `groupId`, the current end of every partition of `topics` that it has no committed
 * offset for. The group must have no live member (a stream group is one agent's own).
 */
export async function startAtEnds(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<void> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const { topic, partitions } of committed) {
    const missing = new Set(partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
    if (missing.size === 0) continue;
    const ends = await admin.fetchTopicOffsets(topic);
    const offsets = ends
      .filter((p) => missing.has(p.partition))
      .map((p) => ({ partition: p.partition, offset: p.high }));
    if (offsets.length > 0) await admin.setOffsets({ groupId, topic, partitions: offsets });
  }
}
