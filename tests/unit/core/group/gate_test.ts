/**
 * A member's state subscriptions are made at once, but their records wait for the roster
 * (core/group/_gate.ts): none is handled, and no batch prepared, before the gate opens; after it
 * opens well they are, in order; after it opens on a failure none ever is. The parts that start
 * beside a membership hold theirs until it has started (untilStarted), and leave them to come again
 * when it failed to.
 */
import assert from "node:assert/strict";
import { afterGate, gate, untilStarted } from "../../../../core/group/_gate.ts";
import type { InboundRecord, RecordHandler } from "../../../../core/transport/mod.ts";

function record(offset: string): InboundRecord {
  return {
    topic: "group.g1.announce",
    partition: 0,
    offset,
    key: "agent:a",
    value: new Uint8Array(),
    headers: {},
    timestamp: 0,
  };
}

function recording() {
  const seen: string[] = [];
  const handler: RecordHandler = Object.assign((r: InboundRecord) => void seen.push(r.offset), {
    prepare: (records: readonly InboundRecord[]) =>
      Promise.resolve(void seen.push(`batch of ${records.length}`)),
  });
  return { seen, handler };
}

/** Hands `batch` to a held handler (its prepare, then each record) and lets a turn pass. */
async function handOver(held: RecordHandler, batch: readonly InboundRecord[]) {
  const prepared = held.prepare!(batch);
  const handled = Promise.all(batch.map((r) => held(r)));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return { prepared, handled };
}

Deno.test("records and batches wait for the gate, then go through in order", async () => {
  const { seen, handler } = recording();
  const g = gate();
  const { prepared, handled } = await handOver(afterGate(g.opened, handler), [
    record("0"),
    record("1"),
  ]);
  assert.deepEqual(seen, [], "nothing before the gate opens");
  g.open(true);
  await prepared;
  await handled;
  assert.deepEqual(seen, ["batch of 2", "0", "1"]);
});

Deno.test("when what the gate waited for failed, its records are never handled", async () => {
  const { seen, handler } = recording();
  const g = gate();
  const held = afterGate(g.opened, handler);
  const pending = Promise.all([held.prepare!([record("0")]), held(record("0"))]);
  g.open(false);
  await pending;
  assert.deepEqual(seen, []);
});

Deno.test("records held until a start wait for it, go through in order once it ends, and straight on after", async () => {
  const { seen, handler } = recording();
  const start = Promise.withResolvers<void>();
  const held = untilStarted(start.promise, handler);
  const { prepared, handled } = await handOver(held, [record("0"), record("1")]);
  assert.deepEqual(seen, [], "nothing before the start has ended");
  start.resolve();
  await prepared;
  assert.deepEqual(await handled, [undefined, undefined]);
  assert.deepEqual(seen, ["batch of 2", "0", "1"]);
  // Started: a record goes to the handler at once, not a turn of the event loop later.
  void held(record("2"));
  assert.deepEqual(seen.at(-1), "2");
});

Deno.test("records held until a start that failed are not handled: each one's work ends again, so it comes again", async () => {
  const { seen, handler } = recording();
  const start = Promise.withResolvers<void>();
  const held = untilStarted(start.promise, handler);
  const pending = Promise.all([held.prepare!([record("0")]), held(record("0"))]);
  start.reject(new Error("the roster could not be read"));
  const [, result] = await pending;
  assert.deepEqual(seen, []);
  assert.ok(result && "work" in result);
  assert.deepEqual(await result.work(), { again: "the start failed" });
});
