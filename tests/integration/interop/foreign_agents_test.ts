/**
 * Agents written in other languages from PROTOCOL.md alone (tests/interop): a Python one
 * (kafka-python, cryptography) and a Go one (franz-go, crypto/ed25519) share the group's work queue
 * through the `roundrobin` assignor, and every record they send parses and verifies with
 * core/protocol; a kcat script submits a task in open mode and reads its answer.
 */
import assert from "node:assert/strict";
import {
  MemoryReplayStore,
  parseRecord,
  topicSpec,
  verifyRecord,
} from "../../../core/protocol/mod.ts";
import { type InboundRecord, partitionForKey } from "../../../core/transport/mod.ts";
import { jsonOf } from "../../_support/cli.ts";
import type { Child } from "../../_support/child.ts";
import { waitFor } from "../../_support/wait.ts";
import { foreignRuntimes, Group, type Member, schemaProblems } from "./_agents.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const { python, goAgent } = await foreignRuntimes();
const PY = [python, new URL("../../interop/python/agent.py", import.meta.url).pathname];
const GO = [goAgent];
const KCAT = new URL("../../interop/kcat/submit.sh", import.meta.url).pathname;
const FOREIGN = ["py-worker", "go-worker"];

/**
 * Task ids, one on each partition of the work topic, in partition order, so that every member of
 * the group gets work.
 */
function tasksOnEveryPartition(group: Group, prefix: string): string[] {
  const partitions = topicSpec(group.topics.requests).partitions;
  const ids: string[] = [];
  for (let i = 0; ids.filter(Boolean).length < partitions; i++) {
    const id = `${prefix}-${i}`;
    ids[partitionForKey(id, partitions)] ??= id;
  }
  return ids;
}

/** Waits until both agents have joined and the work queue is split between them. */
async function bothHoldWork(py: Child, go: Child): Promise<void> {
  await go.until(/"assigned":true/);
  await waitFor(
    () => {
      const held = py.stdout.split("\n").filter((l) => l.includes('"assigned"')).at(-1);
      return held !== undefined && JSON.parse(held).assigned.length === 6;
    },
    "the Python agent to hold half of the 12 partitions",
    { timeoutMs: 60_000, state: () => py.stdout },
  );
}

/** Waits for one response per task, and returns them by task id. */
async function answers(group: Group, tasks: readonly string[]) {
  const got = () => group.on(group.topics.responses).filter((r) => tasks.includes(r.key));
  await waitFor(
    () => new Set(got().map((r) => r.key)).size === tasks.length,
    "every answer",
    {
      timeoutMs: 60_000,
      state: () => ({
        answered: got().map((r) => r.key),
        children: group.children.map((c) => c.stdout + c.stderr),
      }),
    },
  );
  return got();
}

/** Checks records against the published schema, then parses and verifies them (core/protocol). */
async function verifyAll(group: Group, records: readonly InboundRecord[]) {
  const values = records.map((r) => new TextDecoder().decode(r.value));
  const problems = await schemaProblems(python, values);
  problems.forEach((found, i) => assert.deepEqual(found, [], `the schema refuses ${values[i]}`));
  const replay = new MemoryReplayStore();
  const results = [];
  for (const record of records) {
    const parsed = parseRecord(record);
    assert.ok(parsed.ok, `${record.topic}: ${parsed.ok || parsed.error.message}`);
    const state = record.topic === group.topics.announce;
    const verified = await verifyRecord(record, parsed.envelope, {
      ownerKey: group.ownerKey.publicKey,
      now: Date.now(),
      replay,
      ...(state ? { appendTime: record.timestamp } : {}),
    });
    results.push({ record, envelope: parsed.envelope, verified });
  }
  return results;
}

/** The records the two foreign workers sent. */
function fromForeign(group: Group): InboundRecord[] {
  return group.seen.filter((r) => {
    const sender = JSON.parse(new TextDecoder().decode(r.value)).sender_id;
    return FOREIGN.includes(sender);
  });
}

