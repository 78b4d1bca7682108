/**
 * A requester whose status consumer lags declares no lapse, on the real broker (PROTOCOL.md,
 * semantics 3: a lease lapses only after `leaseMs` of silence *and* when the requester's status
 * consumer has no lag). Ann's gateway process sends a task to ben's; once ben holds the grant, ann
 * is SIGSTOPped (a long pause: a hung disk, a suspended machine) and ben answers meanwhile. When
 * ann wakes, more than a lease has passed since she last read from ben, but ben's answer waits
 * unread on the topics: she must read it, not send attempt 2 to cy.
 */
import assert from "node:assert/strict";
import { jsonOf, kafclaw } from "../../../_support/cli.ts";
import { tails, taskReader } from "../../../_support/gateway_group.ts";
import { openGroup } from "../../../_support/open_group.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const LEASE_MS = 9_000;
const INTERVAL_MS = 3_000;

Deno.test(
  "a requester paused past the lease reads the holder's answer when it wakes, and sends no attempt 2",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    // Ben's LLM answers only when the test lets it, once ann is stopped.
    const release = Promise.withResolvers<void>();
    stack.defer(() => release.resolve());
    const held = async () => {
      await release.promise;
      return { text: "answered by ben while ann slept" };
    };
    const { group, members: [ann, ben, cy] } = await openGroup("gwlag", stack, [
      ["ann", { KAFCLAW_GROUP_LEASE_MS: String(LEASE_MS) }],
      ["ben", {}, [held]],
      ["cy", {}],
    ]);
    const reader = stack.use(await taskReader(group));
    const state = () => ({ statuses: reader.statuses(taskId), gateways: tails([ann, ben, cy]) });
    let taskId = "";

    const sent = await kafclaw(
      ["task", "submit", "Answer slowly", "--to", "ben", "--json"],
      ann.env,
    );
    assert.equal(sent.code, 0, sent.stderr);
    taskId = jsonOf(sent).task_id;
    const granted = () =>
      reader.seen.some((e) =>
        e.type === "task_status" && e.correlation_id === taskId && e.sender_id === "ann" &&
        e.payload.worker_id === "ben" && e.payload.status === "assigned"
      );
    await waitFor(
      () => granted() && ben.llm.chatRequests().length > 0,
      "ben thinking, grant held",
      {
        timeoutMs: 60_000,
        state,
      },
    );

    ann.child!.process.kill("SIGSTOP");
    const stoppedAt = Date.now();
    try {
      release.resolve();
      await waitFor(
        () => reader.responses().some((e) => e.correlation_id === taskId),
        "ben's answer on the wire while ann sleeps",
        { timeoutMs: 30_000, state },
      );
      // The silence ann will find on waking: her lease on ben and one look of her requester more.
      await waitFor(
        () => Date.now() - stoppedAt > LEASE_MS + INTERVAL_MS,
        "more than a lease of silence since ann last read from ben",
        { timeoutMs: 60_000 },
      );
    } finally {
      ann.child!.process.kill("SIGCONT");
    }

    const show = async () => {
      const out = await kafclaw(["task", "show", taskId, "--json"], ann.env);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out) as { status: string; worker: string | null; attempt: number };
    };
    await waitFor(async () => (await show()).status !== "sent", "ann to end the task", {
      timeoutMs: 60_000,
      state,
    });
    const ended = await show();
    assert.deepEqual([ended.status, ended.worker, ended.attempt], ["completed", "ben", 1]);
    assert.equal(cy.llm.chatRequests().length, 0, "cy was never asked");
    assert.ok(!reader.statuses(taskId).some((s) => s.startsWith("cy:")), String(state().statuses));
    assert.equal(reader.responses().filter((e) => e.correlation_id === taskId).length, 1);
    for (const member of [ann, ben, cy]) {
      assert.equal(await member.child!.stop("SIGTERM"), 0, member.child!.stderr);
    }
  },
);
