/**
 * Gateways in full mode run their node (orchestrator.enabled): parents from config, the hierarchy
 * the same on every gateway and as the topics read by one who does not run say; a stopped
 * gateway's children hang from its parent. A gateway in group mode runs none; a headless one runs
 * its node whatever orchestrator.enabled says.
 */
import assert from "node:assert/strict";
import { memberTopicSpecs } from "../../../../core/group/mod.ts";
import { type Hierarchy, readNodes } from "../../../../core/orchestrator/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { gatewayOf, inProcessEnv, threeGateways } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";

const parents = (h: Hierarchy) =>
  JSON.stringify(Object.fromEntries(h.nodes().map((p) => [p.node.agentId, p.parentId ?? null])));

Deno.test("full-mode gateways agree on the hierarchy from config, and re-parent when one stops", async () => {
  const group = "orchgw";
  const { a, b, c, broker } = await threeGateways(group, {
    ann: { env: { KAFCLAW_ORCHESTRATOR_ROLE: "orchestrator" } },
    ben: { env: { KAFCLAW_ORCHESTRATOR_PARENT_ID: "ann" } },
    cy: {
      env: {
        KAFCLAW_ORCHESTRATOR_PARENT_ID: "ben",
        KAFCLAW_ORCHESTRATOR_ZONE_ID: "lab",
        KAFCLAW_ORCHESTRATOR_ENDPOINT: "http://cy.example:8080",
      },
    },
  }, { KAFCLAW_ORCHESTRATOR_ENABLED: "true" });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  assert.equal(a.gateway.mode, "full");
  const want = JSON.stringify({ ann: null, ben: "ann", cy: "ben" });
  const all = [a, b, c].map((g) => g.gateway.orchestrator!);
  await waitFor(
    () => all.every((o) => parents(o.hierarchy()) === want),
    "every gateway to see ann <- ben <- cy",
    { state: () => all.map((o) => parents(o.hierarchy())) },
  );
  const cy = a.gateway.orchestrator!.table.get("cy")!;
  assert.deepEqual(cy.zones, ["public", "lab"]);
  assert.equal(cy.endpoint, "http://cy.example:8080");
  assert.equal(a.gateway.orchestrator!.table.get("ann")!.role, "orchestrator");
  assert.equal(cy.role, "worker");
  // One who does not run reads the same from the topics, with the roster's load.
  const read = await readNodes(new MemoryTransport({ broker }), group);
  assert.equal(parents(read.hierarchy), want);
  assert.deepEqual(read.members.map((m) => m.agentId), ["ann", "ben", "cy"]);
  // A read that takes a minute (a busy machine) judges the nodes and members as of its start.
  let calls = 0;
  const slowRead = () => Date.now() + (calls++ === 0 ? 0 : 60_000);
  const slow = await readNodes(new MemoryTransport({ broker }), group, { now: slowRead });
  assert.equal(parents(slow.hierarchy), want);
  assert.deepEqual(slow.members.map((m) => m.agentId), ["ann", "ben", "cy"]);

  await b.gateway.stop();
  const left = JSON.stringify({ ann: null, cy: "ann" });
  await waitFor(
    () => [a, c].every((g) => parents(g.gateway.orchestrator!.hierarchy()) === left),
    "cy to hang from ann once ben stopped",
  );
});

Deno.test("a group-mode gateway, or one without orchestrator.enabled, runs no node", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("orchoff", { workPartitions: 3 }));
  const env = inProcessEnv("orchoff", "solo");
  await using off = await gatewayOf(env, { more: { transport } });
  assert.equal(off.gateway.mode, "group");
  assert.equal(off.gateway.orchestrator, undefined);
  await using grouped = await gatewayOf(
    { ...inProcessEnv("orchoff", "duo"), KAFCLAW_ORCHESTRATOR_ENABLED: "true" },
    { more: { transport, mode: "group" } },
  );
  assert.equal(grouped.gateway.mode, "group");
  assert.equal(grouped.gateway.orchestrator, undefined);
});

Deno.test("a headless gateway runs its node without orchestrator.enabled; full mode needs it", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("orchhl", { workPartitions: 3 }));
  const token = { KAFCLAW_GATEWAY_AUTH_TOKEN: "t0ken-for-headless" };
  await using server = await gatewayOf(
    { ...inProcessEnv("orchhl", "srv"), ...token },
    { more: { transport, mode: "headless" } },
  );
  assert.equal(server.gateway.mode, "headless");
  const node = server.gateway.orchestrator;
  assert.ok(node !== undefined, "headless forces the orchestrator on");
  await waitFor(() => node.table.get("srv") !== undefined, "srv's node in its own table");
  assert.equal(node.table.get("srv")!.role, "worker");
  await using full = await gatewayOf(inProcessEnv("orchhl", "fll"), {
    more: { transport, mode: "full" },
  });
  assert.equal(full.gateway.mode, "full");
  assert.equal(full.gateway.orchestrator, undefined);
});
