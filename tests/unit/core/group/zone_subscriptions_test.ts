/**
 * Only a zone's members read its topics (core/group zone_subscriptions.ts), over the in-process
 * transport: an agent starts reading a zone when its record lists it and stops when it is taken
 * out; a record a non-member sent into the zone is dropped before any handler, and told.
 */
import assert from "node:assert/strict";
import {
  createZoneTopics,
  openTrust,
  zoneConsumerGroup,
  ZoneDirectory,
  zoneDroppedEvent,
  zoneEventRecord,
  type ZoneHandlers,
  type ZoneMemory,
  zoneRecord,
  ZoneSubscriptions,
  type ZoneSubscriptionsOptions,
} from "../../../../core/group/mod.ts";
import { type EnvelopeOf, parseRecord, zoneTopic } from "../../../../core/protocol/mod.ts";
import { type InboundRecord, MemoryTransport } from "../../../../core/transport/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { holdJoins } from "../../../_support/held_joins.ts";
import { watchSubscriptions } from "../../../_support/subscriptions.ts";
import { waitFor } from "../../../_support/wait.ts";
import { LAB_ZONE } from "./_records.ts";

function apply(zones: ZoneDirectory, record: OutboundRecord): void {
  const parsed = parseRecord({ ...record, partition: 0, offset: 0 });
  assert.ok(parsed.ok);
  zones.apply(parsed.envelope as EnvelopeOf<"orchestrator">, parsed.envelope.sender_id);
}

/** Ann's zone subscriptions in group g1: of the topics of `kinds`, with handlers that do nothing. */
function annReading(
  transport: MemoryTransport,
  zones: ZoneDirectory,
  kinds: readonly (keyof ZoneHandlers)[],
): ZoneSubscriptions {
  const none = () => {};
  return new ZoneSubscriptions({
    group: "g1",
    agentId: "ann",
    transport,
    zones,
    handlers: Object.fromEntries(kinds.map((kind) => [kind, none])),
    trust: openTrust,
    concurrency: 2,
    refused: () => {},
  });
}

/**
 * `agentId`'s zone subscriptions in group g1, whose `kind` handler notes each record it takes in
 * `seen` as `agent:correlation_id`; `more` adds to or overrides the options.
 */
function noting(
  transport: MemoryTransport,
  zones: ZoneDirectory,
  agentId: string,
  kind: "requests" | "inbox",
  seen: string[],
  more: Partial<ZoneSubscriptionsOptions> = {},
): ZoneSubscriptions {
  return new ZoneSubscriptions({
    group: "g1",
    agentId,
    transport,
    zones,
    handlers: {
      [kind]: (record: InboundRecord) => {
        const parsed = parseRecord(record);
        seen.push(`${agentId}:${parsed.ok ? parsed.envelope.correlation_id : "?"}`);
      },
    },
    trust: openTrust,
    concurrency: 2,
    ...more,
  });
}

/** Settings kept in `settings`, as a timeline keeps them. */
function keptIn(settings: Map<string, string>): ZoneMemory {
  return { get: (key) => settings.get(key), set: (key, value) => void settings.set(key, value) };
}

