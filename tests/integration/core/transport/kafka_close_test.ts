/**
 * Closing a work subscription on the real broker: it takes no further record, gives the work
 * running its grace to end, commits what finished, and leaves the group. A record whose work
 * finished in the grace is committed; one whose work stopped short (it ended `again`: its worker
 * is stopping) or outlasted the grace is not, so the group's next member is handed exactly those.
 *
 * On the old close (commit at once, then leave, then wait for the work) the record finished in
 * the grace stayed uncommitted and came again; one that stopped short was committed and lost.
 */
import assert from "node:assert/strict";
import {
  type InboundRecord,
  loadKafka,
  type Subscription,
} from "../../../../core/transport/mod.ts";
import { committedAt, testBrokers } from "../../../_support/broker.ts";
import * as scenario from "../../../_support/transport_scenarios.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const text = (r: InboundRecord) => new TextDecoder().decode(r.value);
/** A commit interval longer than any test: only the close commits. */
const NEVER = 600_000;
const make = () =>
  new KafkaTransport({ brokers, clientId: "kafclaw-test", commitIntervalMs: NEVER });

/** Work the test ends by hand: done, or stopped short (`again`). */
function heldWork() {
  const ends = new Map<string, (end: void | { again: string }) => void>();
  return {
    started: () => [...ends.keys()],
    handler: (r: InboundRecord) => ({
      work: () => new Promise<void | { again: string }>((end) => ends.set(text(r), end)),
    }),
    end: (value: string, how?: { again: string }) => ends.get(value)!(how),
  };
}

/** A one-partition topic holding `values`, and a group whose member has taken them all. */
async function stage(values: readonly string[]) {
  const t = make();
  const topic = uniqueName("close");
  await t.createTopics([{ name: topic, partitions: 1, replicationFactor: 1, config: {} }]);
  const groupId = uniqueName("workers");
  const work = heldWork();
  const sub: Subscription = await t.subscribe({
    kind: "work",
    topics: [topic],
    groupId,
    handler: work.handler,
  });
  await t.produce(values.map((value) => ({ topic, key: "k", value })));
  await waitFor(() => work.started().length === values.length, "every record's work running", {
    state: () => ({ started: work.started(), stats: sub.stats }),
  });
  /** What the group's next member is handed, in order. */
  const nextMember = async (count: number) => {
    const again = make();
    const got: string[] = [];
    try {
      await again.subscribe({
        kind: "work",
        topics: [topic],
        groupId,
        handler: (r) => void got.push(text(r)),
      });
      await waitFor(() => got.length >= count, `${count} record(s) handed over again`, {
        state: () => got,
      });
      return got;
    } finally {
      await again.close();
    }
  };
  return { t, topic, groupId, work, sub, nextMember };
}

Deno.test(
  "kafka: a work subscription closed while its work runs commits what finished in the grace, never what stopped short",
  opts,
  () => scenario.closeCommitsWhatFinished({ make }),
);

Deno.test(
  "kafka: a work subscription closed with work that outlasts its grace holds the group for the grace, commits what finished, and leaves the rest uncommitted",
  opts,
  async () => {
    const s = await stage(["quick", "slow"]);
    try {
      const started = Date.now();
      let ended = false;
      const closed = s.sub.close(1_500).then(() => ended = true);
      s.work.end("quick");
      // Past the grace the close commits and leaves; it resolves once the slow work has ended.
      await waitFor(async () => await committedAt(s.groupId, s.topic) === 1, "the quick commit", {
        timeoutMs: 30_000,
      });
      await waitFor(async () => await s.t.groupMembers(s.groupId) === 0, "the group left", {
        timeoutMs: 30_000,
      });
      assert.ok(Date.now() - started >= 1_500, "the member stayed for the grace");
      assert.equal(ended, false, "the close waits for the slow work");
      s.work.end("slow");
      await closed;
      assert.equal(await committedAt(s.groupId, s.topic), 1, "the slow record is not committed");
      assert.deepEqual(await s.nextMember(1), ["slow"]);
    } finally {
      await s.t.close();
    }
  },
);
