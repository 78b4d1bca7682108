/**
 * Running nodes on the in-process transport in a signed group: every node's table and hierarchy
 * converge, a newcomer has the whole table once started, a set-parent from the node's home is
 * taken by its running node and by everyone, a stopped node leaves at once and its children hang
 * from its parent, and an unsigned record is not believed.
 */
import assert from "node:assert/strict";
import type { Membership } from "../../../../core/group/mod.ts";
import {
  type Hierarchy,
  nodeRecord,
  Orchestrator,
  setParentRecord,
} from "../../../../core/orchestrator/mod.ts";
import { topicsFor, zoneMemberKey } from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  agentHome,
  certify,
  makeGroup,
  startMember,
  type TestGroup,
} from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";
import { payload } from "./_nodes.ts";

const INTERVAL = 200;

const parents = (h: Hierarchy) =>
  Object.fromEntries(h.nodes().map((p) => [p.node.agentId, p.parentId ?? null]));

/** Waits until every one of `nodes` computes the hierarchy `want` (child: parent, null: root). */
function converge(
  nodes: readonly { orchestrator: Orchestrator }[],
  want: Record<string, string | null>,
): Promise<void> {
  const seen = () => nodes.map((n) => parents(n.orchestrator.hierarchy()));
  return waitFor(
    () => seen().every((p) => JSON.stringify(p) === JSON.stringify(want)),
    `every node to see ${JSON.stringify(want)}`,
    { state: seen },
  );
}

async function node(
  transport: MemoryTransport,
  g: TestGroup,
  agentId: string,
  parentId?: string,
): Promise<{ member: Membership; orchestrator: Orchestrator } & AsyncDisposable> {
  const home = agentId === g.owner.agentId ? g.owner : await agentHome(agentId);
  const certificate = home === g.owner ? g.init.certificate : await certify(transport, g, home);
  const member = await startMember(transport, g, home, certificate);
  const orchestrator = await Orchestrator.start({
    group: g.group,
    member,
    self: {
      agentId,
      agentName: agentId,
      role: parentId === undefined ? "orchestrator" : "worker",
      parentId,
      zones: ["public"],
      endpoint: "",
    },
    heartbeatIntervalMs: INTERVAL,
  });
  return {
    member,
    orchestrator,
    async [Symbol.asyncDispose]() {
      await orchestrator.stop().catch(() => {});
      await member.leave();
      if (home !== g.owner) await home[Symbol.asyncDispose]();
    },
  };
}

Deno.test("nodes converge on one hierarchy; a newcomer has it at once; set-parent and leave move it", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "orch1");
  await using _owner = g.owner;
  await using boss = await node(transport, g, "boss");
  await using w1 = await node(transport, g, "w1", "boss");
  await using w2 = await node(transport, g, "w2", "w1");
  const all = [boss, w1, w2];
  const want = { boss: null, w1: "boss", w2: "w1" };
  await converge(all, want);
  // A newcomer has the whole table once it has started: it read the topic first.
  await using w3 = await node(transport, g, "w3", "boss");
  assert.deepEqual(parents(w3.orchestrator.hierarchy()), want);
  all.push(w3);

  // set-parent from w2's home (signed with its key): its running node takes it, and so does everyone.
  await w2.member.send([setParentRecord(g.group, payload("w2"), "w3")]);
  const moved = { boss: null, w1: "boss", w2: "w3", w3: "boss" };
  await converge(all, moved);
  assert.equal(w2.orchestrator.self.parent_id, "w3");
  assert.equal(w2.orchestrator.self.parent_set_by, "w2");
  await waitFor(
    () =>
      boss.orchestrator.table.get("w2")?.parentSetBy === "w2" &&
      boss.orchestrator.table.get("w2")?.lastSeen !== undefined,
    "w2's own announce to carry the set parent",
  );

  // w3 stops: it says it left, and w2 hangs from boss on every node at once.
  await w3.orchestrator.stop();
  await converge([boss, w1, w2], { boss: null, w1: "boss", w2: "boss" });
});