Deno.test("an agent reads a zone's topics while a member only, and never a non-member's record there", async () => {
  const transport = new MemoryTransport();
  await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
  const zones = new ZoneDirectory();
  const seen = new Map<string, string[]>();
  const refused: string[] = [];
  const agent = (agentId: string) => {
    const took = (record: InboundRecord) => {
      const parsed = parseRecord(record);
      seen.set(agentId, [
        ...(seen.get(agentId) ?? []),
        parsed.ok ? parsed.envelope.correlation_id : "?",
      ]);
    };
    const none = () => {};
    return new ZoneSubscriptions({
      group: "g1",
      agentId,
      transport,
      zones,
      handlers: { requests: took, responses: none, status: none, traces: none },
      trust: openTrust,
      concurrency: 2,
      refused: (d) => refused.push(`${agentId}: ${d.sender} on ${d.topic}`),
    });
  };
  const ann = agent("ann");
  const ben = agent("ben");
  try {
    await Promise.all([ann.follow(), ben.follow()]);
    assert.deepEqual([ann.joined(), ben.joined()], [[], []]);
    apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
    await waitFor(() => ann.joined().includes("lab"), "ann reading lab");
    assert.deepEqual(ben.joined(), []);
    const requests = zoneTopic("g1", "lab", "requests");
    await transport.produce([
      requestRecord(requests, { id: "t-eve", content: "forged", from: "eve" }),
      requestRecord(requests, { id: "t-ann", content: "hi", from: "ann" }),
    ]);
    await waitFor(() => (seen.get("ann") ?? []).includes("t-ann"), "ann's own task");
    assert.deepEqual(seen.get("ann"), ["t-ann"]);
    assert.deepEqual(refused, ["ann: eve on group.g1.zone.lab.requests"]);
    // Ben, approved, reads the zone; denied, he stops, and its next task is not his.
    apply(
      zones,
      zoneEventRecord("g1", "ann", { action: "zone_join_approve", zoneId: "lab", agentId: "ben" }),
    );
    await waitFor(() => ben.joined().includes("lab"), "ben reading lab");
    apply(
      zones,
      zoneEventRecord("g1", "ann", { action: "zone_join_deny", zoneId: "lab", agentId: "ben" }),
    );
    await waitFor(() => ben.joined().length === 0, "ben no longer reading lab");
    await transport.produce([
      requestRecord(requests, { id: "t-2", content: "again", from: "ann" }),
    ]);
    await waitFor(() => (seen.get("ann") ?? []).includes("t-2"), "ann's second task");
    assert.equal(seen.get("ben"), undefined);
  } finally {
    await Promise.all([ann.close(), ben.close()]);
  }
});

Deno.test("every member reads a zone's inbox through a group of its own, a non-member not at all", async () => {
  const transport = new MemoryTransport();
  const zones = new ZoneDirectory();
  const seen: string[] = [];
  const made: string[] = [];
  const agent = (agentId: string) =>
    noting(transport, zones, agentId, "inbox", seen, {
      // The zone's topics are made when a member first reads them (none made before here).
      ensureTopics: async (zoneId) =>
        made.push(...await createZoneTopics(transport, { group: "g1", zoneId })),
    });
  const [ann, ben, cy] = [agent("ann"), agent("ben"), agent("cy")];
  try {
    apply(zones, zoneRecord("g1", "ann", { ...LAB_ZONE, members: ["ann", "ben"] }));
    await waitFor(() => ann.joined().includes("lab") && ben.joined().includes("lab"), "lab read");
    assert.ok(made.includes(zoneTopic("g1", "lab", "inbox")), made.join());
    await cy.follow();
    assert.deepEqual(cy.joined(), []);
    await transport.produce([
      requestRecord(zoneTopic("g1", "lab", "inbox"), {
        id: "t-b",
        content: "x",
        from: "ann",
        to: "ben",
      }),
    ]);
    await waitFor(() => seen.length === 2, "both members reading the inbox", { state: () => seen });
    assert.deepEqual(seen.sort(), ["ann:t-b", "ben:t-b"]);
  } finally {
    await Promise.all([ann.close(), ben.close(), cy.close()]);
  }
});

Deno.test("in a signed group, a listed member's record whose certificate does not name the zone is dropped, and why is told", async () => {
  const transport = new MemoryTransport();
  await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
  // ann's certificate names lab; ben's names public only; eve has none known.
  const certified: Record<string, string[]> = { ann: ["public", "lab"], ben: ["public"] };
  const zones = new ZoneDirectory(() => {}, (agentId) => certified[agentId]);
  apply(zones, zoneRecord("g1", "ann", { ...LAB_ZONE, members: ["ann", "ben", "eve"] }));
  const took: string[] = [];
  const refused: string[] = [];
  const ann = new ZoneSubscriptions({
    group: "g1",
    agentId: "ann",
    transport,
    zones,
    handlers: {
      requests: (record) => {
        const parsed = parseRecord(record);
        took.push(parsed.ok ? parsed.envelope.correlation_id : "?");
      },
    },
    trust: openTrust,
    concurrency: 1,
    refused: (d) => refused.push(d.why),
  });
  try {
    await ann.follow();
    assert.deepEqual(ann.joined(), ["lab"]);
    const requests = zoneTopic("g1", "lab", "requests");
    await transport.produce([
      requestRecord(requests, { id: "t-ben", content: "x", from: "ben" }),
      requestRecord(requests, { id: "t-eve", content: "x", from: "eve" }),
      requestRecord(requests, { id: "t-ann", content: "x", from: "ann" }),
    ]);
    await waitFor(() => took.includes("t-ann") && refused.length === 2, "the three judged", {
      state: () => ({ took, refused }),
    });
    assert.deepEqual(took, ["t-ann"]);
    assert.deepEqual(refused.sort(), [
      '"ben" is listed in zone "lab", but its certificate does not name it',
      '"eve" is listed in zone "lab", but no certificate of it is known',
    ]);
    assert.deepEqual(zones.zonesOf("ben"), ["public"]);
    assert.deepEqual(
      zoneDroppedEvent({
        sender: "ben",
        topic: requests,
        zone: "lab",
        why: '"ben" is listed in zone "lab", but its certificate does not name it',
      }),
      {
        eventType: "signature_invalid",
        code: "not_zone_member",
        agentId: "ben",
        topic: requests,
        detail:
          'dropped a record of "ben": "ben" is listed in zone "lab", but its certificate does not name it',
      },
    );
  } finally {
    await ann.close();
  }
});

