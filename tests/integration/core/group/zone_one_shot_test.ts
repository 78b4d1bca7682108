/**
 * `kafclaw task submit --zone lab --wait` where no gateway runs (its requester a one-shot member)
 * in a signed group on the real broker: while lab's worker ann thinks, a response forged in ann's
 * name on lab's responses topic is dropped and audited in the submitter's home, never taken for
 * the answer; ann's own answer is. In a new home of the submitter's, `task replay` and `task show
 * --trace` read the task back from lab's topics.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TaskRecords } from "../../../../core/group/mod.ts";
import {
  generateKeyPair,
  parseRecord,
  signRecord,
  zoneTopic,
} from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { droppedIn } from "../../../_support/audit.ts";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import {
  gateway,
  signedGroup,
  taskReader,
  untilZoneReaders,
  vouch,
} from "../../../_support/gateway_group.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "task submit --wait into a zone takes its worker's answer, never one forged in the worker's name",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("zos", stack);
    await boss.start();
    // Ann answers only when the test lets her, after the forgery.
    const release = Promise.withResolvers<void>();
    const ann = stack.use(
      await gateway(group, "ann", pinned, [async () => {
        await release.promise;
        return { text: "ann's own answer" };
      }]),
    );
    // Before ann's fake LLM closes, its held turn ends.
    stack.defer(() => release.resolve());
    const req = stack.use(await gateway(group, "req", pinned));
    for (const member of [ann, req]) await vouch(boss.env, member.home, member.id, "public,lab");
    await ann.start();
    assert.equal((await kafclaw(["zone", "create", "lab"], boss.env)).code, 0);
    for (const id of ["ann", "req"]) {
      const out = await kafclaw(["zone", "approve", "lab", id], boss.env);
      assert.equal(out.code, 0, out.stderr);
    }
    await using reader = await taskReader(group);
    await untilZoneReaders(reader, { group, zone: "lab" }, 1);
    const taskIds: string[] = [];
    const requests = await followTopic(
      reader.transport,
      zoneTopic(group, "lab", "requests"),
      (r) => {
        const parsed = parseRecord(r);
        if (parsed.ok) taskIds.push(parsed.envelope.correlation_id);
      },
    );
    stack.defer(() => requests.close());

    const submit = stack.use(
      new Child(kafclawCommand(["task", "submit", "--zone", "lab", "--wait", "ask ann"], req.env)),
    );
    await waitFor(
      () => taskIds.length === 1 && ann.llm.chatRequests().length === 1,
      "ann thinking on the task",
      { timeoutMs: 60_000, state: () => ({ taskIds, submit: submit.stderr }) },
    );
    // Mallory, who holds no key of ann's, answers in ann's name.
    const mallory = await generateKeyPair();
    const forged = new TaskRecords("ann").response({ group, zone: "lab" }, {
      taskId: taskIds[0]!,
      attempt: 1,
      skill: false,
    }, { content: "forged answer", status: "completed", taint: "trusted" });
    await reader.transport.produce([{
      ...forged,
      headers: await signRecord(forged, { keyId: "ann", privateKey: mallory.privateKey }),
    }]);
    using timeline = Timeline.open(join(req.home, "timeline.db"));
    await waitFor(
      () => droppedIn(timeline).includes("signature_invalid/bad_signature/ann"),
      "the forged response dropped and audited by the submitter",
      {
        timeoutMs: 30_000,
        state: () => ({ audits: droppedIn(timeline), out: submit.stdout, err: submit.stderr }),
      },
    );
    release.resolve();
    assert.equal(await submit.exit(), 0, submit.stderr);
    assert.equal(submit.stdout.trim(), "ann's own answer");

    // In a new home of req's (its store has not the task), the task is read back from lab's
    // topics, which req may read: its request and ann's answer, the forged one dropped.
    await using newHome = await tempHome();
    const elsewhere = { ...req.env, KAFCLAW_HOME: newHome.path };
    const replayed = await kafclaw(["task", "replay", taskIds[0]!, "--json"], elsewhere);
    assert.equal(replayed.code, 0, replayed.stderr);
    const replay = jsonOf(replayed);
    assert.equal(replay.request, "ask ann");
    assert.deepEqual([replay.old, replay.new], [
      { agent_id: "ann", status: "completed", answer: "ann's own answer" },
      { agent_id: "req", status: "completed", answer: "answered by req" },
    ]);
    assert.deepEqual(
      replay.dropped.map((d: Record<string, string>) => [d.agent_id, d.topic, d.code]),
      [["ann", zoneTopic(group, "lab", "responses"), "bad_signature"]],
    );
    // Its spans, from lab's traces topic: ann's attempt among them.
    let trace: { source?: string; agents?: string[] } = {};
    await waitFor(
      async () => {
        const out = await kafclaw(["task", "show", taskIds[0]!, "--trace", "--json"], elsewhere);
        assert.equal(out.code, 0, out.stderr);
        trace = jsonOf(out);
        return trace.agents?.includes("ann") === true;
      },
      "the task's spans read from lab's traces topic",
      { timeoutMs: 30_000, state: () => trace },
    );
    assert.equal(trace.source, "topics");
  },
);
