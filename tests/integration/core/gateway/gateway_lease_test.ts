/**
 * A worker's gateway process SIGKILLed after its grant and before its side effect, on the real
 * broker (PROTOCOL.md, semantics 3): the requester's lease lapses, attempt 2 goes to another
 * worker's inbox, and the side effect (a file written by the tier-1 `write_file`, allowed because
 * the group's certificates are vouched) happens exactly once. The fake LLM of the first worker
 * holds its answer, so the test knows the worker is thinking, grant in hand, when it kills it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createAgentRuntime } from "../../../../core/agent/mod.ts";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { Gateway } from "../../../../core/gateway/mod.ts";
import { agentKey, writeCertificate } from "../../../../core/group/mod.ts";
import { agentInbox } from "../../../../core/protocol/mod.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { kafclaw, tempHome } from "../../../_support/cli.ts";
import { envOf, gateway, taskReader } from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Gives the agent of `home` a key and a vouched certificate, issued in the owner's home. */
async function vouch(ownerEnv: Record<string, string>, home: string, agentId: string) {
  const identity = join(home, "identity");
  const key = await agentKey(identity);
  const admitted = await kafclaw(
    ["group", "admit", agentId, "--public-key", key.publicKeyText, "--vouched", "--json"],
    ownerEnv,
  );
  assert.equal(admitted.code, 0, admitted.stderr);
  await writeCertificate(identity, JSON.parse(admitted.stdout).certificate);
}

Deno.test(
  "a worker SIGKILLed after its grant: the lease lapses, attempt 2 goes to another worker, the side effect happens once",
  opts,
  async () => {
    const group = uniqueName("gwl").replaceAll("-", "");
    await using boss = await gateway(group, "boss");
    const made = await kafclaw(["group", "init", "--json"], boss.env);
    assert.equal(made.code, 0, made.stderr);
    const pinned = { KAFCLAW_GROUP_OWNER_PUBLIC_KEY: JSON.parse(made.stdout).owner_public_key };
    const write = {
      toolCalls: [{ id: "w", name: "write_file", arguments: { path: "once.txt", content: "x" } }],
    };
    // ben thinks for ten minutes before it would write; cy writes, then answers.
    await using ben = await gateway(group, "ben", pinned, [{ ...write, delayMs: 600_000 }]);
    await using cy = await gateway(group, "cy", pinned, [write, { text: "written by cy" }]);
    for (const worker of [ben, cy]) await vouch(boss.env, worker.home, worker.id);
    await ben.start();
    await cy.start();
    // The requester: a gateway in this process, with a lease of 3 s.
    await using home = await tempHome();
    await vouch(boss.env, home.path, "req");
    await using llm = await startFakeOpenAI({ fallback: { text: "unused" } });
    const config = resolveConfig({
      home: home.path,
      env: envOf(group, "req", home.path, llm, pinned),
    });
    const requester = await Gateway.start(config, {
      createRuntime: (c) => createAgentRuntime(c, {}),
      leaseMs: 3_000,
    });
    try {
      await waitFor(
        () => requester.membership.live().length === 3,
        "the requester to see ben and cy live",
        { timeoutMs: 30_000 },
      );
      await using reader = await taskReader(group);
      const taskId = crypto.randomUUID();
      await requester.tasks.requester.send({
        type: "request",
        payload: taskPayload("req", {
          task_id: taskId,
          content: "write once.txt",
          target_id: "ben",
        }),
        taint: "trusted",
      }, { topic: agentInbox(group, "ben") });
      const granted = () =>
        reader.seen.some((e) =>
          e.type === "task_status" && e.correlation_id === taskId && e.sender_id === "req" &&
          e.payload.worker_id === "ben" && e.payload.status === "assigned"
        );
      await waitFor(
        () => granted() && ben.llm.chatRequests().length > 0,
        "ben to hold the grant and be thinking",
        { timeoutMs: 60_000 },
      );
      ben.child!.process.kill("SIGKILL");
      await ben.child!.exit();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answer = await Promise.race([
        requester.tasks.requester.answer(taskId)!,
        new Promise<never>((_, reject) =>
          timer = setTimeout(() => reject(new Error("no answer within 60 s of the kill")), 60_000)
        ),
      ]).finally(() => clearTimeout(timer));
      assert.equal(answer.status, "completed");
      assert.equal(answer.responderId, "cy");
      assert.equal(answer.content, "written by cy");
      // The side effect happened once: in cy's workspace, never in ben's.
      assert.equal(await Deno.readTextFile(join(cy.home, "workspace", "once.txt")), "x");
      await assert.rejects(
        Deno.stat(join(ben.home, "workspace", "once.txt")),
        Deno.errors.NotFound,
      );
      const statuses = reader.seen.flatMap((e) =>
        e.type === "task_status" && e.correlation_id === taskId && e.sender_id !== "req"
          ? [`${e.payload.worker_id}:${e.payload.status}@${e.payload.attempt}`]
          : []
      );
      assert.ok(statuses.includes("ben:claimed@1"), String(statuses));
      assert.ok(statuses.includes("cy:claimed@2"), String(statuses));
      assert.ok(statuses.includes("cy:completed@2"), String(statuses));
      assert.equal(reader.responses().filter((e) => e.correlation_id === taskId).length, 1);
    } finally {
      await requester.stop();
    }
    assert.equal(await cy.child!.stop("SIGTERM"), 0, cy.child!.stderr);
  },
);
