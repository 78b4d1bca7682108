/**
 * What the transport skips, told to the audit: poison and throwing handlers through a watched
 * transport, and undecodable batches through the transport's log, read back with the
 * transport's own wording (its dispatcher writes the lines here).
 */
import assert from "node:assert/strict";
import { undecodableIn, watchPoison, watchUndecodable } from "../../../../core/group/mod.ts";
import type { UndecodableBatch } from "../../../../core/group/mod.ts";
import { topicsFor } from "../../../../core/protocol/mod.ts";
import { Dispatcher } from "../../../../core/transport/dispatch.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("a watched transport tells each poison record but shared memory's, and is the same transport otherwise", async () => {
  const inner = new MemoryTransport();
  const told: string[] = [];
  const watched = watchPoison(inner, (record, reason) => {
    told.push(`${record.topic}@${record.partition}:${record.offset} ${reason}`);
  });
  const topics = topicsFor("au4");
  const specs = [topics.requests, topics.memoryShared, topics.traces].map((name) => ({
    name,
    partitions: 1,
    config: {},
  }));
  assert.deepEqual(await watched.createTopics(specs), specs.map((s) => s.name));
  assert.deepEqual(await watched.verifyTopics(specs), []);
  const handled: string[] = [];
  const subscription = await watched.subscribe({
    kind: "state",
    topics: specs.map((s) => s.name),
    groupId: "kafclaw.au4.watch",
    handler: (record) => {
      const text = new TextDecoder().decode(record.value as Uint8Array);
      handled.push(text);
      return text === "bad" ? { poison: "not an envelope" } : undefined;
    },
  });
  await watched.produce(specs.map((s) => ({ topic: s.name, key: "k", value: "bad" })));
  await watched.produce([{ topic: topics.traces, key: "k", value: "fine" }]);
  await waitFor(() => handled.length === 4, "every record handled");
  assert.deepEqual(told.toSorted(), [
    `${topics.requests}@0:0 not an envelope`,
    `${topics.traces}@0:0 not an envelope`,
  ]);
  const groups = await watched.listGroups("kafclaw.au4.");
  assert.equal(groups.length, 1);
  assert.equal(await watched.groupMembers(groups[0]!), 1);
  await subscription.close();
  await watched.deleteGroups(groups);
  assert.deepEqual(await watched.listGroups("kafclaw.au4."), []);
  await watched.close();
});

Deno.test("a handler that throws is told as handler_failed, and the transport dead-letters it as before", async () => {
  const inner = new MemoryTransport();
  const told: string[] = [];
  const watched = watchPoison(inner, (record, reason, code) => {
    told.push(`${code} ${record.topic}@${record.partition}:${record.offset} ${reason}`);
  });
  const topics = topicsFor("au7");
  const specs = [topics.requests, topics.memoryShared, topics.deadLetter].map((name) => ({
    name,
    partitions: 1,
    config: {},
  }));
  await watched.createTopics(specs);
  const subscription = await watched.subscribe({
    kind: "work",
    topics: [topics.requests, topics.memoryShared],
    groupId: "kafclaw.au7.workers",
    deadLetterTopic: topics.deadLetter,
    handler: (record) => {
      if (record.topic === topics.requests) throw new Error("store is read-only");
      throw "no store"; // not an Error: told as it is
    },
  });
  await watched.produce([
    { topic: topics.requests, key: "t-1", value: "{}" },
    { topic: topics.memoryShared, key: "m#0", value: "{}" },
  ]);
  const letters = () => inner.broker.topics.get(topics.deadLetter)!.log.flat();
  await waitFor(() => letters().length === 2, "both dead-lettered", { state: () => told });
  // Shared memory audits its own refusals, not a throw: that is told for every topic.
  assert.deepEqual(told.toSorted(), [
    `handler_failed ${topics.memoryShared}@0:0 handler failed: no store`,
    `handler_failed ${topics.requests}@0:0 handler failed: store is read-only`,
  ]);
  assert.equal(subscription.stats.handlerErrors, 2);
  await subscription.close();
  await watched.close();
});

Deno.test("the transport's lines for a batch it could not decode are read back as the batch", async () => {
  const batches: UndecodableBatch[] = [];
  const passed: string[] = [];
  const log = watchUndecodable((b) => batches.push(b), (level, m) => passed.push(`${level} ${m}`));
  for (const kind of ["work", "stream"] as const) {
    const d = new Dispatcher({
      kind,
      groupId: "kafclaw.au8.workers",
      handler: () => {},
      concurrency: 1,
      deadLetterTopic: "group.au8.dead-letter",
      produce: () => Promise.resolve(),
      log,
    });
    const where = {
      topic: "group.au8.requests",
      partition: 2,
      firstOffset: "10",
      lastOffset: "14",
    };
    await d.undecodable(where, "Cannot decompress: it grows past 67108864 bytes: x@1:2-3");
  }
  const one = {
    topic: "group.au8.requests",
    partition: 2,
    firstOffset: "10",
    lastOffset: "14",
    reason: "Cannot decompress: it grows past 67108864 bytes: x@1:2-3",
  };
  assert.deepEqual(batches, [one, one], "dead-lettered from a work topic, skipped from a stream");
  assert.equal(passed.length, 2, "every line goes on to the log");
  // Other lines, and other levels, are no batch; and without a log nothing is passed on.
  assert.equal(undecodableIn("Dead-lettered group.g.requests@0:3 to dlq: not JSON"), undefined);
  const quiet = watchUndecodable((b) => batches.push(b));
  quiet("info", "Skipped group.g.requests@0:1-2: batch could not be decoded: no");
  quiet("warn", "Skipped poison record group.g.requests@0:1: not JSON");
  assert.equal(batches.length, 2);
});
