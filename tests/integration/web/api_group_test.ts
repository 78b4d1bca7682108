/**
 * The API's group and orchestrator endpoints on the real broker: two `kafclaw gateway` processes
 * of an open group, ann in full mode (she runs the orchestrator) and ben in group mode; through
 * ann's API over HTTP the roster shows both, a task sent to ben is answered and its trace holds
 * both agents' spans, the hierarchy holds ann's node, leaving takes ann out of the group, and
 * joining again brings her back: her node in the hierarchy, and a task she sends answered by ben.
 */
import assert from "node:assert/strict";
import { readToken } from "../../../web/mod.ts";
import { kafclaw } from "../../_support/cli.ts";
import { tails } from "../../_support/gateway_group.ts";
import { openGroup } from "../../_support/open_group.ts";
import { waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "group and orchestrator endpoints answer from a gateway in a group on the broker",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, members: [ann, ben] } = await openGroup("gwapi", stack, [
      ["ann", { KAFCLAW_ORCHESTRATOR_ENABLED: "true" }],
      ["ben"],
    ]);
    const started = JSON.parse(ann.child!.stdout.split("\n").find((l) => l.includes('"started"'))!);
    assert.equal(started.mode, "full");
    const token = await readToken(ann.home);
    const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
      const response = await fetch(`http://127.0.0.1:${started.port}${path}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      return { status: response.status, body: await response.json() };
    };
    const state = () => tails([ann, ben]);
    const ok = async (path: string, init?: { method?: string; body?: unknown }) => {
      const r = await api(path, init);
      assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };

    const status = await ok("/api/v1/group");
    assert.deepEqual([status.name, status.agent_id, status.kafka, status.security], [
      group,
      "ann",
      true,
      "open",
    ]);
    await waitFor(
      async () => {
        const { items } = await ok("/api/v1/group/members");
        return ["ann", "ben"].every((id) =>
          items.some((m: { agent_id: string; status: string }) =>
            m.agent_id === id && m.status === "active"
          )
        );
      },
      "ann and ben active on ann's roster",
      { state, timeoutMs: 60_000 },
    );
    assert.equal((await ok("/api/v1/group/topics")).requests, `group.${group}.requests`);

    const sent = await api("/api/v1/group/tasks", {
      body: { content: "What is 2 + 2?", to: { agent: "ben" } },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const taskId = sent.body.task_id;
    let task: { status: string; response_content?: string; worker_id?: string } = { status: "" };
    await waitFor(
      async () => {
        task = await ok(`/api/v1/group/tasks/${taskId}`);
        return task.status === "completed";
      },
      "ben's answer",
      { state: () => ({ task, ...state() }), timeoutMs: 90_000 },
    );
    assert.equal(task.response_content, "answered by ben");
    assert.equal(task.worker_id, "ben");
    assert.ok(
      (await ok("/api/v1/group/tasks")).items.some((t: { task_id: string }) =>
        t.task_id === taskId
      ),
    );
    // Ben keeps the task as one it worked on for ann; ann, who sent it, has none such.
    const bens = JSON.parse(ben.child!.stdout.split("\n").find((l) => l.includes('"started"'))!);
    const benToken = await readToken(ben.home);
    const atBen = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${bens.port}${path}`, {
        headers: { authorization: `Bearer ${benToken}` },
      });
      return { status: response.status, body: await response.json() };
    };
    let worked = { status: 0, body: {} as Record<string, unknown> };
    await waitFor(
      async () => (worked = await atBen(`/api/v1/group/worked/${taskId}`)).status === 200,
      "the task kept at ben as worked on",
      { state: () => ({ worked, ...state() }) },
    );
    assert.deepEqual(
      [worked.body.status, worked.body.answer, worked.body.attempt, worked.body.zone],
      ["completed", "answered by ben", 1, null],
    );
    assert.equal((worked.body.request as Record<string, unknown>).requester_id, "ann");
    const benWorked = (await atBen("/api/v1/group/worked")).body.items as { task_id: string }[];
    assert.deepEqual(benWorked.map((t) => t.task_id), [taskId]);
    const notAtAnn = await api(`/api/v1/group/worked/${taskId}`);
    assert.equal(notAtAnn.status, 404);
    assert.equal(notAtAnn.body.error.message, `No task ${taskId} was worked on here`);
    assert.deepEqual((await ok("/api/v1/group/worked")).items, []);

    let agents: string[] = [];
    await waitFor(
      async () => {
        const r = await api(`/api/v1/group/tasks/${taskId}/trace`);
        agents = r.status === 200 ? r.body.agents : [];
        return agents.includes("ann") && agents.includes("ben");
      },
      "the task's spans of both agents",
      { state: () => ({ agents, ...state() }), timeoutMs: 60_000 },
    );

    const traces = await ok("/api/v1/group/traces?limit=5");
    assert.ok(traces.items.some((t: { agents: string[] }) => t.agents.includes("ben")));
    const skills = await ok("/api/v1/group/skills");
    assert.ok(Array.isArray(skills.directory));
    assert.ok(Array.isArray((await ok("/api/v1/group/audit")).items));
    assert.ok(Array.isArray((await ok("/api/v1/group/memory?q=anything")).hits));
    const manifest = await ok("/api/v1/group/manifest");
    assert.deepEqual([manifest.group_name, manifest.security_mode], [group, "open"]);

    const annsNode = (what: string) =>
      waitFor(
        async () => {
          const { nodes } = await ok("/api/v1/orchestrator/hierarchy");
          return nodes.some((n: { agent_id: string }) => n.agent_id === "ann");
        },
        what,
        { state, timeoutMs: 60_000 },
      );
    await annsNode("ann's node in the hierarchy");
    const roster = await ok("/api/v1/orchestrator/agents");
    assert.ok(
      roster.items.some((a: { agent_id: string; node: unknown }) =>
        a.agent_id === "ann" && a.node !== null
      ),
    );
    assert.ok(Array.isArray((await ok("/api/v1/orchestrator/zones")).items));
    // ben runs no orchestrator node, so nothing lives below ann: a clear refusal.
    const dispatched = await api("/api/v1/orchestrator/dispatch", { body: { content: "Hi" } });
    assert.equal(dispatched.status, 409, JSON.stringify(dispatched.body));
    assert.equal(dispatched.body.error.code, "no_target");

    const scrape = async () =>
      await (await fetch(`http://127.0.0.1:${started.port}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      })).text();
    // A group's lag is known once it committed, which its consumers do a moment after they read.
    const lag = new RegExp(
      `^kafclaw_consumer_lag\\{group="kafclaw\\.${group}\\.[^"]+",topic="group\\.${group}\\.`,
      "m",
    );
    let metrics = "";
    await waitFor(async () => lag.test(metrics = await scrape()), "a consumer group's lag", {
      state: () => metrics,
    });
    assert.match(metrics, /^kafclaw_consumer_lag_up 1$/m, metrics);
    assert.match(metrics, /^kafclaw_group_tasks\{status="completed"\} 1$/m);

    const left = await ok("/api/v1/group/leave", { method: "POST" });
    assert.deepEqual(left, { left: group, agent_id: "ann", told: true });
    const again = await api("/api/v1/group/leave", { method: "POST" });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "not_member");
    assert.equal((await ok("/api/v1/status")).group.health, "left");
    const told = await kafclaw(["status"], ann.env);
    assert.equal(told.code, 0, told.stderr);
    assert.match(
      told.stdout,
      new RegExp(`^group +${group}: left \\(not a member until it joins`, "m"),
    );

    // Joining again starts a new membership, task paths and orchestrator node on the broker.
    const joined = await ok("/api/v1/group/join", { method: "POST" });
    assert.deepEqual(joined, { joined: group, agent_id: "ann" });
    const twice = await api("/api/v1/group/join", { method: "POST" });
    assert.deepEqual([twice.status, twice.body.error.code], [409, "member"]);
    await waitFor(
      async () => (await ok("/api/v1/status")).group.health === "ok",
      "ann's own heartbeats back through the broker",
      { state, timeoutMs: 60_000 },
    );
    await annsNode("ann's node in the hierarchy after the join");
    const resent = await api("/api/v1/group/tasks", {
      body: { content: "And 3 + 3?", to: { agent: "ben" } },
    });
    assert.equal(resent.status, 202, JSON.stringify(resent.body));
    await waitFor(
      async () => {
        task = await ok(`/api/v1/group/tasks/${resent.body.task_id}`);
        return task.status === "completed";
      },
      "ben's answer to a task sent after the join",
      { state: () => ({ task, ...state() }), timeoutMs: 90_000 },
    );
    assert.deepEqual([task.response_content, task.worker_id], ["answered by ben", "ben"]);
  },
);