/** What each task's records say: its answer, and the statuses in the order their seq gives. */
async function checkAnswered(
  group: Group,
  tasks: readonly string[],
  responses: ReturnType<Group["on"]>,
) {
  // The final status follows the response, on another topic: nothing orders the two.
  const statusesOf = (task: string) =>
    group.on(group.topics.tasksStatus).filter((r) => r.key === task);
  await waitFor(() => tasks.every((task) => statusesOf(task).length >= 2), "two statuses a task");
  for (const task of tasks) {
    const mine = responses.filter((r) => r.key === task);
    assert.equal(mine.length, 1, `${task} answered once`);
    const { payload } = mine[0]!.json as { payload: Record<string, string> };
    assert.ok(
      FOREIGN.includes(payload.responder_id!),
      `${task} answered by ${payload.responder_id}`,
    );
    assert.equal(payload.status, "completed");
    const lang = payload.responder_id!.slice(0, 2) === "py" ? "python" : "go";
    assert.equal(payload.content, `${lang} agent ${payload.responder_id} read: content of ${task}`);
    const statuses = statusesOf(task)
      .map((r) => r.json.payload as { status: string; seq: number; worker_id: string })
      .sort((a, b) => a.seq - b.seq);
    assert.deepEqual(statuses.map((s) => s.status), ["claimed", "completed"], task);
    assert.ok(statuses.every((s) => s.worker_id === payload.responder_id));
  }
  const responders = new Set(
    responses.map((r) => (r.json.payload as { responder_id: string }).responder_id),
  );
  assert.deepEqual([...responders].sort(), ["go-worker", "py-worker"], "both agents took work");
}

