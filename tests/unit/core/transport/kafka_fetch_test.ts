/**
 * What a read in no consumer group makes of a fetched partition, as kafkajs decodes it: the
 * records a consumer would hand over (from the offset asked for, committed, no control record)
 * and the offset after the batch. The real broker's side is in
 * tests/integration/core/transport/kafka_state_read_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type FetchedMessage,
  offsetAfter,
  type PartitionData,
  recordsOf,
} from "../../../../core/transport/kafka_fetch.ts";

/** A decoded record at `offset` of a batch starting at `first` with `delta` as last offset delta. */
function message(
  offset: number,
  batch: { first: number; delta: number; producerId?: string; inTransaction?: boolean },
  control?: "abort" | "commit",
): FetchedMessage {
  return {
    offset: String(offset),
    key: control === undefined
      ? Buffer.from(`k${offset}`)
      : Buffer.from([0, 0, 0, control === "abort" ? 0 : 1]),
    value: null,
    timestamp: "0",
    attributes: 0,
    headers: {},
    isControlRecord: control !== undefined,
    batchContext: {
      firstOffset: String(batch.first),
      lastOffsetDelta: batch.delta,
      producerId: batch.producerId ?? "-1",
      inTransaction: batch.inTransaction ?? false,
    },
  } as FetchedMessage;
}

const data = (messages: FetchedMessage[], more: Partial<PartitionData> = {}): PartitionData => ({
  partition: 0,
  highWatermark: "100",
  messages,
  ...more,
});

const offsets = (records: FetchedMessage[]) => records.map((r) => Number(r.offset));

Deno.test("a batch fetched whole gives the records from the offset asked for, up to an end", () => {
  const batch = { first: 10, delta: 4 };
  const fetched = data([10, 11, 12, 13, 14].map((o) => message(o, batch)));
  assert.deepEqual(offsets(recordsOf(fetched, 12n)), [12, 13, 14]);
  assert.deepEqual(offsets(recordsOf(fetched, 12n, 14n)), [12, 13]);
  assert.equal(offsetAfter(fetched), 15n);
});

Deno.test("the offset after a batch whose last records compaction removed is the batch's end", () => {
  const fetched = data([message(20, { first: 20, delta: 9 })]);
  assert.equal(offsetAfter(fetched), 30n);
  assert.equal(offsetAfter(data([])), undefined);
});

Deno.test("an aborted transaction's records and every control record are left out", () => {
  const aborted = { first: 5, delta: 1, producerId: "7", inTransaction: true };
  const marker = { first: 7, delta: 0, producerId: "7", inTransaction: true };
  const committed = { first: 8, delta: 0, producerId: "7", inTransaction: true };
  const commitMarker = { first: 9, delta: 0, producerId: "7", inTransaction: true };
  const other = { first: 6, delta: 0, producerId: "8" };
  const fetched = data([
    message(4, { first: 4, delta: 0 }),
    message(5, aborted),
    message(6, other),
    message(6, aborted),
    message(7, marker, "abort"),
    message(8, committed),
    message(9, commitMarker, "commit"),
    message(10, { first: 10, delta: 0 }),
  ], { abortedTransactions: [{ producerId: "7", firstOffset: "5" }] });
  assert.deepEqual(offsets(recordsOf(fetched, 0n)), [4, 6, 8, 10]);
  // Without the broker's list of aborted transactions, only control records are left out.
  assert.deepEqual(offsets(recordsOf({ ...fetched, abortedTransactions: [] }, 0n)), [
    4,
    5,
    6,
    6,
    8,
    10,
  ]);
});
