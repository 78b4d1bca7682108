/**
 * Reading topics whole, as far as they reach when the read begins, through a per-run group that
 * commits nothing (as a state topic is read): for those who look back at a group without running
 * in it (topic_reader.ts, roster_feed.ts `readRoster`).
 *
 * @module
 */
import { type RecordHandler, TopicMissingError, type Transport } from "../transport/mod.ts";
import { afterGate } from "./_gate.ts";

/**
 * Reads every record `topics` hold now, handing each to `handler`: the topics' records interleave,
 * each partition's in order. They are read through one group: a broker keeps a new group waiting
 * for `group.initial.rebalance.delay.ms` (3 s unless set) before its first assignment, so a group
 * per topic would pay that once per topic. Those of `optional` that do not exist (an agent's inbox:
 * made when it joins, deleted by `group gc`) hold nothing; any other missing topic is a
 * {@link TopicMissingError}.
 */
export async function readWhole(
  transport: Transport,
  topics: readonly string[],
  groupId: string,
  handler: RecordHandler,
  optional: readonly string[] = [],
): Promise<void> {
  let reading = [...new Set(topics)];
  while (reading.length > 0) {
    let subscription;
    try {
      subscription = await transport.subscribe({
        kind: "state",
        topics: reading,
        groupId,
        handler,
      });
    } catch (error) {
      const missing = error instanceof TopicMissingError ? error.topic : undefined;
      if (missing === undefined || !optional.includes(missing) || !reading.includes(missing)) {
        throw error;
      }
      reading = reading.filter((topic) => topic !== missing);
      continue;
    }
    try {
      await subscription.caughtUp();
    } finally {
      await subscription.close();
    }
    return;
  }
}

/**
 * {@link readWhole}, begun while `first` (the read of the certificates these records are verified
 * by) still runs: both consumer groups join at once, so a broker's join delay is waited for once,
 * and the records wait for `first` to end ({@link afterGate}). Resolves with `first`'s value;
 * throws what either threw (records are passed over when `first` failed).
 */
export async function readWholeAfter<T>(
  first: Promise<T>,
  transport: Transport,
  topics: readonly string[],
  groupId: string,
  handler: RecordHandler,
  optional: readonly string[] = [],
): Promise<T> {
  const opened = first.then(() => true, () => false);
  const reading = readWhole(transport, topics, groupId, afterGate(opened, handler), optional);
  const [done, read] = await Promise.allSettled([first, reading]);
  if (done.status === "rejected") throw done.reason;
  if (read.status === "rejected") throw read.reason;
  return done.value;
}
