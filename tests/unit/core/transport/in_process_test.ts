import assert from "node:assert/strict";
import {
  type FaultOptions,
  MemoryBroker,
  MemoryTransport,
  seededRandom,
} from "../../../../core/transport/mod.ts";
import * as scenario from "../../../_support/transport_scenarios.ts";
import { waitFor } from "../../../_support/wait.ts";

const SEED = Number(Deno.env.get("KAFCLAW_FAULT_SEED") ?? 20261125);
const faults: FaultOptions = {
  seed: SEED,
  duplicate: 0.2,
  maxDelayMs: 5,
  redeliver: 0.1,
  reorder: true,
};

function cluster(withFaults: FaultOptions | undefined) {
  const broker = new MemoryBroker();
  return {
    make: () => new MemoryTransport({ broker, ...(withFaults ? { faults: withFaults } : {}) }),
  };
}

for (const [label, f] of [["in-process", undefined], ["in-process, fault mode", faults]] as const) {
  Deno.test(`${label}: a produced record comes back with key, value, headers, in key order`, () =>
    scenario.roundTrip(cluster(f)));
  Deno.test(`${label}: two members of a work group each get a disjoint share`, () =>
    scenario.workQueueShares(cluster(f)));
  Deno.test(`${label}: two agents' own groups each get every record`, () =>
    scenario.broadcastToAll(cluster(f)));
  Deno.test(`${label}: a poison record lands in the dead-letter topic and the consumer continues`, () =>
    scenario.poisonIsDeadLettered(cluster(f)));
  Deno.test(`${label}: a topic with the wrong cleanup policy is refused at start`, () =>
    scenario.wrongCleanupPolicyDetected(cluster(f)));
  Deno.test(`${label}: writing to or reading a missing topic names it, and creates nothing`, () =>
    scenario.missingTopicNamed(cluster(f)));
  Deno.test(`${label}: a second live member of an agent's own stream group is refused`, () =>
    scenario.streamGroupIsExclusive(cluster(f)));
  Deno.test(`${label}: a paused subscription gets nothing until resumed`, () =>
    scenario.pauseAndResume(cluster(f)));
  Deno.test(`${label}: a new stream group reads what comes once it subscribed, none before`, () =>
    scenario.streamStartsAtSubscribe(cluster(f)));
  Deno.test(`${label}: a new stream group from a time reads the records since then, none before`, () =>
    scenario.streamStartsAtTime(cluster(f)));
}

Deno.test("in-process: a record whose work has not finished comes again to the next member", () =>
  scenario.unfinishedWorkComesAgain(cluster(undefined)));

Deno.test("in-process: a work subscription closed while its work runs commits what finished in the grace, never what stopped short", () =>
  scenario.closeCommitsWhatFinished(cluster(undefined)));

Deno.test("in-process: slow work runs off the handler and pauses the consumer while full", () =>
  scenario.slowWorkKeepsMembership(cluster(undefined), { workMs: 200 }));

Deno.test("in-process: producing to a missing topic fails (no automatic creation)", async () => {
  const t = new MemoryTransport();
  await assert.rejects(
    t.produce([{ topic: "nope", key: "k", value: "v" }]),
    /Topic "nope" does not exist/,
  );
  await assert.rejects(
    t.subscribe({ kind: "stream", topics: ["nope"], groupId: "g", handler: () => {} }),
    /does not exist/,
  );
});

