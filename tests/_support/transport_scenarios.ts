/**
 * Transport scenarios that must hold for every implementation: the Kafka transport runs them
 * against the real broker (tests/integration), the in-process one in fault mode (tests/unit).
 * Assertions allow what the fault mode (and Kafka) may do: deliver a record more than once.
 */
import assert from "node:assert/strict";
import {
  ensureTopics,
  type InboundRecord,
  TopicConfigError,
  TopicMissingError,
  type TopicSpec,
  type Transport,
} from "../../core/transport/mod.ts";
import { uniqueName, waitFor } from "./wait.ts";

/** Makes transports that share one cluster. */
export interface Cluster {
  make(): Transport;
}

const text = (r: InboundRecord) => new TextDecoder().decode(r.value);
const stream = (name: string, partitions = 3): TopicSpec => ({
  name,
  partitions,
  replicationFactor: 1,
  config: { "cleanup.policy": "delete" },
});

/** Produce then consume, keys, values and headers intact, order kept per key. */
export async function roundTrip(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const topic = uniqueName("rt");
    await t.createTopics([stream(topic)]);
    const got: InboundRecord[] = [];
    const sub = await t.subscribe({
      kind: "stream",
      topics: [topic],
      groupId: uniqueName("g"),
      fromBeginning: true,
      handler: (r) => void got.push(r),
    });
    await t.produce(
      Array.from({ length: 10 }, (_, i) => ({
        topic,
        key: `task-${i % 2}`,
        value: JSON.stringify({ i }),
        headers: { "kc-key-id": "agent-a" },
      })),
    );
    await waitFor(() => new Set(got.map(text)).size === 10, "10 records", {
      state: () => got.length,
    });
    for (const r of got) {
      const { i } = JSON.parse(text(r)) as { i: number };
      assert.equal(r.key, `task-${i % 2}`, `the key of record ${i}`);
      assert.equal(new TextDecoder().decode(r.headers["kc-key-id"]), "agent-a");
    }
    for (const key of ["task-0", "task-1"]) {
      const seq = got.filter((r) => r.key === key).map((r) => JSON.parse(text(r)).i as number);
      const distinct = seq.filter((v, i) => seq.indexOf(v) === i);
      assert.deepEqual(distinct, [...distinct].sort((a, b) => a - b), `order of ${key}`);
    }
    await sub.close();
  } finally {
    await t.close();
  }
}

/** Two members of one work group each get a share, and no record goes to both. */
export async function workQueueShares(cluster: Cluster): Promise<void> {
  const a = cluster.make();
  const b = cluster.make();
  try {
    const topic = uniqueName("work");
    const group = uniqueName("workers");
    await a.createTopics([stream(topic, 6)]);
    const seen = { a: new Set<string>(), b: new Set<string>() };
    const subA = await a.subscribe({
      kind: "work",
      topics: [topic],
      groupId: group,
      handler: (r) => void seen.a.add(text(r)),
    });
    const subB = await b.subscribe({
      kind: "work",
      topics: [topic],
      groupId: group,
      handler: (r) => void seen.b.add(text(r)),
    });
    await waitFor(
      () => subA.assignment().length === 3 && subB.assignment().length === 3,
      "both members to hold 3 partitions each",
      { state: () => [subA.assignment(), subB.assignment()] },
    );
    const n = 60;
    await a.produce(Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })));
    await waitFor(() => seen.a.size + seen.b.size >= n, `${n} records`, {
      state: () => [seen.a.size, seen.b.size],
    });
    assert.ok(seen.a.size > 0 && seen.b.size > 0, "both members got work");
    for (const v of seen.a) assert.ok(!seen.b.has(v), `${v} went to both members`);
    assert.equal(new Set([...seen.a, ...seen.b]).size, n);
    await Promise.all([subA.close(), subB.close()]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** Two agents with their own groups each get every record. */
export async function broadcastToAll(cluster: Cluster): Promise<void> {
  const a = cluster.make();
  const b = cluster.make();
  try {
    const topic = uniqueName("bcast");
    await a.createTopics([stream(topic)]);
    const seen = { a: new Set<string>(), b: new Set<string>() };
    const subs = await Promise.all([
      a.subscribe({
        kind: "stream",
        topics: [topic],
        groupId: uniqueName("agent-a"),
        fromBeginning: true,
        handler: (r) => void seen.a.add(text(r)),
      }),
      b.subscribe({
        kind: "stream",
        topics: [topic],
        groupId: uniqueName("agent-b"),
        fromBeginning: true,
        handler: (r) => void seen.b.add(text(r)),
      }),
    ]);
    await a.produce(
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })),
    );
    await waitFor(() => seen.a.size === 20 && seen.b.size === 20, "both agents to get all 20", {
      state: () => [seen.a.size, seen.b.size],
    });
    await Promise.all(subs.map((s) => s.close()));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** A poison record is dead-lettered with where it was and a hash; the consumer keeps going. */
