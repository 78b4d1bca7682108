/**
 * `/api/v1/status`'s body from a gateway's parts: the group's health from its own roster, the
 * uptime from its start, the orchestrator asked only where the mode runs one.
 */
import assert from "node:assert/strict";
import { NO_ORCHESTRATOR, statusOf, type StatusSource } from "../../../web/mod.ts";
import { VERSION } from "../../../core/version.ts";

type Row = { agentId: string; status: "active" | "stale" };

function source(mode: StatusSource["mode"], kafka: boolean, rows: Row[]): StatusSource {
  return { mode, agentId: "ann", group: "g1", kafka, membership: { members: () => rows } };
}

Deno.test("a standalone gateway's group is local and it runs no orchestrator", () => {
  const status = statusOf(source("standalone", false, [{ agentId: "ann", status: "active" }]), {
    startedAt: 1_000,
    now: () => 62_900,
  })();
  assert.deepEqual(status, {
    version: VERSION,
    mode: "standalone",
    agent_id: "ann",
    uptime_seconds: 61,
    group: { enabled: false, name: "g1", health: "local", members: 1, live: 1 },
    orchestrator: { enabled: false, active: false, reason: "standalone mode runs no orchestrator" },
    agents: [],
    channels: {},
  });
});

Deno.test("each chat channel's state is in the status, asked at each call", () => {
  let connected = true;
  const status = statusOf(source("standalone", false, []), {
    startedAt: 0,
    channels: () => ({
      telegram: connected
        ? { connected }
        : { connected, lastError: "Bot API: 502", lastErrorAt: "2026-12-05T09:00:00Z" },
    }),
  });
  assert.deepEqual(status().channels, { telegram: { connected: true } });
  connected = false;
  assert.deepEqual(status().channels.telegram, {
    connected: false,
    last_error: "Bot API: 502",
    last_error_at: "2026-12-05T09:00:00Z",
  });
});

Deno.test("each agent the gateway runs is listed, with its state on the lead's roster", () => {
  const rows: Row[] = [{ agentId: "ann", status: "active" }, { agentId: "ben", status: "stale" }];
  const agent = (agentId: string, lead: boolean) => ({
    agentId,
    name: agentId.toUpperCase(),
    model: `openai/${agentId}`,
    lead,
    home: `/h/${agentId}`,
    workspace: `/h/${agentId}/workspace`,
    skills: lead ? [] : ["sql"],
    running: lead ? 0 : 1,
    capacity: 4,
  });
  const status = statusOf(source("standalone", false, rows), {
    startedAt: 0,
    agents: () => [agent("ann", true), agent("ben", false), agent("cy", false)],
  });
  assert.deepEqual(status().agents.map((a) => [a.agent_id, a.lead, a.status, a.tasks.running]), [
    ["ann", true, "active", 0],
    ["ben", false, "stale", 1],
    ["cy", false, "unknown", 1],
  ]);
  assert.deepEqual(status().agents[1], {
    agent_id: "ben",
    name: "BEN",
    model: "openai/ben",
    lead: false,
    home: "/h/ben",
    workspace: "/h/ben/workspace",
    skills: ["sql"],
    status: "stale",
    tasks: { running: 1, capacity: 4 },
  });
});

Deno.test("over Kafka the group is ok while the agent is active on its own roster", () => {
  const rows: Row[] = [{ agentId: "ann", status: "active" }, { agentId: "ben", status: "stale" }];
  const status = statusOf(source("group", true, rows), { startedAt: Date.now() });
  assert.deepEqual(status().group, {
    enabled: true,
    name: "g1",
    health: "ok",
    members: 2,
    live: 1,
  });
  rows[0] = { agentId: "ann", status: "stale" };
  assert.equal(status().group.health, "degraded");
  rows.shift();
  assert.deepEqual(status().group, {
    enabled: true,
    name: "g1",
    health: "degraded",
    members: 1,
    live: 0,
  });
});

Deno.test("full and headless ask the orchestrator, and say why it is not active without one", () => {
  for (const mode of ["full", "headless"] as const) {
    const plain = statusOf(source(mode, true, []), { startedAt: 0 })();
    assert.deepEqual(plain.orchestrator, { enabled: true, ...NO_ORCHESTRATOR });
    const asked = statusOf(source(mode, true, []), {
      startedAt: 0,
      orchestrator: () => ({ active: true }),
    })();
    assert.deepEqual(asked.orchestrator, { enabled: true, active: true });
  }
});

Deno.test("the status names the agent loop's provider and model when given", () => {
  const gateway = {
    mode: "standalone" as const,
    agentId: "local",
    group: "g",
    kafka: false,
    membership: { members: () => [] },
  };
  const status = statusOf(gateway, { startedAt: 0, now: () => 0, model: "openrouter/x/y-7b" })();
  assert.deepEqual(status.model, { provider: "openrouter", name: "x/y-7b" });
  assert.equal("model" in statusOf(gateway, { startedAt: 0 })(), false);
});
