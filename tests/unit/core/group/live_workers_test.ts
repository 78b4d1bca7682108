import assert from "node:assert/strict";
import { chooseWorker, LiveWorkerSet } from "../../../../core/group/mod.ts";

const load = (running: number, capacity = 4) => ({ running, capacity });

Deno.test("the set keeps one entry per worker, sorted by id, and forgets removed ones", () => {
  const set = new LiveWorkerSet([{ agentId: "b", skills: [], load: load(0) }]);
  set.put({ agentId: "a", skills: [], load: load(1) });
  set.put({ agentId: "b", skills: ["sql"], load: load(2) });
  assert.deepEqual(set.live().map((w) => [w.agentId, w.load.running]), [["a", 1], ["b", 2]]);
  set.remove("a");
  assert.deepEqual(set.live().map((w) => w.agentId), ["b"]);
});

Deno.test("the next worker offers the skill, is not excluded, and has the best expertise, then the most room", () => {
  const set = new LiveWorkerSet([
    { agentId: "a", skills: ["sql"], load: load(0), expertise: { sql: 0.2 } },
    { agentId: "b", skills: ["sql"], load: load(3), expertise: { sql: 0.9 } },
    { agentId: "c", skills: ["sql"], load: load(0) },
    { agentId: "d", skills: [], load: load(0) },
    { agentId: "e", skills: ["sql"], load: load(0, 0) },
  ]);
  assert.equal(chooseWorker(set, { skill: "sql", exclude: [] })?.agentId, "b");
  assert.equal(chooseWorker(set, { skill: "sql", exclude: ["b"] })?.agentId, "a");
  assert.equal(chooseWorker(set, { skill: "sql", exclude: ["a", "b"] })?.agentId, "c");
  assert.equal(chooseWorker(set, { skill: "sql", exclude: ["a", "b", "c"] })?.agentId, "e");
  // Without a skill every worker counts, by room, then id.
  assert.equal(chooseWorker(set, { exclude: ["a"] })?.agentId, "c");
  assert.equal(chooseWorker(set, { skill: "rust", exclude: [] }), undefined);
});
