/**
 * `kafclaw gateway` with two agents in agents.list, as a user runs it, without a broker: both run
 * in the one process as members of an in-process group; a task submitted in the gateway's home
 * goes from the lead to the other agent, whose own model answers it; `kafclaw group members` and
 * `kafclaw status` show both. The scenario with delegate_task is in tests/unit/core/gateway.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewayEnv } from "../_support/gateway_env.ts";
import { waitFor } from "../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a gateway runs the two agents of agents.list in one process; one delegates a task to the other",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      models: { "gpt-helper": [{ text: "Lima" }] },
      fallback: { text: "not scripted" },
    });
    const agents = [
      { id: "asker", default: true, name: "Asker", model: "openai/gpt-asker" },
      { id: "helper", default: false, model: "openai/gpt-helper", skills: ["geography"] },
    ];
    const env = gatewayEnv(home.path, llm, {
      KAFCLAW_AGENTS_LIST: JSON.stringify(agents),
      NO_COLOR: "1",
    });
    await using gateway = new Child(kafclawCommand(["gateway", "--json"], env));
    await gateway.until(/"event":"started"/);
    const started = jsonOf(gateway, { line: "first", what: "kafclaw gateway" });
    assert.equal(started.mode, "standalone");
    assert.equal(started.agent_id, "asker");
    assert.deepEqual(started.agents, ["asker", "helper"]);
    assert.equal(started.kafka, false);

    // Both are on the lead's roster, as group members prints it from the running gateway.
    const members = async () => {
      const out = await kafclaw(["group", "members", "--json"], env);
      assert.equal(out.code, 0, out.stderr);
      const parsed = jsonOf(out) as {
        source: string;
        members: { agent_id: string; status: string }[];
      };
      return parsed.members.map((m) => `${parsed.source}:${m.agent_id}:${m.status}`).sort();
    };
    await waitFor(
      async () => (await members()).join() === "agent:asker:active,agent:helper:active",
      "both agents active on the lead's roster",
      { state: members },
    );

    // A task from the lead's home to helper, answered by helper's own model.
    const submitted = await kafclaw(
      ["task", "submit", "What is the capital of Peru?", "--to", "helper", "--wait", "--json"],
      env,
    );
    assert.equal(submitted.code, 0, `${submitted.stderr}\n${gateway.stderr}`);
    const task = jsonOf(submitted) as Record<string, unknown>;
    assert.equal(task.status, "completed");
    assert.equal(task.answer, "Lima");
    assert.deepEqual(task.workers, ["helper"]);
    const helperAsked = llm.chatRequests().filter((r) =>
      (r.body as { model?: string }).model === "gpt-helper"
    );
    assert.equal(helperAsked.length, 1);
    assert.match(JSON.stringify(helperAsked[0]!.body), /What is the capital of Peru\?/);

    // kafclaw status lists both, the lead first, each with its model and home.
    const status = await kafclaw(["status", "--json"], env);
    assert.equal(status.code, 0, status.stderr);
    const body = jsonOf(status) as {
      running: boolean;
      agent_id: string;
      agents: { agent_id: string; lead: boolean; model: string; home: string; skills: string[] }[];
    };
    assert.equal(body.running, true);
    assert.equal(body.agent_id, "asker");
    assert.deepEqual(
      body.agents.map((a) => [a.agent_id, a.lead, a.model, a.home, a.skills]),
      [
        ["asker", true, "openai/gpt-asker", home.path, []],
        ["helper", false, "openai/gpt-helper", join(home.path, "agents", "helper"), ["geography"]],
      ],
    );
    const text = await kafclaw(["status"], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^agents +asker \(lead\): openai\/gpt-asker, active, /m);
    assert.match(text.stdout, /^ +helper: openai\/gpt-helper, active, .*skills geography/m);
    // Helper keeps its own timeline and workspace in its own home, which only its user may enter.
    const helperHome = join(home.path, "agents", "helper");
    assert.equal((await Deno.stat(helperHome)).mode! & 0o777, 0o700);
    await Deno.stat(join(helperHome, "timeline.db"));
    await Deno.stat(join(helperHome, "workspace"));

    assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
    const stopped = jsonOf(gateway, { line: "last", what: "kafclaw gateway" });
    assert.deepEqual(stopped.late, []);
  },
);
