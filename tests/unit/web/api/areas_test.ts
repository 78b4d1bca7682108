/**
 * Memory, the scheduler, settings and tasks through the API of a standalone gateway: the same
 * stores the CLI commands use, checked bodies, and the refusals a user meets (a config-defined
 * job, a secret or the gateway's own keys, an unknown task).
 */
import assert from "node:assert/strict";
import { apiOf, assertSnakeCase } from "../../../_support/api.ts";

Deno.test("memory is searched, told and pruned through the API", async () => {
  await using api = await apiOf();
  await api.gateway.runtime.memory.remember("The boiler code is 4711");
  const found = await api.json("/api/v1/memory/search?q=boiler&limit=3");
  assert.equal(found.mode, "keyword");
  assert.match(found.hits[0].content, /4711/);
  assert.equal(found.hits[0].keyword_rank, 1);
  assertSnakeCase(found, "a search");
  const none = await api.json("/api/v1/memory/search?q=boiler&zone=finance");
  assert.ok(Array.isArray(none.hits));
  const status = await api.json("/api/v1/memory/status");
  assert.ok(status.chunks >= 1, JSON.stringify(status));
  assert.equal(typeof status.sqlite_vec.available, "boolean");
  assertSnakeCase(status, "memory's status");
  const pruned = await api.json("/api/v1/memory/prune", { method: "POST" });
  assert.equal(typeof pruned.remaining, "number");
  assert.equal(pruned.over_cap, 0);
  const bad = await api.json("/api/v1/memory/search", {}, 400);
  assert.match(bad.error.message, /query parameter "q"/);
  // A zone that is no zone id is refused, as the CLI's memory search --zone refuses it.
  const badZone = await api.json("/api/v1/memory/search?q=boiler&zone=finance,Ops.Team", {}, 400);
  assert.match(badZone.error.message, /zone/);
});

Deno.test("scheduler jobs are added, read, replaced, run now and removed", async () => {
  await using api = await apiOf({}, { answer: { text: "Morning report ready" } });
  const job = { name: "morning", schedule: "0 8 * * *", message: "Report" };
  const added = await api.json("/api/v1/scheduler/jobs", { body: job }, 201);
  assert.equal(added.name, "morning");
  assert.equal(added.enabled, true);
  assert.ok(Date.parse(added.next_run_at) > Date.now(), added.next_run_at);
  assertSnakeCase(added, "a job");
  const twice = await api.json("/api/v1/scheduler/jobs", { body: job }, 409);
  assert.match(twice.error.message, /exists/);
  const replaced = await api.json("/api/v1/scheduler/jobs/morning", {
    method: "PUT",
    body: { schedule: "30 9 * * MON-FRI", message: "Report now" },
  });
  assert.equal(replaced.message, "Report now");
  const run = await api.json("/api/v1/scheduler/jobs/morning/run", { method: "POST" });
  assert.equal(run.status, "succeeded");
  assert.equal(run.answer, "Morning report ready");
  assertSnakeCase(run, "a run");
  const listed = await api.json("/api/v1/scheduler/jobs");
  assert.equal(listed.items[0].run_count, 1);
  assert.equal(listed.items[0].last_status, "succeeded");
  await api.json("/api/v1/scheduler/jobs/morning", { method: "DELETE" });
  await api.json("/api/v1/scheduler/jobs/morning", {}, 404);
  const badCron = await api.json("/api/v1/scheduler/jobs", {
    body: { ...job, schedule: "99 * * * *" },
  }, 400);
  assert.match(badCron.error.message, /^Invalid job: /);
  const badName = await api.json("/api/v1/scheduler/jobs", { body: { ...job, name: "-x" } }, 400);
  assert.match(badName.error.message, /body field "name"/);
});

Deno.test("a job config.json defines is changed there, not through the API", async () => {
  await using api = await apiOf({
    KAFCLAW_SCHEDULER_ENABLED: "true",
    KAFCLAW_SCHEDULER_JOBS: JSON.stringify([{ name: "cfg", schedule: "@daily", message: "x" }]),
  });
  const refused = await api.json("/api/v1/scheduler/jobs/cfg", { method: "DELETE" }, 409);
  assert.match(refused.error.message, /scheduler\.jobs of config\.json/);
});

