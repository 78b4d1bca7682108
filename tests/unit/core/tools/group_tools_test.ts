/** The group tools: what they ask of the group's port and what the model reads back. */
import assert from "node:assert/strict";
import {
  delegateTaskTool,
  groupMembersTool,
  type GroupPort,
  shareMemoryTool,
} from "../../../../core/tools/mod.ts";
import { testContext } from "./_context.ts";

function port(
  result: Awaited<ReturnType<GroupPort["delegate"]>>,
  members: GroupPort["members"] = () => [],
) {
  const asked: unknown[] = [];
  const group: GroupPort = {
    delegate: (request) => (asked.push(request), Promise.resolve(result)),
    members,
  };
  return { group, asked };
}

Deno.test("delegate_task: the answer is untrusted content; a failure says why; no answer gives the id", async () => {
  const ok = port({
    taskId: "t1",
    answer: { status: "completed", content: "42", responderId: "b" },
  });
  const tool = delegateTaskTool(ok.group);
  assert.equal(tool.tier, 1);
  assert.deepEqual(await tool.run({ task: "6x7", agent: "b", wait_seconds: 5 }, testContext()), {
    content: "Task t1 answered by b:\n42",
    untrusted: true,
  });
  assert.deepEqual(ok.asked, [{ task: "6x7", to: { agent: "b" }, waitMs: 5000 }]);
  await tool.run({ task: "q", skill: "sql", description: "d" }, testContext());
  assert.deepEqual(ok.asked[1], {
    task: "q",
    description: "d",
    to: { skill: "sql" },
    waitMs: 120_000,
  });
  const failed = port({
    taskId: "t2",
    answer: { status: "rejected", content: "", reason: "too deep" },
  });
  assert.deepEqual(await delegateTaskTool(failed.group).run({ task: "x" }, testContext()), {
    content: "Task t2 rejected: too deep",
    isError: true,
  });
  const quiet = port({ taskId: "t3", answer: { status: "failed", content: "partial" } });
  assert.equal(
    (await delegateTaskTool(quiet.group).run({ task: "x" }, testContext())).content,
    "Task t3 failed\npartial",
  );
  const pending = port({ taskId: "t4" });
  assert.deepEqual(
    await delegateTaskTool(pending.group).run({ task: "x", wait_seconds: 0 }, testContext()),
    {
      content: "Task t4 is sent; no answer yet. It goes on without you waiting.",
    },
  );
  const absent = port({ taskId: "t5", note: '"z" is not live in the group now.' });
  assert.equal(
    (await delegateTaskTool(absent.group).run({ task: "x", agent: "z" }, testContext())).content,
    'Task t5 is sent; no answer yet. "z" is not live in the group now. It goes on without you waiting.',
  );
  assert.deepEqual(await tool.run({ task: "x", agent: "b", skill: "sql" }, testContext()), {
    content: "delegate_task takes an agent or a skill, not both",
    isError: true,
  });
});

Deno.test("group_members lists skills and load, or says nobody is there", async () => {
  const none = groupMembersTool(port({ taskId: "x" }).group);
  assert.equal((await none.run({}, testContext())).content, "No other agent is alive now.");
  const some = groupMembersTool(
    port({ taskId: "x" }, () => [
      { agentId: "b", skills: ["sql", "rust"], load: { running: 1, capacity: 4 } },
      { agentId: "c", skills: [], load: { running: 0, capacity: 2 } },
    ]).group,
  );
  assert.equal(
    (await some.run({}, testContext())).content,
    "- b: skills sql, rust; running 1 of 4\n- c: skills (none); running 0 of 2",
  );
});

Deno.test("share_memory hands the item to the group and says its id", async () => {
  const shared: unknown[] = [];
  const tool = shareMemoryTool({ share: (r) => (shared.push(r), Promise.resolve("mem-1")) });
  assert.equal(tool.tier, 1);
  assert.deepEqual(await tool.run({ title: "t", content: "c", ttl_seconds: 60 }, testContext()), {
    content: "Shared with the group as mem-1.",
  });
  await tool.run({ title: "t", content: "c", tags: ["x"] }, testContext());
  assert.deepEqual(shared, [
    { title: "t", content: "c", tags: [], ttlSeconds: 60 },
    { title: "t", content: "c", tags: ["x"] },
  ]);
});
