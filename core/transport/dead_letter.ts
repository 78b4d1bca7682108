/**
 * Dead-letter records: what a work-queue consumer writes for a record it cannot use, so that one
 * bad record never stops a partition and never becomes N copies (PROTOCOL.md, Envelope).
 *
 * @module
 */
import type { InboundRecord, OutboundRecord } from "./types.ts";

/** The JSON value of a dead-letter record. The bad value itself is never copied, only its hash. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: string;
  readonly value_sha256: string;
  readonly consumer_group: string;
  readonly dead_lettered_at: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds the dead-letter record for a poison record, keyed by where the record was. */
export async function deadLetterRecord(
  record: InboundRecord,
  options: { deadLetterTopic: string; reason: string; groupId: string; now?: Date },
): Promise<OutboundRecord> {
  const letter: DeadLetter = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    reason: options.reason,
    value_sha256: await sha256Hex(record.value),
    consumer_group: options.groupId,
    dead_lettered_at: (options.now ?? new Date()).toISOString(),
  };
  return {
    topic: options.deadLetterTopic,
    key: `${record.topic}:${record.partition}:${record.offset}`,
    value: JSON.stringify(letter),
  };
}
