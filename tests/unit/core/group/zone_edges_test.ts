/** The zones' edges: topics made otherwise, late events of a deleted zone, odd records in a zone. */
import assert from "node:assert/strict";
import {
  createZoneTopics,
  openTrust,
  ZoneChangeError,
  zoneChangeRecords,
  ZoneDirectory,
  zoneEventRecord,
  zoneRecord,
  ZoneSubscriptions,
} from "../../../../core/group/mod.ts";
import {
  type EnvelopeOf,
  parseRecord,
  topicSpec,
  zoneTopic,
} from "../../../../core/protocol/mod.ts";
import { type InboundRecord, MemoryTransport } from "../../../../core/transport/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";
import { waitFor } from "../../../_support/wait.ts";
import { LAB_ZONE } from "./_records.ts";

function apply(zones: ZoneDirectory, record: OutboundRecord): void {
  const parsed = parseRecord({ ...record, partition: 0, offset: 0 });
  assert.ok(parsed.ok);
  zones.apply(parsed.envelope as EnvelopeOf<"orchestrator">, parsed.envelope.sender_id);
}

Deno.test("a zone topic that exists configured otherwise is refused in one line", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics([{ ...topicSpec(zoneTopic("g1", "lab", "memory")), partitions: 1 }]);
  await assert.rejects(
    () => createZoneTopics(transport, { group: "g1", zoneId: "lab" }),
    /^Error: Cannot use the topics of zone "lab": group\.g1\.zone\.lab\.memory has partitions 1, expected at least 3$/,
  );
});

Deno.test("events waiting for a zone that comes deleted are dropped; a member's join request is nothing", () => {
  const zones = new ZoneDirectory();
  apply(
    zones,
    zoneEventRecord("g1", "ann", { action: "zone_join_approve", zoneId: "lab", agentId: "cy" }),
  );
  apply(zones, zoneRecord("g1", "ann", { ...LAB_ZONE, deleted: true }));
  apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
  assert.deepEqual(zones.get("lab")?.members, ["ann"]);
  apply(
    zones,
    zoneEventRecord("g1", "ann", { action: "zone_join_request", zoneId: "lab", agentId: "ann" }),
  );
  assert.deepEqual(zones.requests("lab"), []);
});

Deno.test("a zone under a parent, and a member id that is no agent's, as the CLI meets them", () => {
  const zones = new ZoneDirectory();
  apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
  const at = { group: "g1", agentId: "ann" };
  const [sub] = zoneChangeRecords(zones, at, {
    kind: "create",
    zoneId: "bench",
    parentZone: "lab",
  });
  apply(zones, sub!);
  assert.equal(zones.get("bench")?.parent_zone, "lab");
  assert.throws(
    () => zoneChangeRecords(zones, at, { kind: "approve", zoneId: "lab", agentId: "Not An Id" }),
    ZoneChangeError,
  );
});

Deno.test("zone subscriptions pass what does not parse to the handler, read requests alone, and retry a zone whose topics were missing", async () => {
  const transport = new MemoryTransport();
  const zones = new ZoneDirectory();
  const took: InboundRecord[] = [];
  const handler = Object.assign((record: InboundRecord) => void took.push(record), {
    prepare: () => Promise.resolve(),
  });
  const subs = new ZoneSubscriptions({
    group: "g1",
    agentId: "ann",
    transport,
    zones,
    handlers: { requests: handler },
    trust: openTrust,
    concurrency: 1,
  });
  try {
    // The zone's topics do not exist yet: the subscription fails, and the zone is not taken.
    apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
    await assert.rejects(() => subs.follow());
    assert.deepEqual(subs.joined(), []);
    await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
    await subs.follow();
    assert.deepEqual(subs.joined(), ["lab"]);
    await transport.produce([{ topic: zoneTopic("g1", "lab", "requests"), key: "x", value: "{" }]);
    await waitFor(() => took.length === 1, "the unparsable record at the handler");
  } finally {
    await subs.close();
  }
  await subs.follow();
  assert.deepEqual(subs.joined(), []);
});

Deno.test("an event waits for its own zone only; public is always known; a denial keeps its reason", () => {
  const zones = new ZoneDirectory();
  const approveCy = { action: "zone_join_approve" as const, zoneId: "bench", agentId: "cy" };
  apply(zones, zoneEventRecord("g1", "ann", approveCy));
  // Another zone's record leaves the event waiting for its own.
  apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
  assert.deepEqual(zones.get("lab")?.members, ["ann"]);
  apply(zones, zoneRecord("g1", "ann", { ...LAB_ZONE, zone_id: "bench", name: "bench" }));
  assert.deepEqual(zones.get("bench")?.members, ["ann", "cy"]);
  assert.equal(zones.get("public")?.zone_id, "public");
  const denial = zoneEventRecord("g1", "ann", {
    action: "zone_join_deny",
    zoneId: "lab",
    agentId: "eve",
    reason: "not on the lab's team",
  });
  const parsed = parseRecord({ ...denial, partition: 0, offset: 0 });
  assert.ok(parsed.ok);
  assert.equal(
    (parsed.envelope.payload as { reason?: string }).reason,
    "not on the lab's team",
  );
});
