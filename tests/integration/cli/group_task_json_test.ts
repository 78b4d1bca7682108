/**
 * What `kafclaw group status`, `task show` and `task replay` print with `--json` against a signed
 * group running on the real broker: a worker's gateway process (ben) and the owner's home (boss),
 * which sends a task with `task submit --wait` as a one-shot member. Status says the certificate,
 * the owner key and where the members were read; show gives the stored task; replay runs the
 * request again as the current agent's turn, from the store where the task was sent or worked on,
 * and from the group's topics (the log) in a new home of the worker's, whose store has neither.
 */
import assert from "node:assert/strict";
import { topicsFor, workersConsumerGroup } from "../../../core/protocol/mod.ts";
import type { FakeOpenAI } from "../../fakes/openai_server.ts";
import { jsonOf, kafclaw, tempHome } from "../../_support/cli.ts";
import {
  gateway,
  rosterOf,
  signedGroup,
  tails,
  taskReader,
  vouchAndStart,
} from "../../_support/gateway_group.ts";
import { followTopic } from "../../_support/topic_records.ts";
import { waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const QUESTION = "What is the capital of Peru?";

/** How many chat requests an LLM got that carry `text`. */
function asked(llm: FakeOpenAI, text: string): number {
  return llm.chatRequests().filter((r) => JSON.stringify(r.body).includes(text)).length;
}

/**
 * A signed group made in the home of boss (no agent runs there) and ben's gateway, vouched for and
 * running, whose first turn answers `text` once `release` is resolved.
 */
async function benHolding(prefix: string, text: string, stack: AsyncDisposableStack) {
  const { group, boss, pinned } = await signedGroup(prefix, stack);
  const release = Promise.withResolvers<void>();
  const held = async () => (await release.promise, { text });
  const ben = stack.use(await gateway(group, "ben", pinned, [held]));
  // Before ben's fake LLM closes, its held turn ends.
  stack.defer(() => release.resolve());
  await vouchAndStart(boss.env, [ben]);
  await waitFor(
    async () => (await rosterOf(ben.env)).includes("ben:active"),
    "ben's gateway on its own roster",
    { timeoutMs: 30_000, state: () => tails([ben]) },
  );
  return { group, boss, ben, release };
}

Deno.test(
  "in a running signed group, group status, task show and task replay (from the store and from the log) print what the group holds, as JSON",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    // Ben's first turn holds its answer until the test has looked at the workers' group.
    const { group, boss, ben, release: looked } = await benHolding("gwj", "answered by ben", stack);

    // The worker's home, its gateway running: signed, a vouched certificate, the owner key pinned
    // but not held here, the members from the running agent.
    const benStatus = await kafclaw(["group", "status", "--json"], ben.env);
    assert.equal(benStatus.code, 0, benStatus.stderr);
    const seenByBen = jsonOf(benStatus);
    assert.deepEqual(
      [
        seenByBen.security,
        seenByBen.agent_id,
        seenByBen.owner_key_pinned,
        seenByBen.owner_key_here,
      ],
      ["signed", "ben", true, false],
    );
    assert.equal(seenByBen.warning, undefined);
    assert.equal(seenByBen.certificate.vouched, true);
    assert.ok(Date.parse(seenByBen.certificate.not_after) > Date.now());
    assert.deepEqual(seenByBen.topic_problems, []);
    assert.equal(seenByBen.members.source, "agent");
    assert.ok(seenByBen.members.active >= 1, JSON.stringify(seenByBen.members));
    // The owner's home, where no agent runs: the owner key is held here, the members are read
    // from the group's topics, ben among them.
    const bossStatus = await kafclaw(["group", "status", "--json"], boss.env);
    assert.equal(bossStatus.code, 0, bossStatus.stderr);
    const seenByBoss = jsonOf(bossStatus);
    assert.deepEqual(
      [seenByBoss.agent_id, seenByBoss.owner_key_here, seenByBoss.members.source],
      ["boss", true, "topics"],
    );
    assert.ok(seenByBoss.members.active >= 1, JSON.stringify(seenByBoss.members));
    // The group's own modes come from its manifest, whatever a home's config says; a home whose
    // group.security is the other mode is told it cannot take part, and how to fix it.
    const otherwise = { KAFCLAW_GROUP_ONBOARD_MODE: "gated", KAFCLAW_GROUP_SECURITY: "open" };
    const misread = await kafclaw(["group", "status", "--json"], { ...boss.env, ...otherwise });
    assert.equal(misread.code, 0, misread.stderr);
    const wrong = jsonOf(misread);
    assert.deepEqual(wrong.manifest, { security_mode: "signed", onboard_mode: "open" });
    assert.equal(wrong.onboard_mode, "open");
    assert.match(
      wrong.security_mismatch,
      /^Group "[a-z0-9-]+" runs signed \(its owner's manifest says so\), but this agent's group\.security is open: .* Set KAFCLAW_GROUP_SECURITY=signed/,
    );
    assert.equal(seenByBoss.security_mismatch, undefined);

    // The owner sends ben a task and waits for it, as a one-shot member: one that reads no work
    // topic (PROTOCOL.md, semantics 1), so the workers' group holds ben alone while it waits.
    const submitting = kafclaw(
      ["task", "submit", QUESTION, "--to", "ben", "--wait", "--deadline", "90s", "--json"],
      boss.env,
    );
    await waitFor(() => asked(ben.llm, QUESTION) === 1, "ben thinking about the task", {
      timeoutMs: 60_000,
      state: () => tails([ben]),
    });
    const reader = stack.use(await taskReader(group));
    assert.equal(await reader.transport.groupMembers(workersConsumerGroup(group)), 1);
    looked.resolve();
    const submitted = await submitting;
    assert.equal(submitted.code, 0, `${submitted.stderr}\n${JSON.stringify(tails([ben]))}`);
    const task = jsonOf(submitted);
    assert.deepEqual([task.status, task.answer], ["completed", "answered by ben"]);
    assert.equal(asked(ben.llm, QUESTION), 1);

    const shown = await kafclaw(["task", "show", task.task_id, "--json"], boss.env);
    assert.equal(shown.code, 0, shown.stderr);
    const show = jsonOf(shown);
    assert.deepEqual(
      [show.task_id, show.status, show.to, show.worker, show.workers, show.answer, show.request],
      [task.task_id, "completed", "agent ben", "ben", ["ben"], "answered by ben", QUESTION],
    );
    assert.equal(show.reason, null);
    assert.ok(Date.parse(show.responded_at) >= Date.parse(show.created_at));

    // In ben's home the task was never sent, but worked on: listed and shown as such, and replay
    // reads its request and ben's answer from ben's store and runs the request as ben's turn.
    const benList = jsonOf(await kafclaw(["task", "list", "--json"], ben.env));
    assert.deepEqual(benList.tasks, []);
    assert.deepEqual(
      benList.worked.map((w: Record<string, unknown>) => [w.task_id, w.status, w.from, w.request]),
      [[task.task_id, "completed", "boss", QUESTION]],
    );
    const benShown = await kafclaw(["task", "show", task.task_id, "--json"], ben.env);
    assert.equal(benShown.code, 0, benShown.stderr);
    const worked = jsonOf(benShown);
    assert.deepEqual(
      [worked.worked_here, worked.status, worked.from, worked.attempt, worked.answer],
      [true, "completed", "boss", 1, "answered by ben"],
    );
    const fromWorked = await kafclaw(["task", "replay", task.task_id, "--json"], ben.env);
    assert.equal(fromWorked.code, 0, fromWorked.stderr);
    const replayedByBen = jsonOf(fromWorked);
    assert.equal(replayedByBen.request, QUESTION);
    assert.deepEqual([replayedByBen.old, replayedByBen.new], [
      { agent_id: "ben", status: "completed", answer: "answered by ben" },
      { agent_id: "ben", status: "completed", answer: "answered by ben" },
    ]);
    assert.equal(asked(ben.llm, QUESTION), 2, "ben's LLM was asked the question again");
    // Another home of ben's (a new machine: its store has neither sent nor worked on the task):
    // replay reads its request (in ben's inbox) and answer from the group's topics, verified.
    await using newHome = await tempHome();
    const fromLog = await kafclaw(
      ["task", "replay", task.task_id, "--json"],
      { ...ben.env, KAFCLAW_HOME: newHome.path },
    );
    assert.equal(fromLog.code, 0, fromLog.stderr);
    const fromNewHome = jsonOf(fromLog);
    assert.equal(fromNewHome.request, QUESTION);
    assert.deepEqual([fromNewHome.old, fromNewHome.new], [
      { agent_id: "ben", status: "completed", answer: "answered by ben" },
      { agent_id: "ben", status: "completed", answer: "answered by ben" },
    ]);
    assert.deepEqual(fromNewHome.dropped, []);
    assert.equal(asked(ben.llm, QUESTION), 3);
    // In the owner's home, from its store.
    const fromStore = await kafclaw(["task", "replay", task.task_id, "--json"], boss.env);
    assert.equal(fromStore.code, 0, fromStore.stderr);
    const replayedByBoss = jsonOf(fromStore);
    assert.deepEqual([replayedByBoss.request, replayedByBoss.old, replayedByBoss.new], [
      QUESTION,
      { agent_id: "ben", status: "completed", answer: "answered by ben" },
      { agent_id: "boss", status: "completed", answer: "answered by boss" },
    ]);
    assert.equal(asked(boss.llm, QUESTION), 1, "boss's LLM was asked the question once");
    // A task nobody sent: one line, no stack.
    const unknown = await kafclaw(["task", "replay", "no-such-task", "--json"], ben.env);
    const unknownShown = await kafclaw(["task", "show", "no-such-task"], ben.env);
    assert.equal(unknownShown.code, 2);
    assert.match(
      unknownShown.stderr,
      /^kafclaw: no task "no-such-task" was sent from this agent or worked on here \(/,
    );
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.equal(
      unknown.stderr.trim(),
      'kafclaw: no request of task "no-such-task" in the group: looked in its requests topic, ' +
        "this agent's inbox, every skill's work topic and the zones this agent is a member of",
    );
    // Boss, with no gateway, joins for as long as it waits: its roster has no "ghost", which it
    // says before the task fails for want of an inbox.
    const ghost = await kafclaw(["task", "submit", "hi", "--to", "ghost", "--wait"], boss.env);
    assert.equal(ghost.code, 1, ghost.stdout);
    const [note, failed] = ghost.stderr.trim().split("\n");
    assert.match(note!, /^kafclaw: "ghost" is not in the group now \(it left, or never joined\)/);
    assert.match(failed!, /^kafclaw: task \S+ failed: agent "ghost" has no inbox in group /);
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
  },
);

Deno.test(
  "task submit --wait past its deadline ends the task expired, saying who held it, in JSON and in one line, and keeps that end",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    // Ben thinks until the test lets him: past the task's deadline.
    const { group, boss, ben, release } = await benHolding("gwd", "too late", stack);
    const reader = stack.use(await taskReader(group));
    const submitted = await kafclaw(
      ["task", "submit", QUESTION, "--to", "ben", "--wait", "--deadline", "8s", "--json"],
      boss.env,
    );
    assert.equal(submitted.code, 1, submitted.stderr);
    const task = jsonOf(submitted);
    assert.equal(task.status, "expired");
    assert.match(task.reason, /^no answer before the deadline \S+ \(ben held attempt 1\)$/);
    assert.equal(task.answer, null, "no answer came");
    assert.equal(
      submitted.stderr.trim(),
      `kafclaw: task ${task.task_id} expired: ${task.reason}`,
    );
    // Ben was told, by the requester: his grant is revoked; his turn, let go now, sends no answer.
    const told = () =>
      reader.seen.flatMap((e) =>
        e.type === "task_status" && e.correlation_id === task.task_id && e.sender_id === "boss"
          ? [`${e.payload.worker_id}:${e.payload.status}@${e.payload.attempt}`]
          : []
      );
    await waitFor(() => told().includes("ben:revoked@1"), "ben's revocation on the status stream", {
      state: told,
    });
    release.resolve();
    // Ben stops (sending all he has to send first); then a marker keyed as the task's answer
    // would be, so on its partition after anything ben sent: read back, nothing came before it.
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
    const marker = `marker-${crypto.randomUUID()}`;
    await reader.transport.produce([
      { topic: topicsFor(group).responses, key: task.task_id, value: marker },
    ]);
    const raw: string[] = [];
    const follower = await followTopic(reader.transport, topicsFor(group).responses, (r) => {
      if (r.key === task.task_id) raw.push(new TextDecoder().decode(r.value));
    });
    stack.defer(() => follower.close());
    await waitFor(() => raw.includes(marker), "the marker read back");
    assert.deepEqual(raw, [marker], "no answer from ben on the wire");
    const shown = jsonOf(await kafclaw(["task", "show", task.task_id, "--json"], boss.env));
    assert.deepEqual([shown.status, shown.answer, shown.reason], ["expired", null, task.reason]);
  },
);
