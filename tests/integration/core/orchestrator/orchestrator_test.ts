/**
 * The orchestrator on the real broker, in a signed group: the owner's gateway `boss` and workers
 * as `kafclaw gateway` processes in full mode, and the orchestrator `lead` as a gateway in the
 * test process (so its own table is read directly). Every node's view converges on the hierarchy
 * from config; a killed worker goes stale, then inactive, and its child hangs from its parent;
 * `set-parent` from a node's home moves it on every node; one that would close a cycle, or one
 * run from another node's home, is refused in one line; `dispatch` from lead's home reaches a node
 * below lead and is answered.
 */
import assert from "node:assert/strict";
import { createAgentRuntime } from "../../../../core/agent/mod.ts";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { Gateway } from "../../../../core/gateway/mod.ts";
import type { Hierarchy } from "../../../../core/orchestrator/mod.ts";
import { jsonOf, kafclaw, tempHome } from "../../../_support/cli.ts";
import { envOf, gateway, signedGroup, vouch } from "../../../_support/gateway_group.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const INTERVAL = 2000;
const ORCHESTRATOR = {
  KAFCLAW_ORCHESTRATOR_ENABLED: "true",
  KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: String(INTERVAL),
};

type Tree = Record<string, string | null>;
const treeOf = (h: Hierarchy): Tree =>
  Object.fromEntries(h.nodes().map((p) => [p.node.agentId, p.parentId ?? null]));

/** The hierarchy as `kafclaw orchestrator hierarchy --json` prints it in the home of `env`. */
async function printedTree(env: Record<string, string>): Promise<Tree> {
  const out = await kafclaw(["orchestrator", "hierarchy", "--json"], env);
  assert.equal(out.code, 0, out.stderr);
  const nodes = jsonOf(out).nodes as { agent_id: string; parent_id: string | null }[];
  return Object.fromEntries(nodes.map((n) => [n.agent_id, n.parent_id]));
}

Deno.test(
  "an orchestrator and workers on the broker: convergence, a killed worker re-parented, set-parent, cycles refused, dispatch answered",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("orch", stack, {
      ...ORCHESTRATOR,
      KAFCLAW_ORCHESTRATOR_ROLE: "orchestrator",
    });
    const worker = async (id: string, parent: string) =>
      stack.use(
        await gateway(group, id, {
          ...pinned,
          ...ORCHESTRATOR,
          KAFCLAW_ORCHESTRATOR_PARENT_ID: parent,
        }),
      );
    await boss.start();
    // lead: an orchestrator below boss, a gateway in this process.
    const home = stack.use(await tempHome());
    await vouch(boss.env, home.path, "lead");
    const llm = await startFakeOpenAI({ fallback: { text: "unused" } });
    stack.defer(() => llm.close());
    const leadEnv = envOf(group, "lead", home.path, llm, {
      ...pinned,
      KAFCLAW_ORCHESTRATOR_ROLE: "orchestrator",
      KAFCLAW_ORCHESTRATOR_PARENT_ID: "boss",
    });
    const lead = await Gateway.start(resolveConfig({ home: home.path, env: leadEnv }), {
      createRuntime: (c) => createAgentRuntime(c, {}),
    });
    stack.defer(async () => void await lead.stop());
    assert.equal(lead.mode, "full");
    const w1 = await worker("w1", "lead");
    const w2 = await worker("w2", "lead");
    const w3 = await worker("w3", "w2");
    for (const w of [w1, w2, w3]) {
      await vouch(boss.env, w.home, w.id);
      await w.start();
    }
    const leadTree = () => treeOf(lead.orchestrator!.hierarchy());
    const want: Tree = { boss: null, lead: "boss", w1: "lead", w2: "lead", w3: "w2" };
    await waitFor(
      () => JSON.stringify(leadTree()) === JSON.stringify(want),
      "lead to see the hierarchy from config",
      { timeoutMs: 60_000, state: leadTree },
    );
    // Every node's home reads the same from the topics.
    for (const env of [boss.env, w1.env, w2.env, w3.env]) {
      assert.deepEqual(await printedTree(env), want);
    }

    // w2 is killed (no leave): stale after 3 intervals, then out, and w3 hangs from lead.
    await w2.child!.stop("SIGKILL");
    const w2Status = () => lead.orchestrator!.hierarchy().get("w2")?.liveness ?? "inactive";
    await waitFor(() => w2Status() === "stale", "w2 to go stale", { timeoutMs: 30_000 });
    assert.equal(leadTree().w3, "w2");
    await waitFor(
      () => JSON.stringify(leadTree()) === JSON.stringify({ ...want, w2: undefined, w3: "lead" }),
      "w2 gone and w3 re-parented to lead",
      { timeoutMs: 30_000, state: leadTree },
    );
    assert.equal(w2Status(), "inactive");

    // set-parent from w3's home moves it under w1, on lead and as every home reads it.
    const moved = await kafclaw(["orchestrator", "set-parent", "w3", "w1", "--json"], w3.env);
    assert.equal(moved.code, 0, moved.stderr);
    const after: Tree = { boss: null, lead: "boss", w1: "lead", w3: "w1" };
    await waitFor(
      () => JSON.stringify(leadTree()) === JSON.stringify(after),
      "lead to see w3 under w1",
      { timeoutMs: 2 * INTERVAL, state: leadTree },
    );
    for (const env of [boss.env, w1.env, w3.env]) assert.deepEqual(await printedTree(env), after);

    // A cycle is refused, and so is a set-parent from another node's home: one line, no record.
    const cycle = await kafclaw(["orchestrator", "set-parent", "w1", "w3"], w1.env);
    assert.equal(cycle.code, 2);
    assert.match(
      cycle.stderr,
      /^kafclaw: Cannot set the parent of "w1" to "w3": "w3" is below "w1", so the tree would have a cycle\n$/,
    );
    const itself = await kafclaw(["orchestrator", "set-parent", "w1", "w1"], w1.env);
    assert.equal(itself.code, 2);
    assert.equal(
      itself.stderr,
      'kafclaw: Cannot set the parent of "w1" to itself: a node is not its own parent\n',
    );
    const foreign = await kafclaw(["orchestrator", "set-parent", "w1", "boss"], w3.env);
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /Cannot set the parent of "w1": only its own home may/);
    assert.equal(foreign.stderr.trim().split("\n").length, 1);
    assert.deepEqual(await printedTree(boss.env), after);

    // dispatch from lead's home: a node below lead answers it.
    const sent = await kafclaw(["orchestrator", "dispatch", "Say hi", "--wait", "--json"], leadEnv);
    assert.equal(sent.code, 0, sent.stderr);
    const answer = jsonOf(sent);
    assert.equal(answer.status, "completed");
    assert.match(answer.answer, /^answered by w(1|3)$/);
  },
);
