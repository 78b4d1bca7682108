import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
// kafkajs's own Java-compatible murmur2, as the reference our partitioner must agree with.
import kafkajsMurmur2 from "kafkajs/src/producer/partitioners/default/murmur2.js";
import { murmur2, partitionForKey } from "../../../../core/transport/mod.ts";

Deno.test("murmur2 agrees with kafkajs's Java-compatible murmur2 on many keys", () => {
  const keys = ["", "a", "ab", "abc", "abcd", "task-42", "agent:worker-7", "😀 unicode ✓"];
  for (let i = 0; i < 500; i++) keys.push(crypto.randomUUID().slice(0, i % 37));
  for (const key of keys) {
    assert.equal(murmur2(new TextEncoder().encode(key)), kafkajsMurmur2(Buffer.from(key)), key);
  }
});

Deno.test("murmur2 gives the values of the Java client's own test vectors", () => {
  // The cases of Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
  const cases: Array<[string, number]> = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [key, hash] of cases) assert.equal(murmur2(new TextEncoder().encode(key)), hash, key);
});

Deno.test("partitionForKey takes the positive hash modulo the partition count", () => {
  // -973932308 & 0x7fffffff = 1173551340; 1173551340 % 12 = 0
  assert.equal(partitionForKey("21", 12), 1173551340 % 12);
  assert.equal(partitionForKey(new TextEncoder().encode("21"), 12), partitionForKey("21", 12));
  for (const n of [1, 3, 12]) {
    const p = partitionForKey("agent:a", n);
    assert.ok(p >= 0 && p < n);
  }
});
