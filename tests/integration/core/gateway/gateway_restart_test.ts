/**
 * A gateway restarted right after a crash, on the real broker. A `kafclaw gateway` process that is
 * SIGKILLed leaves its consumers in the broker's groups until their session times out (30 s);
 * started again at once on the same home, it takes them for what they are (members of a process
 * of this host that is gone), removes them, starts, and answers a task sent to its inbox. A second
 * gateway with the same agent id while the first one lives is still refused, in one line naming
 * where the first one runs (its pid from the group metadata, the host name this host's own: the
 * metadata names no host). Started at once in another home of the same host with the same agent
 * id, the dead run is proven gone by its pid and start time, whatever its home.
 *
 * On the old check (any member of the agent's consumer group refused the start) the restart was
 * refused until the broker expired the dead session; on the check before this one, the start in
 * another home was (the new home's process may not read the old home).
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
    await using crash = await crashedGateway("gwr");
    const { group, open, ann } = crash;

    const restartedAt = Date.now();
    const restarted = await startOrEnd(ann);
    assert.equal(restarted.exited, undefined, `the restart ended: ${restarted.stderr}`);
    console.log(`restarted in ${Date.now() - restartedAt} ms`);
    const response = await answerOf(crash, "after-crash", [ann]);
    assert.equal(response.sender_id, "ann");
    assert.equal(response.payload.content, "answered by ann");

    // Another home, the same agent id, while ann runs: refused, in one line.
    await using twin = await gateway(group, "ann", open);
    const second = await startOrEnd(twin);
    assert.equal(await second.exit(), 1, second.stderr);
    // One line that says where the other runs and what to do; no stack trace, no --debug hint.
    const said = second.stderr.trim().split("\n");
    assert.equal(said.length, 1, second.stderr);
    assert.match(
      said[0]!,
      new RegExp(
        `^kafclaw: Cannot join group "${group}": agent "ann" already runs in it ` +
          `\\(pid ${restarted.process.pid} on host ${Deno.hostname()}\\); stop that one first`,
      ),
    );
    assert.equal(restarted.exited, undefined, "the first one still runs");
    assert.equal(await restarted.stop("SIGTERM"), 0, restarted.stderr);
  },
);

Deno.test(
  "a gateway SIGKILLed in one home is replaced at once by one with its agent id in another home of this host",
  opts,
  async () => {
    await using crash = await crashedGateway("gwh");
    const { group, open, ann } = crash;

    // The same agent id, another home: the dead run is proven gone by its pid and start time.
    await using moved = await gateway(group, "ann", open);
    const started = await startOrEnd(moved);
    assert.equal(started.exited, undefined, `the start was refused: ${started.stderr}`);
    assert.equal((await answerOf(crash, "moved", [ann, moved])).sender_id, "ann");
    assert.equal(await started.stop("SIGTERM"), 0, started.stderr);
  },
);

/**
 * A group in open mode with gateway `ann`, started, then SIGKILLed: its consumers are still
 * members of their groups (their session has not ended). Disposing ends both.
 */
async function crashedGateway(prefix: string) {
  const group = uniqueName(prefix).replaceAll("-", "");
  const open = { KAFCLAW_GROUP_SECURITY: "open" };
  const ann = await gateway(group, "ann", open);
  const made = await kafclaw(["group", "init", "--json"], ann.env);
  assert.equal(made.code, 0, made.stderr);
  const reader = await taskReader(group);
  await ann.start();
  const crashed = ann.child!;
  crashed.process.kill("SIGKILL");
  await crashed.exit();
  assert.equal(await reader.transport.groupMembers(agentConsumerGroup(group, "ann")), 1);
  return {
    group,
    open,
    ann,
    reader,
    async [Symbol.asyncDispose]() {
      await reader[Symbol.asyncDispose]();
      await ann[Symbol.asyncDispose]();
    },
  };
}

/** Sends task `id` to ann's inbox and returns the answer, once one comes. */
async function answerOf(
  crash: Awaited<ReturnType<typeof crashedGateway>>,
  id: string,
  gateways: Parameters<typeof tails>[0],
) {
  const { group, reader } = crash;
  await reader.transport.produce([
    requestRecord(agentInbox(group, "ann"), { id, content: "Still there?", from: "sh", to: "ann" }),
  ]);
  await waitFor(() => reader.responses().some((r) => r.correlation_id === id), `${id}'s answer`, {
    timeoutMs: 60_000,
    state: () => ({ seen: reader.seen, gateways: tails(gateways) }),
  });
  return reader.responses().find((r) => r.correlation_id === id)!;
}

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