Deno.test("a zone's stream is behind until it has read its status and responses; a zone not read always is", async () => {
  const transport = new MemoryTransport();
  await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
  const zones = new ZoneDirectory();
  const ann = annReading(transport, zones, ["requests", "responses", "status", "traces"]);
  try {
    const kinds = ["tasks.status", "responses"] as const;
    assert.equal(await ann.behind("lab", kinds), true, "not a member: lab is not read");
    apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
    await waitFor(() => ann.joined().includes("lab"), "ann reading lab");
    await waitFor(async () => !(await ann.behind("lab", kinds)), "ann caught up on lab");
    assert.equal(await ann.behind("elsewhere", kinds), true, "a zone ann does not read");
  } finally {
    await ann.close();
  }
});

Deno.test("the zones an agent is found a member of are read at once: every consumer group of each is asked together", async () => {
  const transport = new MemoryTransport();
  for (const zoneId of ["lab", "ops"]) await createZoneTopics(transport, { group: "g1", zoneId });
  // The join of lab's stream is held (as a broker's join delay would) until the test ends it.
  const heldGroup = "kafclaw.g1.ann.zone.lab";
  const joins = holdJoins(transport, [heldGroup]);
  const zones = new ZoneDirectory();
  const ann = annReading(transport, zones, ["requests", "inbox", "responses", "status", "traces"]);
  try {
    apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
    apply(zones, zoneRecord("g1", "ann", { ...LAB_ZONE, zone_id: "ops", name: "Ops" }));
    const following = ann.follow();
    const others = [
      "kafclaw.g1.zone.lab",
      "kafclaw.g1.ann.zone-inbox.lab",
      "kafclaw.g1.zone.ops",
      "kafclaw.g1.ann.zone-inbox.ops",
      "kafclaw.g1.ann.zone.ops",
    ];
    await waitFor(
      () => others.every((id) => joins.made.get(id) !== undefined),
      "every other group to be made while lab's stream joins",
      { state: joins.state },
    );
    assert.ok(joins.made.has(heldGroup) && joins.made.get(heldGroup) === undefined);
    joins.release();
    await following;
    assert.deepEqual(ann.joined(), ["lab", "ops"]);
  } finally {
    joins.release();
    await ann.close();
  }
});

Deno.test("a zone one of whose reads cannot start is not read: the reads begun beside it are closed, and the next follow tries again", async () => {
  const transport = new MemoryTransport();
  await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
  const seen = watchSubscriptions(transport);
  let refuse: "all" | "inbox" | "none" = "all";
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = (options) =>
    refuse === "all" || (refuse === "inbox" && options.groupId.includes("zone-inbox"))
      ? Promise.reject(new Error(`the broker refused ${options.groupId}`))
      : subscribe(options);
  const zones = new ZoneDirectory();
  const ann = annReading(transport, zones, ["requests", "inbox", "responses", "status", "traces"]);
  try {
    apply(zones, zoneRecord("g1", "ann", LAB_ZONE));
    // None of lab's reads can start; then all but its inbox.
    await assert.rejects(ann.follow(), /refused kafclaw\.g1\.zone\.lab$/);
    assert.deepEqual([ann.joined(), seen.open.size], [[], 0]);
    refuse = "inbox";
    await assert.rejects(ann.follow(), /refused kafclaw\.g1\.ann\.zone-inbox\.lab/);
    assert.deepEqual(ann.joined(), []);
    assert.equal(seen.open.size, 0, "lab's requests and stream, made beside it, are closed");
    assert.equal(await ann.behind("lab", ["responses"]), true, "lab's stream is not read");
    refuse = "none";
    await ann.follow();
    assert.deepEqual(ann.joined(), ["lab"]);
    assert.equal(seen.open.size, 3);
    assert.equal(await ann.behind("lab", ["responses"]), false);
  } finally {
    await ann.close();
  }
});

