/**
 * The node table: a node's own records and set-parents, another writer refused, a signed leave,
 * and liveness by the roster's rules on each node's own interval.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_INTERVAL_MS,
  livenessOf,
  nodeRecord,
  NodeTable,
} from "../../../../core/orchestrator/mod.ts";
import { parseRecord } from "../../../../core/protocol/mod.ts";
import { envelopeOf, known, payload } from "./_nodes.ts";

Deno.test("a node's own record puts it in the table with its parent, zones and interval", () => {
  const table = new NodeTable();
  const change = table.apply(
    envelopeOf(
      payload("w1", { parent_id: "boss", zones: ["public", "lab"], endpoint: "http://w1" }),
    ),
    5_000,
  );
  assert.deepEqual(change, { kind: "updated", agentId: "w1" });
  const node = table.get("w1")!;
  assert.equal(node.parentId, "boss");
  assert.deepEqual(node.zones, ["public", "lab"]);
  assert.equal(node.endpoint, "http://w1");
  assert.equal(node.intervalMs, 1000);
  assert.equal(node.lastSeen, 5_000);
  assert.equal(node.parentSetBy, undefined);
  assert.equal(livenessOf(node, 5_000), "active");
});

Deno.test("an older record of a node than the one it has changes nothing", () => {
  const table = new NodeTable();
  table.apply(envelopeOf(payload("w1", { parent_id: "a" })), 5_000);
  assert.equal(table.apply(envelopeOf(payload("w1", { parent_id: "b" })), 4_000), undefined);
  assert.equal(table.get("w1")!.parentId, "a");
});

Deno.test("liveness: stale after 3 of the node's intervals, inactive after 6, at once on leave", () => {
  const table = new NodeTable();
  table.apply(envelopeOf(payload("w1", { heartbeat_interval_ms: 2000 })), 0);
  const node = table.get("w1")!;
  assert.equal(livenessOf(node, 5_999), "active");
  assert.equal(livenessOf(node, 6_000), "stale");
  assert.equal(livenessOf(node, 11_999), "stale");
  assert.equal(livenessOf(node, 12_000), "inactive");
  assert.deepEqual(table.apply(envelopeOf(payload("w1", { status: "left" })), 1_000), {
    kind: "left",
    agentId: "w1",
  });
  assert.equal(livenessOf(table.get("w1")!, 1_000), "inactive");
  // Heard from again, it is back.
  table.apply(envelopeOf(payload("w1")), 2_000);
  assert.equal(livenessOf(table.get("w1")!, 2_000), "active");
});

Deno.test("a record without an interval (a foreign node) is judged by the default interval", () => {
  const table = new NodeTable();
  const { heartbeat_interval_ms: _, ...bare } = payload("w1");
  table.apply(envelopeOf(bare), 0);
  assert.equal(table.get("w1")!.intervalMs, DEFAULT_INTERVAL_MS);
  assert.equal(livenessOf(table.get("w1")!, 3 * DEFAULT_INTERVAL_MS - 1), "active");
});

Deno.test("a set-parent changes the parent, not liveness; the node's announce then says who set it", () => {
  const table = new NodeTable();
  table.apply(envelopeOf(payload("w1", { parent_id: "a" })), 1_000);
  const change = table.apply(
    envelopeOf(payload("w1", { parent_id: "b", status: "parent_set" })),
    9_000,
  );
  assert.deepEqual(change, { kind: "parent_set", agentId: "w1" });
  const node = table.get("w1")!;
  assert.equal(node.parentId, "b");
  assert.equal(node.parentSetBy, "w1");
  assert.equal(node.lastSeen, 1_000);
  assert.equal(livenessOf(node, 9_000), "inactive");
  table.apply(envelopeOf(payload("w1", { parent_id: "b", parent_set_by: "w1" })), 10_000);
  assert.equal(table.get("w1")!.parentSetBy, "w1");
  assert.equal(livenessOf(table.get("w1")!, 10_000), "active");
});

Deno.test("a set-parent for a node never heard from leaves it inactive until it speaks", () => {
  const table = new NodeTable();
  table.apply(envelopeOf(payload("w9", { parent_id: "boss", status: "parent_set" })), 1_000);
  const node = table.get("w9")!;
  assert.equal(node.parentId, "boss");
  assert.equal(node.lastSeen, undefined);
  assert.equal(livenessOf(node, 1_000), "inactive");
});

Deno.test("another agent cannot write a node's record: the protocol refuses its key", () => {
  const record = nodeRecord("g1", "mallory", payload("w1", { parent_id: "mallory" }));
  const parsed = parseRecord(record);
  assert.equal(parsed.ok, false);
  assert.match(parsed.ok ? "" : parsed.error.message, /names another agent than "sender_id"/);
});

Deno.test("zone records and other types are not node records", () => {
  const table = new NodeTable();
  const zone = {
    type: "orchestrator",
    correlation_id: "z",
    sender_id: "boss",
    timestamp: new Date().toISOString(),
    payload: { action: "zone_join_request", zone_id: "lab", agent_id: "w1" },
  } as const;
  assert.equal(table.apply(zone as never, 0), undefined);
  assert.equal(table.apply({ ...zone, type: "heartbeat" } as never, 0), undefined);
  assert.deepEqual(table.nodes(), []);
});

Deno.test("nodes() lists by id", () => {
  const table = new NodeTable();
  for (const id of ["c", "a", "b"]) table.apply(envelopeOf(payload(id)), 0);
  assert.deepEqual(table.nodes().map((n) => n.agentId), ["a", "b", "c"]);
  assert.equal(livenessOf(known("x", undefined, { left: true }), 0), "inactive");
});
