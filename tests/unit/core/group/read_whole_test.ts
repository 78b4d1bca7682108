import assert from "node:assert/strict";
import { readWhole, readWholeAfter } from "../../../../core/group/_read_whole.ts";
import {
  MemoryTransport,
  type RecordHandler,
  TopicMissingError,
} from "../../../../core/transport/mod.ts";
import { watchSubscriptions } from "../../../_support/subscriptions.ts";

const ignore: RecordHandler = () => undefined;

Deno.test("readWhole reads its topics through one group, leaving out the optional ones not made", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(
    ["a", "b"].map((name) => ({ name, partitions: 2, config: {} })),
  );
  await transport.produce([
    { topic: "a", key: "1", value: "a1" },
    { topic: "b", key: "2", value: "b1" },
    { topic: "a", key: "1", value: "a2" },
  ]);
  const seen = watchSubscriptions(transport);
  const read: string[] = [];
  await readWhole(transport, ["a", "gone", "b"], "g", (record) => {
    read.push(new TextDecoder().decode(record.value));
    return undefined;
  }, ["gone"]);
  assert.deepEqual(read.toSorted(), ["a1", "a2", "b1"]);
  assert.deepEqual(read.filter((v) => v.startsWith("a")), ["a1", "a2"], "a partition in order");
  assert.deepEqual(seen.joined, [["a", "gone", "b"], ["a", "b"]], "the missing one left out, once");
  await assert.rejects(readWhole(transport, ["a", "lost"], "g", ignore), TopicMissingError);
  await transport.close();
});

Deno.test("readWhole fails on any other error, and on a missing topic it was not asked to read", async () => {
  // A transport that names a topic outside the read must not make the read try again for ever.
  const transport = new MemoryTransport();
  transport.subscribe = () => Promise.reject(new TopicMissingError("elsewhere"));
  await assert.rejects(
    readWhole(transport, ["a"], "g", ignore, ["elsewhere"]),
    /Topic "elsewhere" does not exist/,
  );
  transport.subscribe = () => Promise.reject(new Error("the broker is down"));
  await assert.rejects(readWhole(transport, ["a"], "g", ignore, ["a"]), /the broker is down/);
  await transport.close();
});

Deno.test("readWholeAfter holds its records until the first read ends, and throws what either threw", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics([{ name: "a", partitions: 1, config: {} }]);
  await transport.produce([{ topic: "a", key: "1", value: "a1" }]);
  let firstDone = false;
  const seen: boolean[] = [];
  const first = new Promise<string>((resolve) =>
    setTimeout(() => {
      firstDone = true;
      resolve("certificates");
    }, 20)
  );
  const value = await readWholeAfter(first, transport, ["a"], "g", () => {
    seen.push(firstDone);
    return undefined;
  });
  assert.equal(value, "certificates");
  assert.deepEqual(seen, [true], "the record waited for the first read");
  const handled: string[] = [];
  const keep: RecordHandler = (record) => void handled.push(record.topic);
  await assert.rejects(
    readWholeAfter(Promise.reject(new Error("no roster")), transport, ["a"], "g", keep),
    /no roster/,
  );
  assert.deepEqual(handled, [], "passed over when the first read failed");
  await assert.rejects(
    readWholeAfter(Promise.resolve(1), transport, ["lost"], "g", keep),
    TopicMissingError,
  );
  await transport.close();
});
