/**
 * The membership's node feed: per node its latest own record and latest set-parent are kept, in
 * append order, handed first to a listener that comes late, then every new one until it stops.
 */
import assert from "node:assert/strict";
import { NodeFeed, type NodeRecordRead } from "../../../../core/group/mod.ts";
import type { EnvelopeOf } from "../../../../core/protocol/mod.ts";
import { envelopeOf, payload } from "./_nodes.ts";

const read = (
  agentId: string,
  appendTime: number,
  fields: Parameters<typeof payload>[1] = {},
): NodeRecordRead => ({
  envelope: envelopeOf(payload(agentId, fields)) as EnvelopeOf<"orchestrator">,
  appendTime,
});
const seen = (reads: readonly NodeRecordRead[]) =>
  reads.map((r) => {
    const node = r.envelope.payload.node!;
    return `${node.agent_id}:${node.status}:${node.parent_id}@${r.appendTime}`;
  });

Deno.test("a late listener gets each node's latest own record and set-parent, in append order", () => {
  const feed = new NodeFeed();
  feed.add(read("w1", 1, { parent_id: "a" }));
  feed.add(read("w2", 2));
  feed.add(read("w1", 3, { parent_id: "b", status: "parent_set" }));
  feed.add(read("w1", 4, { parent_id: "b" }));
  feed.add(read("w1", 5, { parent_id: "c", status: "parent_set" }));
  const want = ["w2:active:@2", "w1:active:b@4", "w1:parent_set:c@5"];
  assert.deepEqual(seen(feed.kept()), want);
  const got: NodeRecordRead[] = [];
  const stop = feed.listen((r) => got.push(r));
  assert.deepEqual(seen(got), want);
  feed.add(read("w3", 6));
  assert.deepEqual(seen(got).at(-1), "w3:active:@6");
  stop();
  feed.add(read("w4", 7));
  assert.equal(got.length, 4);
});