export async function poisonIsDeadLettered(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const topic = uniqueName("req");
    const dlq = uniqueName("dead-letter");
    await t.createTopics([stream(topic, 1), stream(dlq, 1)]);
    const good: string[] = [];
    const sub = await t.subscribe({
      kind: "work",
      topics: [topic],
      groupId: uniqueName("workers"),
      deadLetterTopic: dlq,
      handler: (r) => text(r).startsWith("{") ? void good.push(text(r)) : { poison: "not JSON" },
    });
    const letters: InboundRecord[] = [];
    const watcher = await t.subscribe({
      kind: "stream",
      topics: [dlq],
      groupId: uniqueName("dlq-reader"),
      fromBeginning: true,
      handler: (r) => void letters.push(r),
    });
    await t.produce([
      { topic, key: "t1", value: '{"n":1}' },
      { topic, key: "t2", value: "not json at all" },
      { topic, key: "t3", value: '{"n":3}' },
    ]);
    await waitFor(() => new Set(good).size === 2 && letters.length >= 1, "2 good + 1 letter", {
      state: () => [good, letters.length],
    });
    const letter = JSON.parse(text(letters[0]!));
    assert.equal(letter.topic, topic);
    assert.equal(letter.offset, "1");
    assert.equal(letter.reason, "not JSON");
    assert.match(letter.value_sha256, /^[0-9a-f]{64}$/);
    assert.ok(!text(letters[0]!).includes("not json at all"), "the bad value is not copied");
    assert.ok(sub.stats.deadLettered >= 1);
    await Promise.all([sub.close(), watcher.close()]);
  } finally {
    await t.close();
  }
}

/** A topic whose cleanup policy differs from the spec is refused at start, with the fix. */
export async function wrongCleanupPolicyDetected(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const name = uniqueName("announce");
    await t.createTopics([stream(name, 1)]);
    const wanted: TopicSpec = {
      name,
      partitions: 1,
      replicationFactor: 1,
      config: { "cleanup.policy": "compact" },
    };
    const error = await ensureTopics(t, [wanted]).then(() => undefined, (e) => e);
    assert.ok(error instanceof TopicConfigError, `expected TopicConfigError, got ${error}`);
    assert.equal(error.problems.length, 1);
    assert.equal(error.problems[0]!.setting, "cleanup.policy");
    assert.equal(error.problems[0]!.actual, "delete");
    assert.match(error.message, /cleanup\.policy=compact/);
  } finally {
    await t.close();
  }
}

/** Writing to or reading a topic the cluster does not have names it, and creates nothing. */
export async function missingTopicNamed(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const here = uniqueName("here");
    const absent = uniqueName("absent");
    await t.createTopics([stream(here, 1)]);
    const named = (error: unknown) => {
      assert.ok(error instanceof TopicMissingError, `expected TopicMissingError, got ${error}`);
      assert.equal(error.topic, absent);
      assert.equal(error.message, `Topic "${absent}" does not exist (automatic creation is off)`);
      return true;
    };
    await assert.rejects(t.produce([{ topic: absent, key: "k", value: "v" }]), named);
    for (const kind of ["state", "stream"] as const) {
      await assert.rejects(
        t.subscribe({ kind, topics: [here, absent], groupId: uniqueName("g"), handler: () => {} }),
        named,
      );
    }
    assert.deepEqual(await t.verifyTopics([stream(absent, 1)]).then((p) => p.length), 1);
  } finally {
    await t.close();
  }
}