Deno.test(
  "Python and Go agents, signed, share the work queue and every record they send verifies",
  opts,
  async () => {
    await using group = await new Group().start(FOREIGN);
    const requester = await group.admit("deno-req");
    const py = group.spawn(PY, "py-worker", await group.admit("py-worker"));
    const go = group.spawn(GO, "go-worker", await group.admit("go-worker"));
    await bothHoldWork(py, go);
    const tasks = tasksOnEveryPartition(group, "signed");
    for (const task of tasks) await group.request(requester, task);
    await checkAnswered(group, tasks, await answers(group, tasks));
    await waitFor(
      () =>
        FOREIGN.every((id) =>
          group.on(group.topics.heartbeats).filter((r) => r.key === `agent:${id}`).length >=
            2
        ),
      "two heartbeats from each agent",
    );

    // With the requester as arbiter, a worker answers only once granted, and never once revoked.
    // Partitions 0 and 1 (and 2 and 3) go to different members under the roundrobin assignor.
    const [grantA, grantB, revokeA, revokeB] = tasksOnEveryPartition(group, "grant");
    const worker = async (task: string) => {
      const claimedBy = () =>
        group.on(group.topics.tasksStatus).find((r) =>
          r.key === task && (r.json.payload as { status: string }).status === "claimed"
        )?.json.sender_id as string | undefined;
      await waitFor(() => claimedBy() !== undefined, `the claim of ${task}`);
      const child = claimedBy() === "py-worker" ? py : go;
      await waitFor(
        () => child.stdout.includes(`"waiting":${child === py ? " " : ""}"${task}"`),
        `${task} awaiting its grant`,
      );
      return { id: claimedBy()!, child };
    };
    for (const task of [grantA!, grantB!, revokeA!, revokeB!]) {
      await group.request(requester, task, { arbiter: "requester" });
    }
    const holders = await Promise.all([grantA!, grantB!, revokeA!, revokeB!].map(worker));
    assert.deepEqual(holders.map((h) => h.id).sort(), [
      "go-worker",
      "go-worker",
      "py-worker",
      "py-worker",
    ]);
    assert.ok(
      !group.on(group.topics.responses).some((r) => r.key.startsWith("grant-")),
      "no answer before the grant",
    );
    await group.grant(requester, grantA!, holders[0]!.id, "assigned");
    await group.grant(requester, grantB!, holders[1]!.id, "assigned");
    await group.grant(requester, revokeA!, holders[2]!.id, "revoked");
    await group.grant(requester, revokeB!, holders[3]!.id, "revoked");
    const granted = await answers(group, [grantA!, grantB!]);
    assert.deepEqual(
      granted.map((r) => (r.json.payload as { responder_id: string }).responder_id).sort(),
      [holders[0]!.id, holders[1]!.id].sort(),
    );
    await waitFor(
      () => (py.stdout + go.stdout).split('"revoked"').length - 1 === 2,
      "both revocations obeyed",
    );

    // A request whose signature is wrong, and one from a member whose certificate expired: refused.
    await group.request(requester, "forged-1", {}, { tamper: true });
    await group.request(
      await group.admit("lapsed", { notAfter: "2026-01-01T00:00:00Z" }),
      "expired-1",
    );
    await waitFor(
      () => (py.stdout + go.stdout).split('"refused"').length - 1 === 2,
      "both bad requests refused",
      { state: () => [py.stdout, go.stdout] },
    );

    assert.equal(await py.stop(), 0, py.stderr);
    assert.equal(await go.stop(), 0, go.stderr);
    const left = () =>
      group.on(group.topics.announce).filter((r) =>
        (r.json.payload as { action: string }).action === "leave"
      );
    await waitFor(() => left().length === 2, "a signed leave from each agent");

    const sent = fromForeign(group);
    const checked = await verifyAll(group, sent);
    for (const { record, verified, envelope } of checked) {
      assert.ok(verified.ok, `${record.topic}: ${verified.ok || verified.error.message}`);
      assert.equal(verified.verified.signer, envelope.sender_id);
    }
    const types = new Set(checked.map((c) => c.envelope.type));
    assert.deepEqual([...types].sort(), ["announce", "heartbeat", "response", "task_status"]);
    assert.ok(
      !fromForeign(group).some((r) => r.key === "forged-1" || r.key === "expired-1"),
      "no claim of a bad request",
    );
    const revoked = [revokeA, revokeB];
    assert.ok(
      !group.on(group.topics.responses).some((r) => revoked.includes(r.key)),
      "no answer after a revocation",
    );

    // A record changed in transit no longer verifies: the agents signed these very bytes.
    const answer = checked.find((c) => c.envelope.type === "response")!.record;
    const text = new TextDecoder().decode(answer.value).replace("read:", "reed:");
    const changed = { ...answer, value: new TextEncoder().encode(text) };
    const parsed = parseRecord(changed);
    assert.ok(parsed.ok);
    const refused = await verifyRecord(changed, parsed.envelope, {
      ownerKey: group.ownerKey.publicKey,
      now: Date.now(),
    });
    assert.equal(refused.ok || refused.error.code, "bad_signature");
  },
);

