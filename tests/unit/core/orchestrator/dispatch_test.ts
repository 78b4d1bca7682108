/**
 * Where dispatch sends a task: a live, active node below the orchestrator that takes work and is
 * in the zone, the least loaded first; and the one-line errors when there is none.
 */
import assert from "node:assert/strict";
import { LiveWorkerSet, ZoneDirectory, zoneRecord } from "../../../../core/group/mod.ts";
import { type EnvelopeOf, parseRecord } from "../../../../core/protocol/mod.ts";
import {
  DispatchError,
  dispatchTarget,
  Hierarchy,
  publicOnly,
  zoneMembersOf,
} from "../../../../core/orchestrator/mod.ts";
import { known } from "./_nodes.ts";

const tree = new Hierarchy([
  known("boss", undefined, { role: "orchestrator" }),
  known("lead", "boss", { role: "orchestrator" }),
  known("w1", "lead"),
  known("w2", "lead"),
  known("w3", "boss", { lastSeen: -3000 }),
  known("eye", "boss", { role: "observer" }),
  known("other", undefined),
], 0);

const load = (agentId: string, running: number) => ({
  agentId,
  skills: [],
  load: { running, capacity: 4 },
});
const workers = new LiveWorkerSet(
  ["boss", "lead", "w1", "w2", "w3", "eye", "other"].map((id) => load(id, id === "w1" ? 3 : 1)),
);

Deno.test("the task goes below the orchestrator to the live node with the most free capacity", () => {
  // lead, w2 and w1 are below boss; w3 is stale, eye observes, other is elsewhere.
  assert.equal(dispatchTarget({ hierarchy: tree, from: "boss", workers, zone: "public" }), "lead");
  assert.equal(dispatchTarget({ hierarchy: tree, from: "lead", workers, zone: "public" }), "w2");
  const busy = new LiveWorkerSet([load("w1", 0), load("w2", 4)]);
  assert.equal(
    dispatchTarget({ hierarchy: tree, from: "lead", workers: busy, zone: "public" }),
    "w1",
  );
});

Deno.test("only nodes the zone hook names take a zone's task", () => {
  const zoneMembers = (zone: string) => zone === "lab" ? ["w1"] : publicOnly(zone);
  assert.equal(
    dispatchTarget({ hierarchy: tree, from: "boss", workers, zone: "lab", zoneMembers }),
    "w1",
  );
});

Deno.test("the zone records say who is in a zone: members only, an unknown zone refused", () => {
  const zones = new ZoneDirectory();
  const record = zoneRecord("g1", "boss", {
    zone_id: "lab",
    name: "Lab",
    visibility: "private",
    owner_id: "boss",
    parent_zone: "",
    members: ["w1", "w3"],
    created_at: "2026-12-05T04:00:00.000Z",
  });
  const parsed = parseRecord({ ...record, partition: 0, offset: 0 });
  assert.ok(parsed.ok);
  zones.apply(parsed.envelope as EnvelopeOf<"orchestrator">, "boss");
  const zoneMembers = zoneMembersOf(zones);
  // lead and w2 have more free capacity than w1, but only w1 is in lab (w3 is stale).
  assert.equal(
    dispatchTarget({ hierarchy: tree, from: "boss", workers, zone: "lab", zoneMembers }),
    "w1",
  );
  assert.equal(
    dispatchTarget({ hierarchy: tree, from: "boss", workers, zone: "public", zoneMembers }),
    "lead",
  );
  assert.throws(
    () => dispatchTarget({ hierarchy: tree, from: "boss", workers, zone: "ops", zoneMembers }),
    new DispatchError('Cannot dispatch to zone "ops": no such zone'),
  );
  // In a signed group w1, listed, is no member while its certificate does not name lab.
  const signed = new ZoneDirectory(() => {}, (agentId) => agentId === "w1" ? ["public"] : ["lab"]);
  signed.apply(parsed.envelope as EnvelopeOf<"orchestrator">, "boss");
  assert.throws(
    () =>
      dispatchTarget({
        hierarchy: tree,
        from: "boss",
        workers,
        zone: "lab",
        zoneMembers: zoneMembersOf(signed),
      }),
    new DispatchError(
      'Cannot dispatch from "boss": no live node below it in zone "lab" takes work',
    ),
  );
});

Deno.test("no zone, no active orchestrator, or nobody live below: one-line errors", () => {
  const at = { hierarchy: tree, workers };
  assert.throws(
    () => dispatchTarget({ ...at, from: "boss", zone: "lab" }),
    new DispatchError('Cannot dispatch to zone "lab": no such zone'),
  );
  assert.throws(
    () => dispatchTarget({ ...at, from: "ghost", zone: "public" }),
    new DispatchError('Cannot dispatch from "ghost": it is not an active node'),
  );
  assert.throws(
    () => dispatchTarget({ ...at, from: "w1", zone: "public" }),
    new DispatchError(
      'Cannot dispatch from "w1": no live node below it in zone "public" takes work',
    ),
  );
  // Nodes below that the roster does not show live do not count.
  assert.throws(
    () =>
      dispatchTarget({
        ...at,
        workers: new LiveWorkerSet([load("boss", 0)]),
        from: "boss",
        zone: "public",
      }),
    DispatchError,
  );
});
