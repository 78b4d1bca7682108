/**
 * The hierarchy every node computes from the same table: children of an inactive node hang from
 * its parent, an unknown parent makes a root, a cycle from the wire is cut at its smallest id, and
 * set-parent's cycle check.
 */
import assert from "node:assert/strict";
import { Hierarchy, nodeJson, wouldCycle } from "../../../../core/orchestrator/mod.ts";
import { known } from "./_nodes.ts";

const parents = (h: Hierarchy) =>
  Object.fromEntries(h.nodes().map((p) => [p.node.agentId, p.parentId ?? null]));

Deno.test("the tree of live nodes: children, subtree, liveness", () => {
  const h = new Hierarchy([
    known("boss", undefined),
    known("w1", "boss"),
    known("w2", "boss", { lastSeen: -3000 }),
    known("w3", "w1"),
  ], 0);
  assert.deepEqual(parents(h), { boss: null, w1: "boss", w2: "boss", w3: "w1" });
  assert.deepEqual(h.children("boss").map((p) => p.node.agentId), ["w1", "w2"]);
  assert.deepEqual(h.subtree("boss").map((p) => p.node.agentId), ["w1", "w2", "w3"]);
  assert.deepEqual(h.subtree("w3"), []);
  assert.equal(h.get("w2")!.liveness, "stale");
  assert.equal(h.get("nobody"), undefined);
});

Deno.test("an inactive node is out, and its children hang from its parent", () => {
  const nodes = [
    known("boss", undefined),
    known("w1", "boss", { lastSeen: -6000 }),
    known("w2", "w1", { left: true }),
    known("w3", "w2"),
    known("w4", "w1"),
  ];
  assert.deepEqual(parents(new Hierarchy(nodes, 0)), { boss: null, w3: "boss", w4: "boss" });
});

Deno.test("a parent never heard of, or a chain of inactive nodes in a loop, makes a root", () => {
  const nodes = [
    known("w1", "ghost"),
    known("a", "b", { left: true }),
    known("b", "a", { left: true }),
    known("w2", "a"),
  ];
  assert.deepEqual(parents(new Hierarchy(nodes, 0)), { w1: null, w2: null });
});

Deno.test("a cycle from the wire is cut at its smallest id on every node alike", () => {
  const cycle = [known("c", "a"), known("a", "b"), known("b", "c"), known("d", "c")];
  const one = parents(new Hierarchy(cycle, 0));
  assert.deepEqual(one, { a: null, b: "c", c: "a", d: "c" });
  // The same table in another order gives the same tree.
  assert.deepEqual(parents(new Hierarchy([...cycle].reverse(), 0)), one);
  // A node that names itself is a root.
  assert.deepEqual(parents(new Hierarchy([known("x", "x")], 0)), { x: null });
});

Deno.test("wouldCycle: itself, a descendant, and a loop of records above the new parent", () => {
  const nodes = [known("boss", undefined), known("w1", "boss"), known("w2", "w1")];
  assert.equal(wouldCycle(nodes, "w1", "w1"), true);
  assert.equal(wouldCycle(nodes, "boss", "w2"), true);
  assert.equal(wouldCycle(nodes, "w2", "boss"), false);
  assert.equal(wouldCycle(nodes, "w1", "stranger"), false);
  const looped = [known("p", "q"), known("q", "p")];
  assert.equal(wouldCycle(looped, "w1", "p"), false);
});

Deno.test("a placed node's JSON says its placed and named parents, its zones by the records and those it claims, and when it was last seen", () => {
  const h = new Hierarchy([
    known("boss", undefined, { lastSeen: 1000 }),
    known("w1", "gone", { lastSeen: 0, zones: ["public", "z"] }),
  ], 1000);
  // The zone records make boss a member of lab; w1's record claims z, which it is no member of.
  const zones = { zonesOf: (id: string) => id === "boss" ? ["public", "lab"] : ["public"] };
  assert.deepEqual(h.nodes().map((p) => nodeJson(p, zones)), [
    {
      agent_id: "boss",
      role: "worker",
      parent_id: null,
      named_parent_id: null,
      liveness: "active",
      zones: ["public", "lab"],
      claimed_zones: ["public"],
      endpoint: "",
      last_seen: "1970-01-01T00:00:01.000Z",
    },
    {
      agent_id: "w1",
      role: "worker",
      parent_id: null,
      named_parent_id: "gone",
      liveness: "active",
      zones: ["public"],
      claimed_zones: ["public", "z"],
      endpoint: "",
      last_seen: "1970-01-01T00:00:00.000Z",
    },
  ]);
});