Deno.test(
  "Python and Go agents in open mode answer a Deno requester and a kcat script",
  opts,
  async () => {
    await using group = await new Group().start(FOREIGN);
    const py = group.spawn(PY, "py-worker");
    const go = group.spawn(GO, "go-worker");
    await bothHoldWork(py, go);
    const tasks = tasksOnEveryPartition(group, "open");
    for (const task of tasks) await group.request("deno-req", task);
    await checkAnswered(group, tasks, await answers(group, tasks));

    // Semantics 5: the receiver rejects a request past the depth limit, with the reason.
    await group.request("deno-req", "too-deep", {
      delegation: { depth: 3, chain: ["a", "b", "c"] },
    });
    const [deep] = await answers(group, ["too-deep"]);
    assert.equal((deep!.json.payload as { status: string }).status, "rejected");
    assert.equal(
      (deep!.json.payload as { reason: string }).reason,
      "delegation depth reached the limit",
    );

    const kcat = await new Deno.Command(KCAT, {
      args: [group.brokers.join(","), group.name, 'say "hi" from kcat', "60"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(kcat.stderr);
    assert.ok(kcat.success, stderr);
    const answer = JSON.parse(new TextDecoder().decode(kcat.stdout));
    assert.equal(answer.type, "response");
    assert.match(
      answer.payload.content,
      /^(python|go) agent (py|go)-worker read: say "hi" from kcat$/,
    );
    const submitted = stderr.match(/submitted (\S+)/)?.[1];
    assert.equal(answer.correlation_id, submitted);
    // kcat placed the request where murmur2 puts its key, as every member's producer does.
    const request = () => group.on(group.topics.requests).find((r) => r.key === submitted);
    await waitFor(() => request() !== undefined, "the kcat request read back");
    const partitions = topicSpec(group.topics.requests).partitions;
    assert.equal(request()!.record.partition, partitionForKey(submitted!, partitions));

    for (const { record, verified } of await verifyAll(group, fromForeign(group))) {
      assert.equal(verified.ok || verified.error.code, "unsigned", record.topic);
    }

    // The schema check can fail: a timestamp that is not RFC 3339, a heartbeat without its load.
    const beat = fromForeign(group).find((r) => r.topic === group.topics.heartbeats)!;
    const good = new TextDecoder().decode(beat.value);
    const bad = [
      good.replace(/("timestamp": ?".{10})T/, "$1 "),
      good.replace(/"load": ?\{[^}]*\}, ?/, ""),
    ];
    assert.ok(bad.every((value) => value !== good));
    for (const found of await schemaProblems(python, bad)) assert.notDeepEqual(found, []);
  },
);

Deno.test(
  "a Python requester is answered by the Go worker and a Go requester by the Python one, signed",
  opts,
  async () => {
    await using group = await new Group().start(FOREIGN);
    const pyMember = await group.admit("py-worker");
    const goMember = await group.admit("go-worker");
    const asker = (argv: readonly string[], id: string, member: Member) =>
      group.spawn([...argv, "--ask", `a question from ${id}`], id, member);

    const go = group.spawn(GO, "go-worker", goMember);
    await go.until(/"assigned":true/);
    const fromPy = asker(PY, "py-asker", await group.admit("py-asker"));
    assert.equal(await fromPy.exit(), 0, fromPy.stderr);
    const pyAnswer = jsonOf(fromPy, { what: "the Python asker" });
    assert.equal(pyAnswer.sender_id, "go-worker");
    assert.equal(pyAnswer.payload.content, "go agent go-worker read: a question from py-asker");
    assert.equal(await go.stop(), 0, go.stderr);

    const py = group.spawn(PY, "py-worker", pyMember);
    await py.until(/"assigned": \[0, 1, 2/);
    const fromGo = asker(GO, "go-asker", await group.admit("go-asker"));
    assert.equal(await fromGo.exit(), 0, fromGo.stderr);
    const goAnswer = jsonOf(fromGo, { what: "the Go asker" });
    assert.equal(goAnswer.sender_id, "py-worker");
    assert.equal(goAnswer.payload.content, "python agent py-worker read: a question from go-asker");

    // The askers' requests verify here too: both signing directions, between two other languages.
    const askers = group.on(group.topics.requests).map((r) => r.json.sender_id).sort();
    assert.deepEqual(askers, ["go-asker", "py-asker"]);
    for (const { record, verified } of await verifyAll(group, group.seen)) {
      assert.ok(verified.ok, `${record.topic}: ${verified.ok || verified.error.message}`);
    }
  },
);

Deno.test(
  "signed Python and Go agents start with an owner key that begins with a dash, and share the work",
  opts,
  async () => {
    // base64url uses `-`: one owner key in 64 begins with it, which an argument parser may take
    // for an option of its own.
    await using group = await new Group().start(FOREIGN, { ownerKeyStart: "-" });
    const py = group.spawn(PY, "py-worker", await group.admit("py-worker"));
    const go = group.spawn(GO, "go-worker", await group.admit("go-worker"));
    await bothHoldWork(py, go);
  },
);
