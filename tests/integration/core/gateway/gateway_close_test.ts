/**
 * A gateway stopped (SIGTERM) while its tasks run, on the real broker. Its inbox takes no further
 * task, and the tasks running get half of the stop's time: one whose answer comes meanwhile is
 * answered and its record committed; one still running at the end of it is declined and its
 * record left uncommitted. Started again on the same home, the gateway is handed that one only.
 *
 * On the old stop every running task was given up at once (declined, its answer never sent), and
 * a task answered during the stop was redone after a restart, as its record was never committed.
 */
import assert from "node:assert/strict";
import { agentConsumerGroup, agentInbox } from "../../../../core/protocol/mod.ts";
import type { FakeChatRequest } from "../../../fakes/openai_server.ts";
import { committedAt } from "../../../_support/broker.ts";
import { kafclaw } from "../../../_support/cli.ts";
import { gateway, tails, taskReader } from "../../../_support/gateway_group.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const asks = (request: FakeChatRequest, text: string) =>
  JSON.stringify(request.messages ?? []).includes(text);

Deno.test(
  "a gateway stopped while its tasks run answers and commits the one that ends in the grace, declines the other uncommitted, and after a restart is handed only that one",
  opts,
  async () => {
    const group = uniqueName("gwclose").replaceAll("-", "");
    const answerQuick = Promise.withResolvers<void>();
    // Each of the two first turns: the quick task's answer waits for the test, the slow one never
    // comes; later turns answer "answered by ann".
    const turn = (request: FakeChatRequest) =>
      asks(request, "quick task")
        ? answerQuick.promise.then(() => ({ text: "quick answer" }))
        : { hang: true };
    await using ann = await gateway(group, "ann", { KAFCLAW_GROUP_SECURITY: "open" }, [
      turn,
      turn,
    ]);
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await using reader = await taskReader(group);
    await ann.start();
    const inbox = agentInbox(group, "ann");
    const own = agentConsumerGroup(group, "ann");
    // One partition: the quick task at offset 0, the slow one at 1.
    await reader.transport.produce([
      requestRecord(inbox, { id: "quick", content: "quick task", from: "sh-agent", to: "ann" }),
      requestRecord(inbox, { id: "slow", content: "slow task", from: "sh-agent", to: "ann" }),
    ]);
    const state = () => ({ seen: reader.seen.length, gateways: tails([ann]) });
    await waitFor(() => ann.llm.chatRequests().length === 2, "ann thinking on both tasks", {
      timeoutMs: 60_000,
      state,
    });

    const first = ann.child!;
    first.process.kill("SIGTERM");
    // The stop has reached the task side once the shared memory's consumer (stopped just
    // before it) has left its group; only then does the quick task's answer come.
    await waitFor(
      async () => (await reader.transport.groupMembers(`${own}.memory`)) === 0,
      "ann's stop past its shared memory",
      { timeoutMs: 30_000, state },
    );
    answerQuick.resolve();
    assert.equal(await first.exit(), 0, first.stderr);

    const contents = () =>
      reader.responses().map((r) => `${r.correlation_id}:${r.payload.content}`);
    await waitFor(() => contents().length > 0, "the quick task's answer read", { state });
    assert.deepEqual(contents(), ["quick:quick answer"], "answered in the grace; the slow not");
    await waitFor(
      () => reader.statuses("slow").includes("ann:declined@1"),
      "the slow task declined",
      { state: () => reader.statuses("slow") },
    );
    assert.equal(
      await committedAt(`${own}.inbox`, inbox),
      1,
      "committed past the quick task, never past the slow one",
    );

    // Started again on the same home, ann is handed the slow task only.
    await ann.start();
    await waitFor(() => contents().includes("slow:answered by ann"), "the slow task answered", {
      timeoutMs: 60_000,
      state,
    });
    const asked = (text: string) =>
      ann.llm.chatRequests().filter((r) => asks(r.body as FakeChatRequest, text));
    assert.equal(asked("quick task").length, 1, "the quick task was not run again");
    assert.equal(asked("slow task").length, 2, "the slow task ran again after the restart");
    assert.deepEqual(contents(), ["quick:quick answer", "slow:answered by ann"]);
    assert.equal(await ann.child!.stop("SIGTERM"), 0, ann.child!.stderr);
  },
);
