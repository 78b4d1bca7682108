/**
 * The group endpoints of a gateway in group mode (an in-process broker): they answer, and the
 * orchestrator's are a 409 that says which mode runs one; a task sent through the API is queued
 * for the requester, which sends it to ben and keeps his answer.
 */
import assert from "node:assert/strict";
import { apiOf, groupTaskAnswered } from "../../../_support/api.ts";
import { gatewayOf, inProcessEnv, inProcessGroup } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("a group-mode gateway's API sends tasks and reads the group; no orchestrator, a 409", async () => {
  const { group, more } = await inProcessGroup("gapi");
  await using ann = await apiOf({
    ...inProcessEnv(group, "ann"),
    KAFCLAW_GROUP_MEMORY_QUOTA_ITEMS: "1",
  }, { more });
  await using _ben = await gatewayOf(inProcessEnv(group, "ben"), {
    answer: { text: "answered by ben" },
    more,
  });
  await waitFor(() => ann.gateway.membership.live().length === 2, "ann to see ben");
  const status = await ann.json("/api/v1/group");
  assert.deepEqual([status.mode, status.members, status.left], ["group", 2, false]);
  const task = await groupTaskAnswered(ann, "ben", "Say hi");
  assert.equal(task.responseContent, "answered by ben");
  const bad = await ann.json(
    "/api/v1/group/tasks",
    { body: { content: "x", to: { who: 1 } } },
    400,
  );
  assert.match(bad.error.message, /body field "to"/);
  const shared = await ann.json("/api/v1/group/memory", {
    body: { title: "Boiler", content: "The boiler code is 4711", tags: ["home"] },
  }, 202);
  assert.match(shared.item_id, /^mem-/);
  await waitFor(async () => {
    const found = await ann.json("/api/v1/group/memory?q=boiler");
    return found.hits.some((h: { content: string }) => h.content.includes("4711"));
  }, "the shared item searchable as the group's");
  const huge = await ann.json("/api/v1/group/memory", {
    body: { title: "Big", content: "x".repeat(1024 * 1024 + 1) },
  }, 413);
  assert.equal(huge.error.code, "too_large");
  const over = await ann.json("/api/v1/group/memory", {
    body: { title: "Again", content: "one item an hour" },
  }, 409);
  assert.equal(over.error.code, "not_shared");
  assert.match(over.error.message, /^Cannot share now/);
  const none = await ann.json("/api/v1/orchestrator/hierarchy", {}, 409);
  assert.equal(none.error.code, "no_orchestrator");
  assert.match(none.error.message, /group mode.*full mode/);
});
