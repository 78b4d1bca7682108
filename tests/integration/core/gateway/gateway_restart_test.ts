/**
 * A gateway restarted right after a crash, on the real broker. A `kafclaw gateway` process that is
 * SIGKILLed leaves its consumers in the broker's groups until their session times out (30 s);
 * started again at once on the same home, it takes them for what they are (members of a process
 * of this host that is gone), removes them, starts, and answers a task sent to its inbox. A second
 * gateway with the same agent id while the first one lives is still refused, in one line naming
 * where the first one runs.
 *
 * On the old check (any member of the agent's consumer group refused the start) the restart was
 * refused until the broker expired the dead session.
 */
import assert from "node:assert/strict";
import { agentConsumerGroup, agentInbox } from "../../../../core/protocol/mod.ts";
import { gateway, tails, taskReader } from "../../../_support/gateway_group.ts";
import { Child } from "../../../_support/child.ts";
import { kafclaw, kafclawCommand } from "../../../_support/cli.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a gateway SIGKILLed and started again at once starts and answers a task; a second live one with its agent id is refused",
  opts,
  async () => {
    const group = uniqueName("gwr").replaceAll("-", "");
    const open = { KAFCLAW_GROUP_SECURITY: "open" };
    await using ann = await gateway(group, "ann", open);
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await using reader = await taskReader(group);
    const own = agentConsumerGroup(group, "ann");
    await ann.start();
    const crashed = ann.child!;
    crashed.process.kill("SIGKILL");
    await crashed.exit();
    // The killed run is still a member of its groups: its session has not ended.
    assert.equal(await reader.transport.groupMembers(own), 1);

    const restartedAt = Date.now();
    const restarted = await startOrEnd(ann);
    assert.equal(restarted.exited, undefined, `the restart ended: ${restarted.stderr}`);
    console.log(`restarted in ${Date.now() - restartedAt} ms`);
    await reader.transport.produce([
      requestRecord(agentInbox(group, "ann"), {
        id: "after-crash",
        content: "Still there?",
        from: "sh-agent",
        to: "ann",
      }),
    ]);
    await waitFor(() => reader.responses().length > 0, "the restarted gateway's answer", {
      timeoutMs: 60_000,
      state: () => ({ seen: reader.seen, gateways: tails([ann]) }),
    });
    const [response] = reader.responses();
    assert.equal(response!.correlation_id, "after-crash");
    assert.equal(response!.sender_id, "ann");
    assert.equal(response!.payload.content, "answered by ann");

    // Another home, the same agent id, while ann runs: refused, in one line.
    await using twin = await gateway(group, "ann", open);
    const second = await startOrEnd(twin);
    assert.equal(await second.exit(), 1, second.stderr);
    // One line, then the hint every error ends with; no stack trace.
    const said = second.stderr.trim().split("\n");
    assert.deepEqual(said.slice(1), ["kafclaw: run again with --debug for details"]);
    assert.match(
      said[0]!,
      new RegExp(
        `Cannot join group "${group}": agent "ann" already runs in it ` +
          `\\(pid ${restarted.process.pid} on host [^)]+\\)`,
      ),
    );
    assert.equal(restarted.exited, undefined, "the first one still runs");
    assert.equal(await restarted.stop("SIGTERM"), 0, restarted.stderr);
  },
);

/** Starts `g` and waits until it has started or ended; returns its process. */
async function startOrEnd(g: Awaited<ReturnType<typeof gateway>>) {
  const child = g.child = new Child(kafclawCommand(["gateway", "--json"], g.env));
  await waitFor(
    () => /"event":"started"/.test(child.stdout) || child.exited !== undefined,
    `${g.id} started or ended`,
    { timeoutMs: 60_000, state: () => tails([g]) },
  );
  if (child.exited !== undefined) await child.exit();
  return child;
}