/** Work slower than the session timeout runs off the handler: no rebalance, nothing redelivered. */
export async function slowWorkKeepsMembership(
  cluster: Cluster,
  options: { workMs: number },
): Promise<void> {
  const t = cluster.make();
  try {
    const topic = uniqueName("slow");
    await t.createTopics([stream(topic, 1)]);
    const started: string[] = [];
    const finished: string[] = [];
    const sub = await t.subscribe({
      kind: "work",
      topics: [topic],
      groupId: uniqueName("workers"),
      concurrency: 1,
      handler: (r) => ({
        work: async () => {
          started.push(text(r));
          await new Promise((res) => setTimeout(res, options.workMs));
          finished.push(text(r));
        },
      }),
    });
    await waitFor(() => sub.assignment().length === 1, "the partition to be assigned");
    await t.produce([
      { topic, key: "a", value: "first" },
      { topic, key: "b", value: "second" },
    ]);
    await waitFor(() => finished.length === 2, "both slow tasks", {
      timeoutMs: options.workMs * 2 + 30_000,
      state: () => ({ started, finished }),
    });
    assert.deepEqual(started, ["first", "second"], "each task ran once, in order");
    assert.ok(sub.stats.pauses >= 1, "the consumer paused while the executor was full");
    assert.equal(sub.stats.joins, 1, "the member was never ejected from its group");
    await sub.close();
  } finally {
    await t.close();
  }
}

/**
 * A record whose work has not finished is never committed, even when records after it finished:
 * a member that leaves while it runs (as a crashed worker's partitions move) leaves it, and
 * what came after it, to the next member of the group.
 */
