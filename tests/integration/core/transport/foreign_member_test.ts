/**
 * A member written in another language joins one of our work groups: kafka-python's consumer offers
 * the `roundrobin` assignor as ours does, so the group forms and the partitions are shared.
 */
import assert from "node:assert/strict";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
// Debian's python3-kafka installs for Debian's own interpreter.
const PYTHON = "/usr/bin/python3";

const consumer = `
import json, sys, time
from kafka import KafkaConsumer
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
brokers, topic, group, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=brokers.split(","), group_id=group,
                  partition_assignment_strategy=[RoundRobinPartitionAssignor],
                  auto_offset_reset="earliest", enable_auto_commit=False,
                  session_timeout_ms=10000, heartbeat_interval_ms=1000)
seen, deadline, announced = [], time.time() + 60, False
while time.time() < deadline:
    batch = c.poll(timeout_ms=200)
    if c.assignment() and not announced:
        print(json.dumps({"assigned": sorted(p.partition for p in c.assignment())}), flush=True)
        announced = True
    for records in batch.values():
        for r in records:
            seen.append(r.value.decode())
            c.commit()
    if len(seen) >= want:
        break
print(json.dumps({"seen": seen}), flush=True)
c.close()
`;

const { KafkaTransport } = await loadKafka();

Deno.test(
  "a kafka-python consumer shares one of our work groups through the roundrobin assignor",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const topic = uniqueName("work");
    const group = uniqueName("workers");
    await t.createTopics([{ name: topic, partitions: 6, replicationFactor: 1, config: {} }]);
    const ours = new Set<string>();
    const sub = await t.subscribe({
      kind: "work",
      topics: [topic],
      groupId: group,
      handler: (r) => void ours.add(new TextDecoder().decode(r.value)),
    });
    await waitFor(() => sub.assignment().length === 6, "our member to hold every partition first");
    const py = new Deno.Command(PYTHON, {
      args: ["-c", consumer, brokers.join(","), topic, group, "1"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const chunk of py.stdout) {
        buffered += decoder.decode(chunk);
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        lines.push(...parts.filter(Boolean));
      }
    })();
    try {
      await waitFor(
        () => lines.some((l) => l.includes("assigned")),
        "the Python member's assignment",
        {
          timeoutMs: 60_000,
          state: () => ({ lines, ours: sub.assignment() }),
        },
      );
      await waitFor(
        () => sub.assignment().length === 3,
        "our member to keep half after the rebalance",
        {
          state: () => sub.assignment(),
        },
      );
      const theirs: number[] = JSON.parse(lines.find((l) => l.includes("assigned"))!).assigned;
      const mine = sub.assignment().map((tp) => Number(tp.split(":").pop()));
      assert.equal(theirs.length, 3);
      assert.deepEqual([...theirs, ...mine].sort(), [0, 1, 2, 3, 4, 5], "disjoint and complete");
      const n = 40;
      await t.produce(
        Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })),
      );
      await reading;
      const status = await py.status;
      const stderr = new TextDecoder().decode(await new Response(py.stderr).arrayBuffer());
      assert.equal(status.code, 0, stderr);
      const seen: string[] = JSON.parse(lines.find((l) => l.includes("seen"))!).seen;
      assert.ok(seen.length >= 1, "the Python member got work");
      await waitFor(() => ours.size >= 1, "our member to get work");
      for (const v of seen) assert.ok(!ours.has(v), `${v} went to both members`);
    } finally {
      try {
        py.kill();
      } catch { /* already exited */ }
      await sub.close();
      await t.close();
    }
  },
);

Deno.test(
  "a state subscription on Kafka rebuilds state from the beginning, follows it, and joins no group",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = uniqueName("announce");
      await t.createTopics([{
        name: topic,
        partitions: 1,
        replicationFactor: 1,
        config: { "cleanup.policy": "compact" },
      }]);
      await t.produce([
        { topic, key: "agent:a", value: "a-1" },
        { topic, key: "agent:b", value: "b-1" },
        { topic, key: "agent:a", value: "a-2" },
      ]);
      const state = new Map<string, string>();
      const sub = await t.subscribe({
        kind: "state",
        topics: [topic],
        groupId: "kafclaw.test.agent-c",
        handler: (r) => void state.set(r.key as string, new TextDecoder().decode(r.value)),
      });
      await sub.caughtUp();
      assert.deepEqual(Object.fromEntries(state), { "agent:a": "a-2", "agent:b": "b-1" });
      assert.deepEqual(sub.assignment(), [`${topic}:0`]);
      assert.equal(await sub.behind(), false);
      // A state subscription needs no group: none to wait for, none left when its process dies.
      assert.deepEqual(await t.listGroups("kafclaw.test.agent-c"), [], "no consumer group");
      await t.produce([{ topic, key: "agent:b", value: "b-2" }]);
      await waitFor(() => state.get("agent:b") === "b-2", "the record appended since");
      await sub.close();
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "members of one work group that read different topics get partitions only of their own",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const [shared, zone] = [uniqueName("requests"), uniqueName("zone-requests")];
    const group = uniqueName("workers");
    await t.createTopics([shared, zone].map((name) => ({ name, partitions: 2, config: {} })));
    const handler = () => {};
    // The first member leads the group and reads both topics; the second reads one.
    const both = await t.subscribe({
      kind: "work",
      topics: [shared, zone],
      groupId: group,
      handler,
    });
    await waitFor(() => both.assignment().length === 4, "the first member to hold every partition");
    const one = await t.subscribe({ kind: "work", topics: [shared], groupId: group, handler });
    try {
      await waitFor(
        () =>
          one.assignment().length > 0 && both.assignment().length + one.assignment().length === 4,
        "the rebalance to settle",
        { state: () => [both.assignment(), one.assignment()] },
      );
      assert.ok(
        one.assignment().every((tp) => tp.startsWith(`${shared}:`)),
        `the second member got only ${shared}: ${one.assignment()}`,
      );
      assert.deepEqual(
        [...both.assignment(), ...one.assignment()].sort(),
        [`${shared}:0`, `${shared}:1`, `${zone}:0`, `${zone}:1`].sort(),
      );
    } finally {
      await Promise.all([both.close(), one.close()]);
      await t.close();
    }
  },
);
