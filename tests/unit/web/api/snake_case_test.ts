/**
 * Every answer of the API is snake_case: each GET endpoint the OpenAPI document lists is called on
 * a group-mode gateway that holds one of everything (a session, a task, its trace, a job, an
 * approval, a decision, memory, a group task answered by another agent with its spans, a group
 * event), and no key of an answer is camelCase but inside the data it carries. An endpoint added
 * later is called too, so one that answers a core record as it is fails here.
 */
import assert from "node:assert/strict";
import { memberTopicSpecs } from "../../../../core/group/mod.ts";
import { MemoryBroker, MemoryTransport } from "../../../../core/transport/mod.ts";
import { apiOf, assertSnakeCase } from "../../../_support/api.ts";
import { gatewayOf, inProcessEnv } from "../../../_support/gateway_memory.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";
import { DEFAULT_LIMITS } from "../../../../web/mod.ts";

/** Answers that are not the API's JSON words: the OpenAPI document's keywords, Prometheus text. */
const NOT_OURS = new Set(["/api/v1/openapi.json", "/metrics"]);

Deno.test("every GET endpoint answers snake_case keys, but inside the data it carries", async () => {
  const group = uniqueName("snake").replaceAll("-", "");
  const broker = new MemoryBroker();
  await new MemoryTransport({ broker }).createTopics(
    memberTopicSpecs(group, { workPartitions: 3 }),
  );
  const more = { transport: new MemoryTransport({ broker }) };
  await using ann = await apiOf(inProcessEnv(group, "ann"), {
    more,
    answer: { text: "noted" },
    limits: { ...DEFAULT_LIMITS, burst: 10_000 },
  });
  await using _ben = await gatewayOf(inProcessEnv(group, "ben"), {
    answer: { text: "answered by ben" },
    more,
  });
  await waitFor(() => ann.gateway.membership.live().length === 2, "ann to see ben");

  const { timeline, memory } = ann.gateway.runtime;
  await ann.json("/api/v1/chat", { body: { message: "remember the boiler", session: "s" } });
  await memory.remember("The boiler code is 4711");
  await ann.json("/api/v1/scheduler/jobs", {
    body: { name: "morning", schedule: "0 8 * * *", message: "Report" },
  }, 201);
  const root = timeline.events.record({ kind: "INBOUND", sessionKey: "telegram:42" });
  const { task } = timeline.tasks.create({
    idempotencyKey: "telegram:42:1",
    channel: "telegram",
    traceId: root.traceId,
    contentIn: "What time is it?",
  });
  timeline.tasks.complete(task.taskId, "Noon");
  timeline.approvals.create({
    approvalId: "ap1",
    traceId: root.traceId,
    tool: "exec",
    tier: 2,
    arguments: { command: "ls", workingDir: "." },
    requester: "telegram:42",
    channel: "telegram",
    expiresAt: new Date(Date.now() + 60_000),
  });
  timeline.decisions.record({
    traceId: root.traceId,
    tool: "exec",
    tier: 2,
    sender: "42",
    channel: "telegram",
    messageType: "external",
    taint: "untrusted",
    allowed: false,
    requiresApproval: true,
    reason: "tier_2_requires_approval",
  });
  timeline.events.record({
    kind: "GROUP",
    sender: "mallory",
    contentText: "dropped a record",
    metadata: { event_type: "unsigned", byTopic: { requests: 1 } },
  });
  timeline.workedTasks.record({
    taskId: "w-1",
    attempt: 1,
    type: "request",
    request: { task_id: "w-1", attempt: 1, content: "Add up", requester_id: "ben" },
    taint: "untrusted",
    zone: undefined,
    status: "completed",
    answer: "3",
    reason: undefined,
    receivedAt: new Date(),
    endedAt: new Date(),
  });
  const sent = await ann.json("/api/v1/group/tasks", {
    body: { content: "Say hi", to: { agent: "ben" } },
  }, 202);
  await waitFor(
    async () => (await ann.call(`/api/v1/group/tasks/${sent.task_id}/trace`)).status === 200,
    "ben's answer and its spans",
  );
  const trace = await ann.json(`/api/v1/group/tasks/${sent.task_id}/trace`);

  const samples: Record<string, string> = {
    "{key}": "api:s",
    "{name}": "morning",
  };
  const pathOf = (path: string) => {
    if (path.startsWith("/api/v1/group/traces/")) return path.replace("{id}", trace.trace_id);
    if (path.startsWith("/api/v1/group/worked/")) return path.replace("{id}", "w-1");
    if (path.startsWith("/api/v1/group/")) return path.replace("{id}", sent.task_id);
    if (path.startsWith("/api/v1/approvals/")) return path.replace("{id}", "ap1");
    if (path.startsWith("/api/v1/traces/")) return path.replace("{id}", root.traceId);
    return path.replace("{id}", task.taskId).replace(/\{\w+\}/, (p) => samples[p] ?? p);
  };
  const queries: Record<string, string> = {
    "/api/v1/memory/search": "?q=boiler",
    "/api/v1/group/memory": "?q=boiler",
  };
  const doc = await ann.json("/api/v1/openapi.json");
  const answered: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
    if (!("get" in methods) || NOT_OURS.has(path) || path.endsWith("/stream")) continue;
    const url = pathOf(path) + (queries[path] ?? "");
    const response = await ann.call(url);
    const body = await response.json();
    assert.ok(response.status < 500, `${url}: ${response.status} ${JSON.stringify(body)}`);
    assertSnakeCase(body, url);
    if (response.status === 200) answered.push(path);
  }
  // Every endpoint with something to show answered it (the orchestrator's are a 409 here).
  const missing = Object.keys(doc.paths).filter((p) =>
    "get" in doc.paths[p] && !answered.includes(p) && !NOT_OURS.has(p) &&
    !p.endsWith("/stream") && !p.startsWith("/api/v1/orchestrator/") &&
    p !== "/api/v1/group/manifest"
  );
  assert.deepEqual(missing, []);
});
