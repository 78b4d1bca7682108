/**
 * Reading topics whole, as far as they reach when the read begins, through a per-run group that
 * commits nothing (as a state topic is read): for those who look back at a group without running
 * in it (topic_reader.ts, roster_feed.ts `readRoster`).
 *
 * @module
 */
import type { RecordHandler, Transport } from "../transport/mod.ts";

/** Reads every record `topics` hold now, one topic after the other, handing each to `handler`. */
export async function readWhole(
  transport: Transport,
  topics: readonly string[],
  groupId: string,
  handler: RecordHandler,
): Promise<void> {
  for (const topic of topics) {
    const subscription = await transport.subscribe({
      kind: "state",
      topics: [topic],
      groupId,
      handler,
    });
    try {
      await subscription.caughtUp();
    } finally {
      await subscription.close();
    }
  }
}