export async function unfinishedWorkComesAgain(cluster: Cluster): Promise<void> {
  const a = cluster.make();
  const b = cluster.make();
  try {
    const topic = uniqueName("unfinished");
    const groupId = uniqueName("workers");
    await a.createTopics([stream(topic, 1)]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    const doneByA: string[] = [];
    const first = await a.subscribe({
      kind: "work",
      topics: [topic],
      groupId,
      concurrency: 2,
      handler: (r) => ({
        work: async () => {
          if (text(r) === "slow") await held;
          doneByA.push(text(r));
        },
      }),
    });
    await waitFor(() => first.assignment().length === 1, "the partition to be assigned");
    await a.produce([
      { topic, key: "a", value: "slow" },
      { topic, key: "a", value: "quick" },
    ]);
    await waitFor(() => doneByA.includes("quick"), "the quick task behind the slow one");
    // It commits what is finished and leaves; its slow work goes on until released.
    const leaving = first.close();
    const { got: gotByB, subscription: second } = await nextMember(b, topic, groupId);
    try {
      await waitFor(() => gotByB.includes("slow"), "the unfinished record delivered again", {
        timeoutMs: 30_000,
        state: () => ({ doneByA, gotByB }),
      });
      assert.deepEqual(gotByB, ["slow", "quick"], "from the oldest unfinished record on");
    } finally {
      release();
      await leaving;
      await second.close();
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** A new member of work group `groupId` on `topic`, with what it is handed, in order. */
async function nextMember(t: Transport, topic: string, groupId: string) {
  const got: string[] = [];
  const subscription = await t.subscribe({
    kind: "work",
    topics: [topic],
    groupId,
    handler: (r) => void got.push(text(r)),
  });
  return { got, subscription };
}

/** A stream group belongs to one agent: a second live member is refused at subscribe. */
export async function streamGroupIsExclusive(cluster: Cluster): Promise<void> {
  const a = cluster.make();
  const b = cluster.make();
  try {
    const topic = uniqueName("hb");
    const group = uniqueName("kafclaw.g.agent-a");
    await a.createTopics([stream(topic, 1)]);
    const sub = await a.subscribe({
      kind: "stream",
      topics: [topic],
      groupId: group,
      handler: () => {},
    });
    await waitFor(async () => (await b.groupMembers(group)) === 1, "the first member to join");
    await assert.rejects(
      b.subscribe({ kind: "stream", topics: [topic], groupId: group, handler: () => {} }),
      /already has 1 live member\(s\): another process is running as this agent/,
    );
    await sub.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/**
 * A new stream group that does not read from the beginning gets every record produced once its
 * `subscribe()` has resolved, and none from before (a requester sends its task right after
 * subscribing to the statuses, and the claim must not be skipped). Several groups, one after the
 * other, each producing at once.
 */
export async function streamStartsAtSubscribe(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const topic = uniqueName("late");
    await t.createTopics([stream(topic)]);
    const keys = ["a", "b", "c", "d", "e", "f"];
    for (let round = 0; round < 5; round++) {
      await t.produce(keys.map((key) => ({ topic, key, value: `before ${round}` })));
      const got: string[] = [];
      const sub = await t.subscribe({
        kind: "stream",
        topics: [topic],
        groupId: uniqueName("kafclaw.g.agent"),
        fromBeginning: false,
        handler: (r) => void got.push(`${r.key}: ${text(r)}`),
      });
      await t.produce(keys.map((key) => ({ topic, key, value: `after ${round}` })));
      const want = keys.map((key) => `${key}: after ${round}`);
      // A record may come twice (at least once), never one from before the subscription.
      await waitFor(() => want.every((w) => got.includes(w)), `round ${round}'s records`, {
        timeoutMs: 15_000,
        state: () => got,
      });
      assert.deepEqual([...new Set(got)].sort(), want, `round ${round}`);
      await sub.close();
    }
  } finally {
    await t.close();
  }
}

/**
 * A new stream group starting at the end with `fromTime` reads, in each partition, the records
 * appended since that time, none before; `caughtUp` resolves once it has them all; then what
 * comes. A partition with nothing since starts at its end.
 */
export async function streamStartsAtTime(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const topic = uniqueName("since");
    await t.createTopics([stream(topic)]);
    const keys = ["a", "b", "c", "d", "e", "f"];
    await t.produce(keys.map((key) => ({ topic, key, value: "old" })));
    const old = Date.now();
    await waitFor(() => Date.now() > old + 20, "the clock past the old records");
    const since = Date.now();
    // Recent records on some partitions only: the others start at their ends.
    await t.produce(["a", "b"].map((key) => ({ topic, key, value: "recent" })));
    const got: string[] = [];
    const sub = await t.subscribe({
      kind: "stream",
      topics: [topic],
      groupId: uniqueName("kafclaw.g.agent"),
      fromBeginning: false,
      fromTime: since,
      handler: (r) => void got.push(`${r.key}: ${text(r)}`),
    });
    await sub.caughtUp();
    assert.deepEqual([...new Set(got)].sort(), ["a: recent", "b: recent"]);
    await t.produce(keys.map((key) => ({ topic, key, value: "after" })));
    const want = [...keys.map((key) => `${key}: after`), "a: recent", "b: recent"].sort();
    await waitFor(() => new Set(got).size === want.length, "the records after", {
      timeoutMs: 15_000,
      state: () => got,
    });
    assert.deepEqual([...new Set(got)].sort(), want);
    await sub.close();
  } finally {
    await t.close();
  }
}

/** A paused subscription receives nothing until resumed, then everything. */
export async function pauseAndResume(cluster: Cluster): Promise<void> {
  const t = cluster.make();
  try {
    const topic = uniqueName("pause");
    await t.createTopics([stream(topic, 1)]);
    const got: string[] = [];
    const sub = await t.subscribe({
      kind: "work",
      topics: [topic],
      groupId: uniqueName("workers"),
      handler: (r) => void got.push(text(r)),
    });
    await waitFor(() => sub.assignment().length === 1, "the partition to be assigned");
    await t.produce([{ topic, key: "a", value: "before" }]);
    await waitFor(() => got.length === 1, "the first record");
    sub.pause();
    await t.produce([{ topic, key: "a", value: "during" }]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(got, ["before"], "nothing arrives while paused");
    sub.resume();
    await waitFor(() => got.length === 2, "the record produced while paused");
    assert.deepEqual(got, ["before", "during"]);
    await sub.close();
  } finally {
    await t.close();
  }
}

/**
 * A work subscription closed while its work runs gives the work its grace: the record whose work
 * finished in it is committed, one whose work stopped short (`again`: its worker stops) is not,
 * nor anything after it, so the group's next member is handed exactly those.
 */
export async function closeCommitsWhatFinished(cluster: Cluster): Promise<void> {
  const a = cluster.make();
  const b = cluster.make();
  try {
    const topic = uniqueName("closing");
    const groupId = uniqueName("workers");
    await a.createTopics([stream(topic, 1)]);
    const ends = new Map<string, (end: void | { again: string }) => void>();
    const first = await a.subscribe({
      kind: "work",
      topics: [topic],
      groupId,
      handler: (r) => ({
        work: () => new Promise<void | { again: string }>((end) => ends.set(text(r), end)),
      }),
    });
    await waitFor(() => first.assignment().length === 1, "the partition to be assigned");
    await a.produce(["first", "second", "third"].map((value) => ({ topic, key: "k", value })));
    await waitFor(() => ends.size === 3, "every record's work running", { state: () => ends });
    const closed = first.close(60_000);
    ends.get("first")!();
    ends.get("second")!({ again: "the worker is stopping" });
    ends.get("third")!();
    await closed;
    const { got: gotByB, subscription: second } = await nextMember(b, topic, groupId);
    try {
      await waitFor(() => gotByB.length >= 2, "the records handed over again", {
        timeoutMs: 30_000,
        state: () => gotByB,
      });
      assert.deepEqual(gotByB, ["second", "third"], "from the record that stopped short on");
    } finally {
      await second.close();
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
