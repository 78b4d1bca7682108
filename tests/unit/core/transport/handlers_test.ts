/**
 * Handlers built from handlers keep `prepare` (core/transport handlers.ts): a wrapper keeps its
 * inner handler's, and a handler of several topics hands each topic's records of a batch to that
 * topic's handler's.
 */
import assert from "node:assert/strict";
import {
  around,
  byTopic,
  type InboundRecord,
  type RecordHandler,
} from "../../../../core/transport/mod.ts";

function record(topic: string, offset: string): InboundRecord {
  return {
    topic,
    partition: 0,
    offset,
    key: "k",
    value: new Uint8Array(),
    headers: {},
    timestamp: 0,
  };
}

/** A handler that notes the records it handles and, when `prepares`, the batches it prepares. */
function noting(name: string, log: string[], prepares: boolean): RecordHandler {
  const handle = (r: InboundRecord) => void log.push(`${name} ${r.topic}@${r.offset}`);
  if (!prepares) return handle;
  const prepare = (records: readonly InboundRecord[]) =>
    Promise.resolve(void log.push(`${name} prepares ${records.map((r) => r.offset).join(",")}`));
  return Object.assign(handle, { prepare });
}

Deno.test("a wrapper keeps its inner handler's prepare, and has none when it has none", async () => {
  const log: string[] = [];
  const inner = noting("inner", log, true);
  const wrapped = around(inner, (r) => {
    log.push("outer");
    return inner(r);
  });
  assert.equal(wrapped.prepare, inner.prepare);
  await wrapped.prepare?.([record("a", "1")]);
  await wrapped(record("a", "1"));
  assert.deepEqual(log, ["inner prepares 1", "outer", "inner a@1"]);
  assert.equal(around(noting("plain", log, false), () => {}).prepare, undefined);
});

Deno.test("a handler by topic routes each record, and each batch's records to their topic's prepare", async () => {
  const log: string[] = [];
  const handler = byTopic(
    new Map([
      ["a", noting("A", log, true)],
      ["b", noting("B", log, false)],
      ["c", noting("C", log, true)],
    ]),
  );
  await handler.prepare?.([record("a", "1"), record("b", "2"), record("c", "3"), record("a", "4")]);
  await handler.prepare?.([record("z", "5")]);
  for (const r of [record("a", "1"), record("b", "2"), record("z", "5")]) await handler(r);
  assert.deepEqual(log, ["A prepares 1,4", "C prepares 3", "A a@1", "B b@2"]);
});
