/**
 * A requester's gateway process killed with a task nobody has taken, on the real broker
 * (PROTOCOL.md, semantics 3: a requester persists its unfinished outgoing tasks and resumes them
 * after a restart). Ann's gateway, the group's only worker, sends a task to the group; her own
 * request, met on the shared topic, may go only to another worker, and there is none, so it waits.
 * Ann is SIGKILLed, started again on the same home, and ben's gateway joins: the task goes to ben,
 * who answers it once, and ann's store keeps that answer.
 */
import assert from "node:assert/strict";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand } from "../../../_support/cli.ts";
import { gateway, tails, taskReader } from "../../../_support/gateway_group.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const open = { KAFCLAW_GROUP_SECURITY: "open" };

Deno.test(
  "a requester's gateway SIGKILLed with a task nobody took resumes it when started again, and keeps the one answer",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const group = uniqueName("gwu").replaceAll("-", "");
    const ann = stack.use(await gateway(group, "ann", open));
    const ben = stack.use(await gateway(group, "ben", open));
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    const reader = stack.use(await taskReader(group));
    await ann.start();

    const queued = await kafclaw(["task", "submit", "Who answers?", "--json"], ann.env);
    assert.equal(queued.code, 0, queued.stderr);
    const { task_id: taskId } = jsonOf(queued);
    const show = async () => {
      const out = await kafclaw(["task", "show", taskId, "--json"], ann.env);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out) as { status: string; worker: string | null; answer: string | null };
    };
    // Ann's gateway sent it, and met it again on the shared topic: nobody else can take it.
    await waitFor(async () => (await show()).status === "sent", "ann's gateway to send the task", {
      timeoutMs: 30_000,
      state: () => tails([ann]),
    });
    assert.equal(ann.llm.chatRequests().length, 0, "ann never takes her own task");

    ann.child!.process.kill("SIGKILL");
    await ann.child!.exit();
    assert.equal((await show()).status, "sent", "the task is still unfinished in ann's store");

    // Ann again, on the same home, then a worker for the task.
    ann.child = new Child(kafclawCommand(["gateway", "--json"], ann.env));
    await ann.child.until(/"event":"started"/);
    await ben.start();
    await waitFor(async () => (await show()).status === "completed", "the task answered", {
      timeoutMs: 90_000,
      state: () => ({ statuses: reader.statuses(taskId), gateways: tails([ann, ben]) }),
    });
    const answered = await show();
    assert.deepEqual([answered.worker, answered.answer], ["ben", "answered by ben"]);
    assert.equal(ann.llm.chatRequests().length, 0, "ann never took her own task");
    const responses = () => reader.responses().filter((e) => e.correlation_id === taskId);
    await waitFor(() => responses().length > 0, "ben's answer on the wire");
    assert.equal(responses().length, 1);
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
    assert.equal(await ann.child.stop("SIGTERM"), 0, ann.child.stderr);
  },
);
