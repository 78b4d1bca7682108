/**
 * Reading topics whole, as far as they reach when the read begins, through a per-run group that
 * commits nothing (as a state topic is read): for those who look back at a group without running
 * in it (topic_reader.ts, roster_feed.ts `readRoster`).
 *
 * @module
 */
import { type RecordHandler, TopicMissingError, type Transport } from "../transport/mod.ts";

/**
 * Reads every record `topics` hold now, one topic after the other, handing each to `handler`.
 * Those of `optional` that do not exist (an agent's inbox: made when it joins, deleted by
 * `group gc`) hold nothing; any other missing topic is a {@link TopicMissingError}.
 */
export async function readWhole(
  transport: Transport,
  topics: readonly string[],
  groupId: string,
  handler: RecordHandler,
  optional: readonly string[] = [],
): Promise<void> {
  for (const topic of topics) {
    let subscription;
    try {
      subscription = await transport.subscribe({
        kind: "state",
        topics: [topic],
        groupId,
        handler,
      });
    } catch (error) {
      if (error instanceof TopicMissingError && optional.includes(error.topic)) continue;
      throw error;
    }
    try {
      await subscription.caughtUp();
    } finally {
      await subscription.close();
    }
  }
}