Deno.test("settings are read with secrets masked, and written where the API may", async () => {
  await using api = await apiOf({ KAFCLAW_GATEWAY_AUTH_TOKEN: "a-secret-token-of-the-owner-0123" });
  const read = await api.json("/api/v1/settings");
  assert.equal(JSON.stringify(read).includes("a-secret-token-of-the-owner-0123"), false);
  assert.equal(read.values.model.name, "openai/gpt-test");
  const set = await api.json("/api/v1/settings", {
    method: "PUT",
    body: { key: "agent.historyMessages", value: "42" },
  });
  assert.equal(set.value, 42);
  const file = JSON.parse(await Deno.readTextFile(`${api.home}/config.json`));
  assert.equal(file.agent.historyMessages, 42);
  for (const key of ["gateway.port", "providers.openai.apiKey", "policy"]) {
    const refused = await api.json("/api/v1/settings", {
      method: "PUT",
      body: { key, value: "1" },
    }, 409);
    assert.equal(refused.error.code, "not_writable", key);
  }
  const invalid = await api.json("/api/v1/settings", {
    method: "PUT",
    body: { key: "agent.historyMessages", value: "many" },
  }, 400);
  assert.match(invalid.error.message, /agent\.historyMessages/);
  assert.equal(
    JSON.parse(await Deno.readTextFile(`${api.home}/config.json`)).agent.historyMessages,
    42,
  );
  const unknown = await api.json("/api/v1/settings", {
    method: "PUT",
    body: { key: "agent.nothing", value: "1" },
  }, 400);
  assert.match(unknown.error.message, /agent\.nothing/);
});

Deno.test("tasks are listed, shown with their trace, and replayed as their sender", async () => {
  await using api = await apiOf({}, { chat: [{ text: "Replayed answer" }] });
  const { timeline } = api.gateway.runtime;
  const root = timeline.events.begin({ kind: "INBOUND", sessionKey: "telegram:42" });
  timeline.events.end(root.eventId);
  const { task } = timeline.tasks.create({
    idempotencyKey: "telegram:42:1",
    channel: "telegram",
    senderId: "42",
    traceId: root.traceId,
    contentIn: "What time is it?",
  });
  timeline.tasks.complete(task.taskId, "Noon");
  const { items } = await api.json("/api/v1/tasks?status=completed");
  assert.deepEqual(items.map((t: { task_id: string }) => t.task_id), [task.taskId]);
  assertSnakeCase(items, "the tasks");
  assert.deepEqual((await api.json("/api/v1/tasks?status=failed")).items, []);
  const shown = await api.json(`/api/v1/tasks/${task.taskId}`);
  assert.equal(shown.task.content_out, "Noon");
  assert.equal(
    shown.task.completed_at,
    timeline.tasks.get(task.taskId)!.completedAt!.toISOString(),
  );
  assert.equal(shown.trace[0].event.event_id, root.eventId);
  assertSnakeCase(shown, "a task");
  const trace = await api.json(`/api/v1/traces/${root.traceId}`);
  assert.equal(trace.roots.length, 1);
  assert.equal(trace.roots[0].event.span_id, root.spanId);
  assertSnakeCase(trace, "a trace");
  const replay = await api.json(`/api/v1/tasks/${task.taskId}/replay`, { method: "POST" });
  assert.deepEqual(replay.old, { status: "completed", answer: "Noon" });
  assert.equal(replay.new.answer, "Replayed answer");
  const sent = api.llm.chatRequests()[0]!.body as { messages: { content: string }[] };
  assert.match(sent.messages.at(-1)!.content, /What time is it\?/);
  await api.json("/api/v1/tasks/nope", {}, 404);
  const bad = await api.json("/api/v1/tasks?status=lost", {}, 400);
  assert.match(bad.error.message, /query parameter "status"/);
});
