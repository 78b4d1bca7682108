import assert from "node:assert/strict";
import { Dispatcher } from "../../../../core/transport/dispatch.ts";
import type {
  InboundRecord,
  OutboundRecord,
  RecordHandler,
} from "../../../../core/transport/mod.ts";

const record = (value: string, offset = "7"): InboundRecord => ({
  topic: "group.g.requests",
  partition: 2,
  offset,
  key: "t1",
  value: new TextEncoder().encode(value),
  headers: {},
  timestamp: 0,
});

function dispatcher(
  handler: RecordHandler,
  options: {
    kind?: "work" | "stream";
    dlq?: string | undefined;
    produce?: (r: readonly OutboundRecord[]) => Promise<void>;
    /** The first wait before a dead letter is tried again (5 ms; undefined: the default). */
    retryMs?: number | undefined;
  } = {},
) {
  const produced: OutboundRecord[] = [];
  const logs: string[] = [];
  const d = new Dispatcher({
    kind: options.kind ?? "work",
    groupId: "kafclaw.g.workers",
    handler,
    concurrency: 1,
    deadLetterTopic: "dlq" in options ? options.dlq : "group.g.dead-letter",
    produce: options.produce ?? ((r) => {
      produced.push(...r);
      return Promise.resolve();
    }),
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...("retryMs" in options ? {} : { deadLetterRetryMs: 5 }),
  });
  return { d, produced, logs };
}

Deno.test("a handler that throws is counted and its record dead-lettered with the reason", async () => {
  const { d, produced } = dispatcher(() => {
    throw new Error("boom");
  });
  await d.deliver(record("x"));
  assert.equal(d.stats.handlerErrors, 1);
  assert.equal(d.stats.deadLettered, 1);
  const letter = JSON.parse(produced[0]!.value as string);
  assert.equal(letter.reason, "handler failed: boom");
  assert.equal(produced[0]!.key, "group.g.requests:2:7");
  assert.equal(letter.consumer_group, "kafclaw.g.workers");
});

Deno.test("a thrown non-Error is reported by its text", async () => {
  const { d, produced } = dispatcher(() => {
    throw "plain string";
  });
  await d.deliver(record("x"));
  assert.equal(JSON.parse(produced[0]!.value as string).reason, "handler failed: plain string");
});

Deno.test("stream consumers skip poison without dead-lettering, and say so", async () => {
  const { d, produced, logs } = dispatcher(() => ({ poison: "bad" }), { kind: "stream" });
  await d.deliver(record("x"));
  assert.equal(d.stats.poison, 1);
  assert.equal(produced.length, 0);
  assert.match(logs[0]!, /^warn: Skipped poison record group\.g\.requests@2:7: bad$/);
});

Deno.test("a work consumer without a dead-letter topic skips poison too", async () => {
  const { d, produced } = dispatcher(() => ({ poison: "bad" }), { dlq: undefined });
  await d.deliver(record("x"));
  assert.equal(d.stats.poison, 1);
  assert.equal(produced.length, 0);
});

Deno.test("a dead-letter write that fails is tried again, its record unfinished until it is written", async () => {
  let refusals = 3;
  const written: OutboundRecord[] = [];
  const { d, logs } = dispatcher(() => ({ poison: "bad" }), {
    produce: (r) => {
      if (refusals-- > 0) return Promise.reject(new Error("broker down"));
      written.push(...r);
      return Promise.resolve();
    },
  });
  // The consumer goes on at once; the record is finished (its offset may be committed) only once
  // its letter is written.
  const delivery = await d.deliver(record("x"));
  assert.equal(d.stats.deadLettered, 0);
  assert.equal(
    logs[0],
    "error: Cannot dead-letter group.g.requests@2:7: broker down; trying again, its offset uncommitted until then",
  );
  assert.equal(await delivery.finished, true);
  assert.equal(written.length, 1);
  assert.equal(JSON.parse(written[0]!.value as string).reason, "bad");
  assert.equal(d.stats.deadLettered, 1);
  assert.match(
    logs.at(-1)!,
    /^warn: Dead-lettered group\.g\.requests@2:7 to group\.g\.dead-letter: bad$/,
  );
});

Deno.test("a dead letter still unwritten when the subscription stops leaves its record to come again", async () => {
  // The default first wait (1 s) is never waited out: stop ends it.
  const { d } = dispatcher(() => ({ poison: "bad" }), {
    produce: () => Promise.reject(new Error("broker down")),
    retryMs: undefined,
  });
  const delivery = await d.deliver(record("x"));
  d.stop();
  assert.equal(await delivery.finished, false);
  assert.equal(d.stats.deadLettered, 0);
  // An undecodable batch's letter likewise.
  const batch = await d.undecodable(
    { topic: "group.g.requests", partition: 2, firstOffset: "8", lastOffset: "9" },
    "unknown codec",
  );
  assert.equal(await batch.finished, false);
});