Deno.test("a node restarted takes the parent a set-parent gave it over config's", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "orch2");
  await using _owner = g.owner;
  await using boss = await node(transport, g, "boss");
  // w1's home set its parent to boss while w1 was away; config says "elsewhere".
  const home = await agentHome("w1");
  await using _home = home;
  const certificate = await certify(transport, g, home);
  const member = await startMember(transport, g, home, certificate);
  await member.send([setParentRecord(g.group, payload("w1"), "boss")]);
  // As on a restart, the membership has read it when the node starts.
  await waitFor(() => member.nodes.kept().length === 2, "the set-parent read back");
  const w1 = await Orchestrator.start({
    group: g.group,
    member,
    self: {
      agentId: "w1",
      agentName: "w1",
      role: "worker",
      parentId: "elsewhere",
      zones: [],
      endpoint: "",
    },
    heartbeatIntervalMs: INTERVAL,
  });
  try {
    assert.equal(w1.self.parent_id, "boss");
    await waitFor(
      () => boss.orchestrator.hierarchy().get("w1")?.parentId === "boss",
      "boss to see w1 under it",
    );
    // Its home takes the parent away (twice: the second changes nothing): w1 is a root.
    const none = setParentRecord(g.group, payload("w1"), "");
    await member.send([none]);
    await member.send([setParentRecord(g.group, payload("w1"), "")]);
    await waitFor(
      () =>
        boss.orchestrator.hierarchy().get("w1")?.parentId === undefined && w1.self.parent_id === "",
      "w1 to be a root on boss and on itself",
    );
  } finally {
    await w1.stop();
    await member.leave();
  }
});

Deno.test("an unsigned node record in a signed group is not believed; zone records are not nodes", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "orch3");
  await using _owner = g.owner;
  await using boss = await node(transport, g, "boss");
  await waitFor(() => boss.orchestrator.table.get("boss") !== undefined, "boss's own record");
  const before = boss.orchestrator.table.get("boss")!.lastSeen!;
  await transport.produce([nodeRecord(g.group, "w9", payload("w9", { parent_id: "boss" }))]);
  await boss.member.send([{
    topic: topicsFor(g.group).orchestrator,
    key: zoneMemberKey("lab", "boss"),
    value: JSON.stringify({
      type: "orchestrator",
      correlation_id: "zone-1",
      sender_id: "boss",
      timestamp: new Date().toISOString(),
      payload: { action: "zone_join_request", zone_id: "lab", agent_id: "boss" },
    }),
  }]);
  await boss.orchestrator.announce();
  await waitFor(
    () => boss.orchestrator.table.get("boss")!.lastSeen! > before,
    "boss's next record read back",
  );
  assert.deepEqual(boss.orchestrator.table.nodes().map((n) => n.agentId), ["boss"]);
  assert.equal(boss.member.nodes.kept().length, 1);
});

Deno.test("announcements that cannot be sent are said once, and so is the first that goes again", async () => {
  let refusal: Error | undefined;
  let sends = 0;
  const said: string[] = [];
  const orchestrator = await Orchestrator.start({
    group: "g-outage",
    member: {
      nodes: { listen: () => () => {} },
      send: () => {
        sends++;
        return refusal === undefined ? Promise.resolve() : Promise.reject(refusal);
      },
    },
    self: { agentId: "boss", agentName: "boss", role: "orchestrator", zones: [], endpoint: "" },
    heartbeatIntervalMs: 10,
    warn: (line) => said.push(line),
  });
  try {
    refusal = new Error("Not authorized to access topics: [group.g-outage.orchestrator]\nmore");
    const before = sends;
    await waitFor(() => sends >= before + 3, "three announcements refused");
    assert.deepEqual(said, [
      'Cannot announce the node of "boss" to group "g-outage": Not authorized to access topics: ' +
      "[group.g-outage.orchestrator]; the hierarchy leaves it out as inactive until one goes",
    ]);
    refusal = undefined;
    await waitFor(() => said.length === 2, "the announcements going again", { state: () => said });
    assert.equal(said[1], 'The node of "boss" is announced to group "g-outage" again');
  } finally {
    await orchestrator.stop();
  }
});
