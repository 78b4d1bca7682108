/**
 New topics, through a broker that has not taken them in yet. kafkajs's own wait
 * (`createTopics({waitForLeaders: true})`) gives up when a KRaft broker briefly answers "does not
 * host this topic-partition" right after the topic is created, so a create that succeeded reads as
 * a failure, and its `fetchTopicOffsets` gives up on a passing "not the leader". These wait and ask
 * again until a deadline, then say what they last saw.
 *
 * @module
 */
import type { Admin } from "kafkajs";

/** Resolves once every partition of `topics` has a leader; throws after `timeoutMs`. */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no metadata yet";
  while (Date.now() < deadline) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const waiting = meta.filter((t) =>
        t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)
      );
      if (meta.length === topics.length && waiting.length === 0) return;
      last = `no leader yet for ${waiting.map((t) => t.name).join(", ")}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Topics created but without leaders after ${timeoutMs} ms: ${last}`);
}

/**
 * A topic's offsets (kafkajs's `fetchTopicOffsets`), asked again while the broker's refusal is a
 * passing one: a partition made a moment ago may answer "not the leader" until the broker has
 * taken in its own leadership, and kafkajs gives up on that at once.
 */
export function topicOffsets(
  admin: Admin,
  topic: string,
  timeoutMs = 15_000,
): ReturnType<Admin["fetchTopicOffsets"]> {
  return askedAgain(() => admin.fetchTopicOffsets(topic), timeoutMs);
}

/**
 * Where each partition of a topic has its first record since `time` (kafkajs's
 * `fetchTopicOffsetsByTimestamp`: its end where it has none), asked again as {@link topicOffsets}.
 */
export function topicOffsetsSince(
  admin: Admin,
  topic: string,
  time: number,
  timeoutMs = 15_000,
): ReturnType<Admin["fetchTopicOffsetsByTimestamp"]> {
  return askedAgain(() => admin.fetchTopicOffsetsByTimestamp(topic, time), timeoutMs);
}

/** What `ask` answers, asked again every 100 ms while kafkajs calls its refusal retriable. */
async function askedAgain<T>(ask: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      return await ask();
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() >= deadline) {
        throw error;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
