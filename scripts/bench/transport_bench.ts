/**
 * Transport benchmarks, each against a baseline measured in the same run (`deno task bench` prints
 * the ratio): our murmur2 against kafkajs's, and in-process delivery against calling the handler
 * directly.
 */
import { Buffer } from "node:buffer";
import kafkajsMurmur2 from "kafkajs/src/producer/partitioners/default/murmur2.js";
import { MemoryTransport, murmur2 } from "../../core/transport/mod.ts";

const keys = Array.from({ length: 1000 }, (_, i) => `task-${i}-${"x".repeat(i % 40)}`);
const encoded = keys.map((k) => new TextEncoder().encode(k));
const buffers = keys.map((k) => Buffer.from(k));

Deno.bench("kafkajs murmur2, 1000 keys", { group: "murmur2", baseline: true }, () => {
  for (const b of buffers) kafkajsMurmur2(b);
});
Deno.bench("our murmur2, 1000 keys", { group: "murmur2" }, () => {
  for (const b of encoded) murmur2(b);
});

const N = 1000;
const records = Array.from({ length: N }, (_, i) => ({
  topic: "bench",
  key: `k${i}`,
  value: `{"i":${i}}`,
}));

Deno.bench("handler called directly, 1000 records", { group: "delivery", baseline: true }, () => {
  let n = 0;
  const handler = (v: Uint8Array) => void (n += v.length);
  for (const r of records) handler(new TextEncoder().encode(r.value));
});
Deno.bench("in-process produce + work delivery, 1000 records", { group: "delivery" }, async () => {
  const t = new MemoryTransport();
  await t.createTopics([{ name: "bench", partitions: 12, config: {} }]);
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => done = r);
  const sub = await t.subscribe({
    kind: "work",
    topics: ["bench"],
    groupId: "workers",
    handler: () => void (++n === N && done()),
  });
  await t.produce(records);
  await finished;
  await sub.close();
  await t.close();
});
