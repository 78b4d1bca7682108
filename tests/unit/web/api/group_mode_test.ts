/**
 * The group endpoints of a gateway in group mode (an in-process broker): they answer, in
 * snake_case as the whole API, and the orchestrator's are a 409 that says which mode runs one; a
 * task sent through the API is queued for the requester, which sends it to ben and keeps his
 * answer.
 */
import assert from "node:assert/strict";
import { apiOf, assertSnakeCase, groupTaskAnswered } from "../../../_support/api.ts";
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
  assert.equal(task.response_content, "answered by ben");
  const sent = { task_id: task.task_id };
  await waitFor(
    async () => (await ann.call(`/api/v1/group/tasks/${sent.task_id}/trace`)).status === 200,
    "the task's spans",
  );
  const trace = await ann.json(`/api/v1/group/tasks/${sent.task_id}/trace`);
  assert.ok(trace.roots[0].span.span_id, JSON.stringify(trace));
  const [member] = (await ann.json("/api/v1/group/members")).items;
  assert.equal(typeof member.last_seen, "number");
  for (
    const path of [
      "/api/v1/group",
      "/api/v1/group/members",
      "/api/v1/group/tasks",
      `/api/v1/group/tasks/${sent.task_id}`,
      `/api/v1/group/tasks/${sent.task_id}/trace`,
      "/api/v1/group/traces",
      `/api/v1/group/traces/${trace.trace_id}`,
      "/api/v1/group/skills",
      "/api/v1/group/topics",
    ]
  ) assertSnakeCase(await ann.json(path), path);
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

Deno.test("the group's audit answers its events as the timeline does: snake_case, documented", async () => {
  const { group, more } = await inProcessGroup("gaudit");
  await using ann = await apiOf(inProcessEnv(group, "ann"), { more });
  // What the membership keeps of a record it dropped.
  const kept = ann.gateway.runtime.timeline.events.record({
    kind: "GROUP",
    sender: "mallory",
    contentText: `dropped a record on group.${group}.requests: not signed`,
    metadata: { event_type: "unsigned", code: "unsigned", topic: `group.${group}.requests` },
  });
  const audit = await ann.json("/api/v1/group/audit?limit=10");
  assert.deepEqual(Object.keys(audit), ["items", "next"]);
  const event = audit.items.find((e: { event_id: string }) => e.event_id === kept.eventId);
  assert.deepEqual(event, {
    ...event,
    kind: "GROUP",
    sender: "mallory",
    content_text: kept.contentText,
    started_at: kept.startedAt.toISOString(),
    metadata: kept.metadata,
  });
  for (const key of Object.keys(event)) assert.match(key, /^[a-z]+(_[a-z]+)*$/);
  const timeline = await ann.json("/api/v1/timeline?kind=GROUP&limit=10");
  assert.deepEqual(audit.items, timeline.items, "the same events, the same shape");
  const bad = await ann.json("/api/v1/group/audit?limit=0", {}, 400);
  assert.match(bad.error.message, /"limit"/);

  const doc = await ann.json("/api/v1/openapi.json");
  const answer = doc.paths["/api/v1/group/audit"].get.responses["200"].content["application/json"];
  assert.ok(answer.schema.properties.items.items.properties.content_text, "the audit's schema");
});
