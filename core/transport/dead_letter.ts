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
  /** For a batch that could not be decoded: its last offset (`offset` is its first). */
  readonly last_offset?: string;
  readonly reason: string;
  /** The value's hash; null for a batch that could not be decoded (no value was read). */
  readonly value_sha256: string | null;
  readonly consumer_group: string;
  readonly dead_lettered_at: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a dead-letter builder is told. */
export interface DeadLetterOptions {
  readonly deadLetterTopic: string;
  readonly reason: string;
  readonly groupId: string;
  readonly now?: Date;
}

/** The record for a letter about `offset` (and, for a batch, up to `last_offset`). */
function letterRecord(
  where: Pick<DeadLetter, "topic" | "partition" | "offset" | "last_offset">,
  valueSha256: string | null,
  options: DeadLetterOptions,
): OutboundRecord {
  const letter: DeadLetter = {
    ...where,
    reason: options.reason,
    value_sha256: valueSha256,
    consumer_group: options.groupId,
    dead_lettered_at: (options.now ?? new Date()).toISOString(),
  };
  return {
    topic: options.deadLetterTopic,
    key: `${where.topic}:${where.partition}:${where.offset}`,
    value: JSON.stringify(letter),
  };
}

/** Builds the dead-letter record for a poison record, keyed by where the record was. */
export async function deadLetterRecord(
  record: InboundRecord,
  options: DeadLetterOptions,
): Promise<OutboundRecord> {
  const { topic, partition, offset } = record;
  return letterRecord({ topic, partition, offset }, await sha256Hex(record.value), options);
}

/** Where a batch that could not be decoded was, for {@link deadLetterBatch}. */
export interface BatchPlace {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

/**
 * Builds the dead-letter record for a batch the consumer could not decode: its offset range and
 * the error; no value was read, so none is hashed.
 */
export function deadLetterBatch(batch: BatchPlace, options: DeadLetterOptions): OutboundRecord {
  const { topic, partition, firstOffset: offset, lastOffset: last_offset } = batch;
  return letterRecord({ topic, partition, offset, last_offset }, null, options);
}
