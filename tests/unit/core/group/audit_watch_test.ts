/**
 * What the transport skips, told to the audit through a watched transport: poison, throwing
 * handlers, and batches a subscription could not decode (the Kafka subscription's
 * `onUndecodable`, which the transport's integration test drives with a real bad batch).
 */
import assert from "node:assert/strict";
import { watchPoison } from "../../../../core/group/mod.ts";
import { topicsFor } from "../../../../core/protocol/mod.ts";
import {
  MemoryTransport,
  type RecordHandler,
  type SkippedBatch,
  type SubscribeOptions,
  type WholeReadOptions,
} from "../../../../core/transport/mod.ts";
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

Deno.test("a watched subscription tells each undecodable batch to the audit and to its own callback, and keeps prepare", async () => {
  const inner = new MemoryTransport();
  const given: SubscribeOptions[] = [];
  const subscribe = inner.subscribe.bind(inner);
  inner.subscribe = (options) => {
    given.push(options);
    return subscribe(options);
  };
  const audited: SkippedBatch[] = [];
  const own: SkippedBatch[] = [];
  const watched = watchPoison(inner, () => {}, (batch) => void audited.push(batch));
  const topic = topicsFor("au8").requests;
  await watched.createTopics([{ name: topic, partitions: 1, config: {} }]);
  const prepare = () => Promise.resolve();
  const handler: RecordHandler = Object.assign(() => undefined, { prepare });
  const first = await watched.subscribe({
    kind: "work",
    topics: [topic],
    groupId: "kafclaw.au8.workers",
    handler,
    onUndecodable: (batch) => void own.push(batch),
  });
  const second = await watched.subscribe({
    kind: "stream",
    topics: [topic],
    groupId: "kafclaw.au8.reader",
    handler: () => undefined,
  });
  const batch = { topic, partition: 0, firstOffset: "10", lastOffset: "14", reason: "no codec" };
  given[0]!.onUndecodable!(batch);
  given[1]!.onUndecodable!(batch);
  assert.deepEqual(audited, [batch, batch]);
  assert.deepEqual(own, [batch], "a subscription's own callback is still told");
  assert.equal(
    given[0]!.handler.prepare,
    prepare,
    "the batch's signatures are still checked together",
  );
  assert.equal(given[1]!.handler.prepare, undefined);
  await first.close();
  await second.close();
  await watched.close();
});

Deno.test("a watched whole read tells its poison and its undecodable batches, as a subscription's", async () => {
  const inner = new MemoryTransport();
  const given: WholeReadOptions[] = [];
  const readWhole = inner.readWhole.bind(inner);
  inner.readWhole = (options) => {
    given.push(options);
    return readWhole(options);
  };
  const told: string[] = [];
  const audited: SkippedBatch[] = [];
  const watched = watchPoison(
    inner,
    (record, reason) => void told.push(`${record.offset} ${reason}`),
    (batch) => void audited.push(batch),
  );
  const topic = topicsFor("au9").announce;
  await watched.createTopics([{ name: topic, partitions: 1, config: {} }]);
  await watched.produce([{ topic, key: "k", value: "bad" }, { topic, key: "k", value: "fine" }]);
  const handled: string[] = [];
  await watched.readWhole({
    topics: [topic],
    groupId: "kafclaw.au9.reader",
    handler: (record) => {
      const text = new TextDecoder().decode(record.value);
      handled.push(text);
      return text === "bad" ? { poison: "not an envelope" } : undefined;
    },
  });
  assert.deepEqual(handled, ["bad", "fine"]);
  assert.deepEqual(told, ["0 not an envelope"]);
  const batch = { topic, partition: 0, firstOffset: "3", lastOffset: "4", reason: "no codec" };
  given[0]!.onUndecodable!(batch);
  assert.deepEqual(audited, [batch]);
  await watched.close();
});

Deno.test("the watched transport connects its producer ahead when the transport can", async () => {
  const poison = () => {};
  let connected = 0;
  const inner = Object.assign(new MemoryTransport(), {
    connectProducer: () => Promise.resolve(void connected++),
  });
  await watchPoison(inner, poison).connectProducer?.();
  assert.equal(connected, 1);
  // One that cannot (in process) leaves it out, and a start goes on without it.
  assert.equal(watchPoison(new MemoryTransport(), poison).connectProducer, undefined);
});
