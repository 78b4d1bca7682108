/**
 * Trust at the foreign agents of tests/interop, on the real broker (PROTOCOL.md, Membership and
 * trust): a request whose sender's certificate has not reached the worker (no `kc-cert` header, no
 * `cert:` record on the roster yet) waits and is answered once, in order, when the certificate is
 * published; one that waits past the agent's limit is dropped; a revoked sender's request and a
 * replayed record are refused.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { topicSpec } from "../../../core/protocol/mod.ts";
import { partitionForKey } from "../../../core/transport/mod.ts";
import type { Child } from "../../_support/child.ts";
import { waitFor } from "../../_support/wait.ts";
import { foreignRuntimes, Group } from "./_agents.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const { python, goAgent } = await foreignRuntimes();
/** How long the agents under test hold a record for its certificate (--park-ms). */
const PARK_MS = 5_000;
const AGENTS = {
  python: {
    argv: [python, new URL("../../interop/python/agent.py", import.meta.url).pathname],
    id: "py-worker",
    holdsWork: /"assigned": \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\]/,
  },
  go: { argv: [goAgent], id: "go-worker", holdsWork: /"assigned":true/ },
};

/** The lines of a foreign agent's output that carry `field`, parsed. */
function events(child: Child, field: string): Record<string, unknown>[] {
  return child.stdout.split("\n").filter((line) => line.includes(`"${field}"`))
    .map((line) => JSON.parse(line));
}

/** Three task ids on one partition of the work topic: the worker reads them in the order sent. */
function onOnePartition(group: Group): { partition: number; ids: string[] } {
  const partitions = topicSpec(group.topics.requests).partitions;
  const partition = partitionForKey("parked-0", partitions);
  const ids = ["parked-0"];
  for (let i = 1; ids.length < 3; i++) {
    if (partitionForKey(`parked-${i}`, partitions) === partition) ids.push(`parked-${i}`);
  }
  return { partition, ids };
}

/** The offset the shared work group has committed on one partition of the work topic. */
async function committed(group: Group, partition: number): Promise<string | undefined> {
  const admin = new kafkajs.Kafka({ brokers: group.brokers, logLevel: kafkajs.logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({
      groupId: `kafclaw.${group.name}.workers`,
      topics: [group.topics.requests],
    });
    return offsets?.partitions.find((p) => p.partition === partition)?.offset;
  } finally {
    await admin.disconnect();
  }
}

for (const [language, agent] of Object.entries(AGENTS)) {
  Deno.test(
    `the ${language} agent holds a request until its sender's certificate arrives, and refuses revoked and replayed ones`,
    opts,
    async () => {
      await using group = await new Group().start([agent.id]);
      const worker = group.spawn(
        [...agent.argv, "--park-ms", String(PARK_MS)],
        agent.id,
        await group.admit(agent.id),
      );
      await worker.until(agent.holdsWork);
      const responses = (task: string) =>
        group.on(group.topics.responses).filter((r) => r.key === task);
      const statuses = (task: string) =>
        group.on(group.topics.tasksStatus).filter((r) => r.key === task)
          .map((r) => r.json.payload as { status: string; seq: number });
      const answered = (task: string) =>
        waitFor(
          () => statuses(task).some((s) => s.status === "completed"),
          `${task} answered`,
          { timeoutMs: 60_000, state: () => ({ stdout: worker.stdout, stderr: worker.stderr }) },
        );

      // A newcomer's first requests, without its certificate, wait for it: then both are
      // answered once, in the order they came. A known member's request behind them on the
      // same partition does not wait for them.
      const newcomer = await group.admit("newcomer");
      const withhold = { withholdCertificate: true };
      const { partition, ids: [first, second, third] } = onOnePartition(group);
      await group.request(newcomer, first!, {}, withhold);
      await group.request(newcomer, second!, {}, withhold);
      await waitFor(() => events(worker, "parked").length === 2, "both requests parked", {
        state: () => worker.stdout,
      });
      await group.request(await group.admit("known"), third!);
      await answered(third!);
      assert.deepEqual([...responses(first!), ...responses(second!)], []);
      await group.publishCertificate(newcomer);
      await answered(first!);
      await answered(second!);
      const claimedAt = (task: string) => statuses(task).find((s) => s.status === "claimed")!.seq;
      assert.ok(claimedAt(first!) < claimedAt(second!), "taken in the order they came");
      // Taking the held records did not move the work group's commit back behind the third.
      assert.equal(await committed(group, partition), "3");
      for (const task of [first!, second!]) {
        assert.equal(responses(task).length, 1, `${task} answered once`);
        const payload = responses(task)[0]!.json.payload as Record<string, string>;
        assert.equal(payload.status, "completed");
        assert.match(payload.content!, new RegExp(`${agent.id} read: content of ${task}$`));
      }

      // Past the limit a waiting request is dropped: a later one, with its certificate attached,
      // is answered, and the dropped one never is.
      const late = await group.admit("late");
      await group.request(late, "late-1", {}, withhold);
      await waitFor(
        () => events(worker, "dropped").some((e) => e.why === "no certificate came"),
        `late-1 dropped after ${PARK_MS} ms`,
        { state: () => worker.stdout },
      );
      await group.request(late, "late-2");
      await answered("late-2");
      assert.deepEqual(statuses("late-1"), [], "no claim of the dropped request");

      // A revoked certificate: refused even though the request carries it.
      const gone = await group.admit("gone");
      await group.publishCertificate(gone);
      await group.revoke(gone);
      await waitFor(
        () => events(worker, "certificate").some((e) => e.certificate === "gone" && e.revoked),
        "the revocation read",
      );
      await group.request(gone, "revoked-1");

      // The same bytes again (the first request as sent): a replay, refused.
      const sent = group.on(group.topics.requests).find((r) => r.key === first)!.record;
      await group.transport.produce([{
        topic: sent.topic,
        key: first!,
        value: sent.value,
        headers: sent.headers,
      }]);
      const refused = () => events(worker, "refused").map((e) => e.why);
      await waitFor(
        () => refused().includes("certificate revoked") && refused().includes("replayed"),
        "the revoked and the replayed requests refused",
        { state: () => worker.stdout },
      );
      assert.deepEqual(statuses("revoked-1"), []);
      assert.equal(responses(first!).length, 1, "the replay is not answered");
      assert.equal(await worker.stop(), 0, worker.stderr);
    },
  );
}