Deno.test("the zones read when the agent last ran are asked for beside the membership's join; their records wait for it, and a zone the agent left keeps its records for its members", async () => {
  const transport = new MemoryTransport();
  for (const zoneId of ["lab", "ops"]) await createZoneTopics(transport, { group: "g1", zoneId });
  const settings = new Map([["group.zones_read.g1.ann", JSON.stringify(["lab", "ops"])]]);
  const joins = holdJoins(transport, []);
  const zones = new ZoneDirectory();
  const took: string[] = [];
  const reading = (agentId: string, more: Partial<ZoneSubscriptionsOptions> = {}) =>
    noting(transport, zones, agentId, "requests", took, { refused: () => {}, ...more });
  const ann = reading("ann", { remembered: keptIn(settings) });
  const ben = reading("ben");
  const joined = Promise.withResolvers<void>();
  const starting = ann.start(joined.promise);
  try {
    // Lab's and ops's requests are read before the membership has read the zone directory.
    const labWork = zoneConsumerGroup("g1", "lab");
    const opsWork = zoneConsumerGroup("g1", "ops");
    await waitFor(
      () => joins.made.get(labWork) !== undefined && joins.made.get(opsWork) !== undefined,
      "the remembered zones' groups to be made",
      { state: joins.state },
    );
    await transport.produce([
      requestRecord(zoneTopic("g1", "lab", "requests"), { id: "t-lab", content: "x", from: "cy" }),
      requestRecord(zoneTopic("g1", "ops", "requests"), { id: "t-ops", content: "x", from: "cy" }),
    ]);
    await waitFor(
      () => [labWork, opsWork].every((id) => joins.made.get(id)!.stats.delivered === 1),
      "each zone's request to be handed over",
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(took, [], "nothing is handled before the directory is read");
    // The directory, as the membership's start reads it: ann is in lab, no longer in ops.
    apply(zones, zoneRecord("g1", "ann", { ...LAB_ZONE, members: ["cy"] }));
    apply(
      zones,
      zoneRecord("g1", "ben", { ...LAB_ZONE, zone_id: "ops", owner_id: "ben", members: ["cy"] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(ann.joined(), ["lab", "ops"], "the directory is followed once it is read");
    joined.resolve();
    await starting;
    assert.deepEqual(ann.joined(), ["lab"]);
    assert.equal(settings.get("group.zones_read.g1.ann"), JSON.stringify(["lab"]));
    await waitFor(() => took.length === 1, "ann to take lab's request");
    // Ops's request was left uncommitted: its member ben takes it.
    await ben.follow();
    await waitFor(() => took.length === 2, "ben to take ops's request");
    assert.deepEqual(took, ["ann:t-lab", "ben:t-ops"]);
  } finally {
    joined.resolve();
    await Promise.allSettled([ann.close(), ben.close()]);
  }
});

Deno.test("no zones kept, or kept in a form not understood: none read early; a closed reader reads none", async () => {
  const transport = new MemoryTransport();
  await createZoneTopics(transport, { group: "g1", zoneId: "lab" });
  const seen = watchSubscriptions(transport);
  const zones = new ZoneDirectory();
  for (
    const kept of [undefined, "not json", JSON.stringify({ lab: true }), JSON.stringify(["lab"])]
  ) {
    const settings = new Map(kept === undefined ? [] : [["group.zones_read.g1.ann", kept]]);
    const ann = new ZoneSubscriptions({
      group: "g1",
      agentId: "ann",
      transport,
      zones,
      handlers: { requests: () => {} },
      trust: openTrust,
      concurrency: 1,
      remembered: keptIn(settings),
    });
    // The last kept form is understood: its reader is closed before it starts.
    if (kept === JSON.stringify(["lab"])) await ann.close();
    await ann.start(Promise.resolve());
    assert.deepEqual([ann.joined(), seen.joined], [[], []], String(kept));
    await ann.close();
  }
});
