import assert from "node:assert/strict";
import { type InboundRecord, loadKafka, partitionForKey } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const spec = (name: string) => ({
  name,
  partitions: 6,
  replicationFactor: 1,
  config: { "cleanup.policy": "delete" },
});

async function kcat(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("kcat", {
    args: ["-b", brokers.join(","), ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `kcat ${args.join(" ")} failed: ${err}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test(
  "kcat reads an envelope our transport produced, on the partition murmur2 picks",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = uniqueName("interop");
      await t.createTopics([spec(topic)]);
      const envelope = JSON.stringify({
        type: "request",
        correlation_id: "task-42",
        sender_id: "agent-a",
        timestamp: "2026-11-25T10:00:00Z",
        payload: { task_id: "task-42", description: "d", content: "c", requester_id: "agent-a" },
      });
      await t.produce([{
        topic,
        key: "task-42",
        value: envelope,
        headers: { "kc-key-id": "agent-a" },
      }]);
      const out = await kcat([
        "-C",
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%p\t%k\t%h\t%s\n",
      ]);
      const [partition, key, headers, value] = out.trimEnd().split("\t");
      assert.equal(key, "task-42");
      assert.equal(value, envelope);
      assert.equal(headers, "kc-key-id=agent-a");
      assert.equal(Number(partition), partitionForKey("task-42", 6));
    } finally {
      await t.close();
    }
  },
);

Deno.test("our transport reads what kcat produced with the murmur2 partitioner", opts, async () => {
  const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
  try {
    const topic = uniqueName("interop");
    await t.createTopics([spec(topic)]);
    const got: InboundRecord[] = [];
    const sub = await t.subscribe({
      kind: "stream",
      topics: [topic],
      groupId: uniqueName("reader"),
      fromBeginning: true,
      handler: (r) => void got.push(r),
    });
    const keys = ["task-1", "task-2", "agent:worker-7", "skill:summarize", "x"];
    const lines = keys.map((k) => `${k}\t{"type":"heartbeat","k":"${k}"}`).join("\n") + "\n";
    await kcat(["-P", "-t", topic, "-K", "\t", "-X", "partitioner=murmur2_random"], lines);
    await waitFor(() => got.length === keys.length, "5 records from kcat", {
      state: () => got.length,
    });
    for (const record of got) {
      const key = record.key;
      assert.ok(typeof key === "string" && keys.includes(key));
      assert.equal(record.partition, partitionForKey(key, 6), `partition of ${key}`);
      assert.equal(JSON.parse(new TextDecoder().decode(record.value)).k, key);
    }
    await sub.close();
  } finally {
    await t.close();
  }
});