Deno.test("work runs after deliver returns; a failed work item is counted and logged", async () => {
  let release!: () => void;
  const { d, logs } = dispatcher(() => ({
    work: () => new Promise<void>((_, reject) => release = () => reject(new Error("llm down"))),
  }));
  await d.deliver(record("x"));
  assert.equal(d.stats.workStarted, 1);
  assert.equal(d.stats.workFinished, 0);
  assert.equal(d.executor.full, true);
  release();
  await d.executor.idle();
  assert.equal(d.stats.workFinished, 1);
  assert.equal(d.stats.handlerErrors, 1);
  assert.match(logs.at(-1)!, /^error: Work from kafclaw\.g\.workers failed: llm down$/);
});

Deno.test("a batch that could not be decoded is dead-lettered once, as its offset range", async () => {
  const { d, produced } = dispatcher(() => assert.fail("no record reaches the handler"));
  const batch = { topic: "group.g.requests", partition: 2, firstOffset: "10", lastOffset: "14" };
  await d.undecodable(batch, "Cannot decompress a zstd batch: it grows past 67108864 bytes");
  assert.equal(d.stats.undecodable, 1);
  assert.equal(d.stats.deadLettered, 1);
  assert.equal(produced.length, 1);
  assert.equal(produced[0]!.key, "group.g.requests:2:10");
  const letter = JSON.parse(produced[0]!.value as string);
  assert.equal(letter.offset, "10");
  assert.equal(letter.last_offset, "14");
  assert.equal(letter.value_sha256, null);
  assert.match(letter.reason, /^batch could not be decoded: Cannot decompress a zstd batch/);
});

Deno.test("a stream subscription logs a batch it could not decode and writes no letter", async () => {
  const { d, produced, logs } = dispatcher(() => {}, { kind: "stream" });
  await d.undecodable(
    { topic: "group.g.responses", partition: 0, firstOffset: "3", lastOffset: "3" },
    "bad lz4 frame",
  );
  assert.equal(d.stats.undecodable, 1);
  assert.equal(produced.length, 0);
  assert.deepEqual(logs, [
    "warn: Skipped group.g.responses@0:3-3: batch could not be decoded: bad lz4 frame",
  ]);
});

Deno.test("a delivered record is finished only when the work its handler handed back ends, failed or not", async () => {
  let release!: (ok: boolean) => void;
  const { d } = dispatcher(() => ({
    work: () =>
      new Promise<void>((resolve, reject) =>
        release = (ok) => ok ? resolve() : reject(new Error("llm down"))
      ),
  }));
  let finished = false;
  const delivery = await d.deliver(record("x"));
  void delivery.finished.then(() => finished = true);
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(finished, false, "the work still runs");
  release(false);
  await delivery.finished;
  assert.equal(d.stats.handlerErrors, 1, "a failed work item is counted and then finished");
});

Deno.test("a record whose handler hands no work back, or fails, is finished at once", async () => {
  const quiet = dispatcher(() => {});
  const poisoned = dispatcher(() => ({ poison: "not a task" }));
  const thrown = dispatcher(() => {
    throw new Error("boom");
  });
  for (const { d } of [quiet, poisoned, thrown]) {
    let finished = false;
    const delivery = await d.deliver(record("x"));
    void delivery.finished.then(() => finished = true);
    await Promise.resolve();
    assert.equal(finished, true);
  }
  assert.equal(poisoned.produced.length + thrown.produced.length, 2, "both dead-lettered first");
});

Deno.test("work that ends `again` leaves its record unfinished, and says so; done or failed work finishes it", async () => {
  const ends: Array<void | { again: string }> = [undefined, { again: "ann is stopping" }];
  const { d, logs } = dispatcher(() => ({ work: () => Promise.resolve(ends.shift()) }));
  assert.equal(await (await d.deliver(record("done"))).finished, true);
  assert.equal(await (await d.deliver(record("given up", "8"))).finished, false);
  assert.deepEqual(logs, [
    "info: Left group.g.requests@2:8 uncommitted, to come again: ann is stopping",
  ]);
  const failing = dispatcher(() => ({ work: () => Promise.reject(new Error("llm down")) }));
  assert.equal(await (await failing.d.deliver(record("x"))).finished, true);
});

Deno.test("work that waits for its ready holds no executor slot; it runs once ready, then a slot is free, and its record is finished after", async () => {
  const ready = Promise.withResolvers<void>();
  const ran: string[] = [];
  const hold = Promise.withResolvers<void>();
  const { d } = dispatcher((r) => {
    const value = new TextDecoder().decode(r.value);
    return value === "parked"
      ? { ready: ready.promise, work: () => Promise.resolve(void ran.push(value)) }
      : { work: () => hold.promise.then(() => void ran.push(value)) };
  });
  const parked = await d.deliver(record("parked", "1"));
  assert.equal(d.executor.full, false, "the waiting record takes no slot (capacity 1)");
  let idle = false;
  void d.idle().then(() => idle = true);
  const busy = await d.deliver(record("busy", "2"));
  assert.equal(d.executor.full, true);
  let finished = false;
  void parked.finished.then(() => finished = true);
  ready.resolve();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual([ran, finished], [[], false], "ready, it waits for the slot busy holds");
  hold.resolve();
  assert.equal(await busy.finished, true);
  assert.equal(await parked.finished, true);
  assert.deepEqual(ran, ["busy", "parked"]);
  await d.idle();
  assert.equal(idle, true, "idle waited for the record that waited");
});
