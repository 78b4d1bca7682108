/**
 * Other clients compress: franz-go uses snappy by default, librdkafka's users pick lz4 or zstd.
 * Batches that kcat (librdkafka) compressed with every codec Kafka knows reach our handler, on a
 * real broker; before the codecs, the first snappy batch stopped the consumer at its offset.
 */
import assert from "node:assert/strict";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

async function kcatProduce(topic: string, codec: string, lines: string[]): Promise<void> {
  const child = new Deno.Command("kcat", {
    args: ["-b", brokers.join(","), "-P", "-t", topic, "-K", "|", "-z", codec, "-p", "0"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, `kcat -z ${codec}: ${new TextDecoder().decode(out.stderr)}`);
}

Deno.test(
  "batches compressed by another client with none, gzip, snappy, lz4 and zstd all reach the handler",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = uniqueName("compressed");
      await t.createTopics([{
        name: topic,
        partitions: 1,
        replicationFactor: 1,
        config: { "cleanup.policy": "delete" },
      }]);
      // One batch per codec, in this order, each of several records, so that a codec that
      // cannot be read would stop everything after it.
      const expected: string[] = [];
      for (const codec of CODECS) {
        const lines = [1, 2, 3].map((n) => `${codec}-${n}|${"x".repeat(200)} ${codec} ${n}`);
        await kcatProduce(topic, codec, lines);
        expected.push(...[1, 2, 3].map((n) => `${codec}-${n}`));
      }
      const seen = new Set<string>();
      const sub = await t.subscribe({
        kind: "stream",
        topics: [topic],
        groupId: uniqueName("compressed-reader"),
        fromBeginning: true,
        handler: (record) => {
          const key = typeof record.key === "string" ? record.key : String(record.key);
          const value = new TextDecoder().decode(record.value);
          assert.ok(value.endsWith(` ${key.replace("-", " ")}`), value);
          seen.add(key);
        },
      });
      await waitFor(() => expected.every((key) => seen.has(key)), "every compressed record", {
        state: () => [...seen],
      });
      await sub.close();
    } finally {
      await t.close();
    }
  },
);
