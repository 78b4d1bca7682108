/**
 * Reading topics whole, as far as they reach when the read begins (the transport's `readWhole`:
 * on Kafka without a consumer group): for those who look back at a group without running in it
 * (topic_reader.ts, roster_feed.ts `readRoster`, task_log.ts, sightings.ts).
 *
 * @module
 */
import { type RecordHandler, TopicMissingError, type Transport } from "../transport/mod.ts";
import { afterGate } from "./_gate.ts";

/**
 * Reads every record `topics` hold now, handing each to `handler`: the topics' records interleave,
 * each partition's in order. `groupId` names the per-run group of a transport that reads through
 * one (in process). Those of `optional` that do not exist (an agent's inbox: made when it joins,
 * deleted by `group gc`) hold nothing; any other missing topic is a {@link TopicMissingError}.
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
    try {
      return await transport.readWhole({ topics: reading, groupId, handler });
    } catch (error) {
      // A missing topic is told before any record is read.
      const missing = error instanceof TopicMissingError ? error.topic : undefined;
      if (missing === undefined || !optional.includes(missing) || !reading.includes(missing)) {
        throw error;
      }
      reading = reading.filter((topic) => topic !== missing);
    }
  }
}

/**
 * {@link readWhole}, begun while `first` (the read of the certificates these records are verified
 * by) still runs, so the two reads' fetches go together, and the records wait for `first` to end
 * ({@link afterGate}). Resolves with `first`'s value; throws what either threw (records are passed
 * over when `first` failed).
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