Deno.test("in-process fault mode duplicates and redelivers records but never loses one", async () => {
  const broker = new MemoryBroker();
  const t = new MemoryTransport({
    broker,
    faults: { seed: SEED, duplicate: 0.5, redeliver: 0.3, reorder: true },
  });
  await t.createTopics([{ name: "s", partitions: 3, config: {} }]);
  const counts = new Map<string, number>();
  const sub = await t.subscribe({
    kind: "stream",
    topics: ["s"],
    groupId: "g",
    handler: (r) => {
      const v = new TextDecoder().decode(r.value);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    },
  });
  await t.produce(
    Array.from({ length: 50 }, (_, i) => ({ topic: "s", key: `k${i}`, value: `${i}` })),
  );
  const deadline = Date.now() + 5000;
  while (counts.size < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(counts.size, 50, "every record arrived at least once");
  const extra = [...counts.values()].reduce((a, b) => a + b, 0) - 50;
  assert.ok(extra > 0, "the fault mode delivered some records more than once");
  await sub.close();
  await t.close();
});

Deno.test("a state subscription reads from the beginning, reports caught up, and never commits", async () => {
  const broker = new MemoryBroker();
  const t = new MemoryTransport({ broker });
  await t.createTopics([{ name: "announce", partitions: 2, config: {} }]);
  await t.produce([
    { topic: "announce", key: "agent:a", value: "a" },
    { topic: "announce", key: "agent:b", value: "b" },
  ]);
  const seen: string[] = [];
  const sub = await t.subscribe({
    kind: "state",
    topics: ["announce"],
    groupId: "kafclaw.g.a",
    handler: (r) => void seen.push(new TextDecoder().decode(r.value)),
  });
  await sub.caughtUp();
  assert.deepEqual(seen.sort(), ["a", "b"]);
  assert.match(sub.groupId, /^kafclaw\.g\.a\.state\./, "a per-run group");
  assert.equal(await t.groupMembers(sub.groupId), 1);
  await assert.rejects(t.deleteGroups([sub.groupId]), /has 1 live member/);
  assert.deepEqual(await t.listGroups("kafclaw.g.a.state."), [sub.groupId]);
  await sub.close();
  assert.equal(await t.groupMembers(sub.groupId), 0, "the per-run group is gone after close");
  assert.deepEqual(await t.listGroups("kafclaw.g."), []);
  await t.close();
});

Deno.test("a whole read hands over what the topics hold, ends after its work, and leaves no group", async () => {
  const t = new MemoryTransport();
  await t.createTopics([{ name: "announce", partitions: 2, config: {} }]);
  await t.produce(["a", "b", "c"].map((v) => ({ topic: "announce", key: `agent:${v}`, value: v })));
  const done: string[] = [];
  await t.readWhole({
    topics: ["announce"],
    groupId: "kafclaw.g.reader",
    handler: (r) => ({
      work: () => Promise.resolve(void done.push(new TextDecoder().decode(r.value))),
    }),
  });
  assert.deepEqual(done.sort(), ["a", "b", "c"]);
  assert.deepEqual(await t.listGroups("kafclaw.g."), []);
  await assert.rejects(
    t.readWhole({ topics: ["gone"], groupId: "kafclaw.g.reader", handler: () => {} }),
    /Topic "gone" does not exist/,
  );
  await t.close();
});

Deno.test("seededRandom repeats for one seed and differs across seeds", () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  const xs = [a(), a(), a()];
  assert.deepEqual(xs, [b(), b(), b()]);
  assert.notDeepEqual(xs, [c(), c(), c()]);
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

Deno.test("deleteGroups removes groups without members, as group gc will", async () => {
  const t = new MemoryTransport();
  await t.createTopics([{ name: "s", partitions: 1, config: {} }]);
  const sub = await t.subscribe({
    kind: "work",
    topics: ["s"],
    groupId: "kafclaw.g.workers",
    handler: () => {},
  });
  await sub.close();
  assert.deepEqual(await t.listGroups("kafclaw.g."), ["kafclaw.g.workers"]);
  await t.deleteGroups(["kafclaw.g.workers"]);
  await t.deleteGroups([]);
  assert.deepEqual(await t.listGroups(""), []);
  await t.close();
});

Deno.test("in-process: each member of a work group is told of every join, the first and each rebalance", async () => {
  const broker = new MemoryBroker();
  const a = new MemoryTransport({ broker });
  const b = new MemoryTransport({ broker });
  await a.createTopics([{ name: "work", partitions: 2, config: {} }]);
  const joins = { a: [] as number[], b: [] as number[] };
  const join = (t: MemoryTransport, seen: number[]) =>
    t.subscribe({
      kind: "work",
      topics: ["work"],
      groupId: "workers",
      handler: () => {},
      onJoin: (n) => seen.push(n),
    });
  const first = await join(a, joins.a);
  assert.deepEqual(joins, { a: [1], b: [] });
  const second = await join(b, joins.b);
  // B's coming is a new generation for A too: A rejoins, and is told so.
  assert.deepEqual(joins, { a: [1, 2], b: [1] });
  assert.equal(first.stats.joins, 2);
  await second.close();
  await first.close();
});

Deno.test("in-process: a subscription is behind while appended records wait unread, and caught up once they are read", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics([
    { name: "lag", partitions: 2, replicationFactor: 1, config: {} },
    { name: "other", partitions: 1, replicationFactor: 1, config: {} },
  ]);
  const release = Promise.withResolvers<void>();
  let handed = 0;
  const subscription = await transport.subscribe({
    kind: "stream",
    topics: ["lag"],
    groupId: "g.lag",
    concurrency: 1,
    handler: () => {
      handed++;
      return { work: () => release.promise };
    },
  });
  try {
    assert.equal(await subscription.behind(), false);
    assert.equal(await subscription.behind(["other"]), true, "a topic it holds nothing of");
    await transport.produce(["a", "b", "c"].map((key) => ({ topic: "lag", key, value: key })));
    await waitFor(() => handed === 1, "the first record handed over");
    assert.equal(await subscription.behind(), true, "the others wait: the first holds the slot");
    assert.equal(handed, 1);
    release.resolve();
    await waitFor(() => handed === 3, "every record handed over");
    assert.equal(await subscription.behind(), false);
  } finally {
    release.resolve();
    await subscription.close();
  }
});
