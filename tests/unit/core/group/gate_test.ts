/**
 * A member's state subscriptions are made at once, but their records wait for the roster
 * (core/group/_gate.ts): none is handled, and no batch prepared, before the gate opens; after it
 * opens well they are, in order; after it opens on a failure none ever is.
 */
import assert from "node:assert/strict";
import { afterGate, gate } from "../../../../core/group/_gate.ts";
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

Deno.test("records and batches wait for the gate, then go through in order", async () => {
  const { seen, handler } = recording();
  const g = gate();
  const held = afterGate(g.opened, handler);
  const batch = [record("0"), record("1")];
  const prepared = held.prepare!(batch);
  const handled = Promise.all(batch.map((r) => held(r)));
  await new Promise((resolve) => setTimeout(resolve, 0));
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
