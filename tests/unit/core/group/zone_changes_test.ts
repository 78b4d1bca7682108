/** What `kafclaw zone …` may send, decided against the zones now (core/group zone_changes.ts). */
import assert from "node:assert/strict";
import {
  ZoneChangeError,
  zoneChangeRecords,
  ZoneDirectory,
  zoneRecord,
} from "../../../../core/group/mod.ts";
import { type EnvelopeOf, parseRecord } from "../../../../core/protocol/mod.ts";
import type { OutboundRecord } from "../../../../core/transport/mod.ts";
import { LAB_ZONE } from "./_records.ts";

const now = new Date("2026-12-05T04:30:00.000Z");

function envelope(record: OutboundRecord): EnvelopeOf<"orchestrator"> {
  const result = parseRecord({ ...record, partition: 0, offset: 0 });
  assert.ok(result.ok, result.ok ? "" : result.error.message);
  return result.envelope as EnvelopeOf<"orchestrator">;
}

/** Applies `records` as a member would, each from its sender. */
function apply(zones: ZoneDirectory, records: readonly OutboundRecord[]): void {
  for (const record of records) {
    const e = envelope(record);
    zones.apply(e, e.sender_id);
  }
}

function withLab(): ZoneDirectory {
  const zones = new ZoneDirectory();
  apply(zones, [zoneRecord("g1", "ann", { ...LAB_ZONE, members: ["ben"] })]);
  return zones;
}

Deno.test("create makes the sender owner and member of a private zone by default", () => {
  const zones = new ZoneDirectory();
  const records = zoneChangeRecords(zones, { group: "g1", agentId: "ann", now }, {
    kind: "create",
    zoneId: "ops",
  });
  assert.deepEqual(envelope(records[0]!).payload.zone, {
    zone_id: "ops",
    name: "ops",
    visibility: "private",
    owner_id: "ann",
    parent_zone: "",
    members: ["ann"],
    created_at: now.toISOString(),
  });
  apply(zones, records);
  assert.equal(zones.isMember("ops", "ann"), true);
});

Deno.test("each change others would ignore is refused here, in one line", () => {
  const zones = withLab();
  const ben = { group: "g1", agentId: "ben", now };
  const cases: [Parameters<typeof zoneChangeRecords>[2], string][] = [
    [{ kind: "create", zoneId: "public" }, 'Cannot create zone "public": public always exists'],
    [{ kind: "create", zoneId: "Lab!" }, 'Cannot create zone "Lab!": not an id'],
    [{ kind: "create", zoneId: "lab" }, 'Cannot create zone "lab": it exists, owned by "ann"'],
    [
      { kind: "create", zoneId: "sub", parentZone: "nope" },
      'Cannot create zone "sub": its parent zone "nope" does not exist',
    ],
    [{ kind: "join", zoneId: "nope" }, 'Cannot join zone "nope": there is no such zone'],
    [{ kind: "join", zoneId: "lab" }, 'Cannot join zone "lab": "ben" is a member already'],
    [
      { kind: "delete", zoneId: "lab" },
      'Cannot delete zone "lab": it is owned by "ann", not "ben"',
    ],
    [
      { kind: "approve", zoneId: "lab", agentId: "cy" },
      'Cannot approve zone "lab": it is owned by "ann", not "ben"',
    ],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => zoneChangeRecords(zones, ben, change), (error: Error) => {
      assert.ok(error instanceof ZoneChangeError);
      assert.ok(error.message.startsWith(message), error.message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
  assert.throws(
    () =>
      zoneChangeRecords(zones, { ...ben, agentId: "ann" }, {
        kind: "deny",
        zoneId: "lab",
        agentId: "ann",
      }),
    /^ZoneChangeError: Cannot deny zone "lab": "ann" owns it$/,
  );
});

Deno.test("join, approve, deny and delete, applied as members apply them", () => {
  const zones = withLab();
  const as = (agentId: string) => ({ group: "g1", agentId, now });
  apply(zones, zoneChangeRecords(zones, as("cy"), { kind: "join", zoneId: "lab" }));
  assert.deepEqual(zones.requests("lab"), ["cy"]);
  const approval = zoneChangeRecords(zones, as("ann"), {
    kind: "approve",
    zoneId: "lab",
    agentId: "cy",
  });
  assert.deepEqual(approval.map((r) => r.key), ["zone:lab:cy", "zone:lab"]);
  apply(zones, approval);
  assert.deepEqual(zones.get("lab")?.members, ["ann", "ben", "cy"]);
  apply(
    zones,
    zoneChangeRecords(zones, as("ann"), { kind: "deny", zoneId: "lab", agentId: "ben" }),
  );
  assert.deepEqual(zones.get("lab")?.members, ["ann", "cy"]);
  // A reader that has only the zone record after the denial knows the same.
  const alone = new ZoneDirectory();
  apply(alone, [
    zoneChangeRecords(zones, as("ann"), { kind: "deny", zoneId: "lab", agentId: "ben" })[1]!,
  ]);
  assert.deepEqual(alone.get("lab")?.members, ["ann", "cy"]);
  apply(zones, zoneChangeRecords(zones, as("ann"), { kind: "delete", zoneId: "lab" }));
  assert.equal(zones.get("lab"), undefined);
});
