/** Zone records on the wire and the rules a reader holds them to (core/group zones.ts). */
import assert from "node:assert/strict";
import {
  ZoneDirectory,
  zoneEventRecord,
  type ZoneInfo,
  zoneRecord,
  type ZoneRefusal,
  ZoneRefused,
} from "../../../../core/group/mod.ts";
import {
  type EnvelopeOf,
  parseRecord,
  topicsFor,
  zoneTopic,
} from "../../../../core/protocol/mod.ts";
import { LAB_ZONE } from "./_records.ts";

const lab: ZoneInfo = { ...LAB_ZONE, members: ["ben"] };

function parsed(record: ReturnType<typeof zoneRecord>): EnvelopeOf<"orchestrator"> {
  const result = parseRecord({ ...record, partition: 0, offset: 0 });
  assert.ok(result.ok, result.ok ? "" : result.error.message);
  return result.envelope as EnvelopeOf<"orchestrator">;
}

function directory(): { zones: ZoneDirectory; refused: (ZoneRefusal & { sender: string })[] } {
  const refused: (ZoneRefusal & { sender: string })[] = [];
  return { zones: new ZoneDirectory((r) => refused.push(r)), refused };
}

const event = (
  sender: string,
  action: "zone_join_request" | "zone_join_approve" | "zone_join_deny",
  agentId: string,
  zoneId = "lab",
) => parsed(zoneEventRecord("g1", sender, { action, zoneId, agentId }));

Deno.test("a zone record goes on the orchestrator topic keyed zone:<id>, the owner a member", () => {
  const record = zoneRecord("g1", "ann", lab);
  assert.equal(record.topic, topicsFor("g1").orchestrator);
  assert.equal(record.key, "zone:lab");
  const envelope = parsed(record);
  assert.equal(envelope.sender_id, "ann");
  assert.deepEqual(envelope.payload, { action: "zone", zone: { ...lab, members: ["ann", "ben"] } });
  const join = zoneEventRecord("g1", "cy", {
    action: "zone_join_request",
    zoneId: "lab",
    agentId: "cy",
  });
  assert.equal(join.key, "zone:lab:cy");
  assert.equal(parsed(join).payload.action, "zone_join_request");
});

Deno.test("public always exists, everyone is in it, and no record touches it", () => {
  const { zones, refused } = directory();
  assert.equal(zones.isMember("public", "anyone"), true);
  zones.apply(parsed(zoneRecord("g1", "ann", { ...lab, zone_id: "public" })), "ann");
  zones.apply(parsed(zoneRecord("g1", "ann", { ...lab, zone_id: "public", deleted: true })), "ann");
  zones.apply(event("ann", "zone_join_request", "ann", "public"), "ann");
  assert.deepEqual(zones.all().map((z) => z.zone_id), ["public"]);
  assert.deepEqual(refused.map((r) => r.code), ["public_zone", "public_zone", "public_zone"]);
});

Deno.test("a zone's first record makes its sender the owner; others' records are ignored", () => {
  const { zones, refused } = directory();
  // Naming another as owner does not make a zone.
  zones.apply(parsed(zoneRecord("g1", "eve", lab)), "eve");
  assert.equal(zones.get("lab"), undefined);
  zones.apply(parsed(zoneRecord("g1", "ann", lab)), "ann");
  assert.deepEqual(zones.get("lab")?.members, ["ann", "ben"]);
  // Eve cannot take it over, add herself, or delete it.
  zones.apply(
    parsed(zoneRecord("g1", "eve", { ...lab, owner_id: "eve", members: ["eve"] })),
    "eve",
  );
  zones.apply(parsed(zoneRecord("g1", "eve", { ...lab, deleted: true })), "eve");
  assert.deepEqual(zones.get("lab")?.members, ["ann", "ben"]);
  assert.deepEqual(refused.map((r) => [r.code, r.sender]), [
    ["not_zone_owner", "eve"],
    ["not_zone_owner", "eve"],
    ["not_zone_owner", "eve"],
  ]);
  assert.match(refused[1]!.detail, /^ignored a record of zone "lab", owned by "ann", from "eve"$/);
});

Deno.test("the owner deletes its zone; its id stays the owner's", () => {
  const { zones, refused } = directory();
  const changed: string[] = [];
  zones.listen((id) => changed.push(id));
  zones.apply(parsed(zoneRecord("g1", "ann", lab)), "ann");
  zones.apply(parsed(zoneRecord("g1", "ann", { ...lab, deleted: true })), "ann");
  assert.equal(zones.get("lab"), undefined);
  assert.equal(zones.isMember("lab", "ann"), false);
  zones.apply(parsed(zoneRecord("g1", "cy", { ...lab, owner_id: "cy", members: [] })), "cy");
  assert.equal(zones.get("lab"), undefined);
  assert.deepEqual(refused.map((r) => [r.code, r.sender]), [["not_zone_owner", "cy"]]);
  zones.apply(parsed(zoneRecord("g1", "ann", { ...lab, members: [] })), "ann");
  assert.deepEqual(zones.get("lab")?.members, ["ann"]);
  assert.deepEqual(changed, ["lab", "lab", "lab"]);
});

Deno.test("join request by the agent, approval and denial by the owner", () => {
  const { zones, refused } = directory();
  zones.apply(parsed(zoneRecord("g1", "ann", lab)), "ann");
  zones.apply(event("cy", "zone_join_request", "cy"), "cy");
  zones.apply(event("cy", "zone_join_request", "dan"), "cy");
  assert.deepEqual(zones.requests("lab"), ["cy"]);
  // A member approving or denying is not the owner.
  zones.apply(event("ben", "zone_join_approve", "cy"), "ben");
  zones.apply(event("ben", "zone_join_deny", "ann"), "ben");
  assert.equal(zones.isMember("lab", "cy"), false);
  zones.apply(event("ann", "zone_join_approve", "cy"), "ann");
  assert.equal(zones.isMember("lab", "cy"), true);
  assert.deepEqual(zones.requests("lab"), []);
  assert.deepEqual(zones.zonesOf("cy"), ["public", "lab"]);
  // A denial of a member removes it; of the owner, nothing.
  zones.apply(event("ann", "zone_join_deny", "ben"), "ann");
  zones.apply(event("ann", "zone_join_deny", "ann"), "ann");
  assert.deepEqual(zones.get("lab")?.members, ["ann", "cy"]);
  assert.deepEqual(refused.map((r) => [r.code, r.sender]), [
    ["not_requester", "cy"],
    ["not_zone_owner", "ben"],
    ["not_zone_owner", "ben"],
  ]);
});

Deno.test("events read before their zone's record are judged when it comes", () => {
  const { zones, refused } = directory();
  zones.apply(event("ann", "zone_join_approve", "cy"), "ann");
  zones.apply(event("eve", "zone_join_approve", "eve"), "eve");
  zones.apply(event("dan", "zone_join_request", "dan"), "dan");
  assert.equal(refused.length, 0);
  zones.apply(parsed(zoneRecord("g1", "ann", lab)), "ann");
  assert.deepEqual(zones.get("lab")?.members, ["ann", "ben", "cy"]);
  assert.deepEqual(zones.requests("lab"), ["dan"]);
  assert.deepEqual(refused.map((r) => [r.code, r.sender]), [["not_zone_owner", "eve"]]);
});

Deno.test("node records are not the zones' concern", () => {
  const { zones, refused } = directory();
  const node = parseRecord({
    topic: topicsFor("g1").orchestrator,
    key: "node:ann",
    value: JSON.stringify({
      type: "orchestrator",
      correlation_id: "n-1",
      sender_id: "ann",
      timestamp: lab.created_at,
      payload: {
        action: "node",
        node: {
          agent_id: "ann",
          agent_name: "Ann",
          role: "worker",
          parent_id: "",
          zones: ["lab"],
          endpoint: "",
          status: "active",
        },
      },
    }),
    partition: 0,
    offset: 0,
  });
  assert.ok(node.ok);
  zones.apply(node.envelope as EnvelopeOf<"orchestrator">, "ann");
  assert.deepEqual(zones.all().map((z) => z.zone_id), ["public"]);
  assert.equal(refused.length, 0);
});

Deno.test("an agent may publish into public and its zones only, failing closed", () => {
  const { zones } = directory();
  const labRequests = zoneTopic("g1", "lab", "requests");
  // Not read yet: nobody is a member.
  assert.throws(() => zones.checkPublish("ann", [labRequests]), ZoneRefused);
  zones.apply(parsed(zoneRecord("g1", "ann", lab)), "ann");
  zones.checkPublish("ben", [topicsFor("g1").requests, labRequests, "not.a.group.topic"]);
  assert.throws(
    () => zones.checkPublish("cy", [topicsFor("g1").requests, labRequests]),
    new ZoneRefused(
      'Cannot publish to group.g1.zone.lab.requests: "cy" is not a member of zone "lab"',
    ),
  );
  assert.throws(() => zones.checkPublish("ann", [zoneTopic("g1", "ops", "memory")]), ZoneRefused);
});

Deno.test("a task may go into public always, into a zone only from a member and to a member", () => {
  const { zones } = directory();
  zones.apply(parsed(zoneRecord("g1", "ann", lab)), "ann");
  zones.checkTask("cy", "public", "dee");
  zones.checkTask("ann", "lab");
  zones.checkTask("ann", "lab", "ben");
  const refused = (agentId: string, zoneId: string, target: string | undefined, why: string) =>
    assert.throws(
      () => zones.checkTask(agentId, zoneId, target),
      new ZoneRefused(`Cannot send a task into zone "${zoneId}": ${why}`),
    );
  refused("ann", "ops", undefined, "there is no such zone");
  refused("cy", "lab", undefined, '"cy" is not a member of zone "lab"');
  refused("ann", "lab", "cy", '"cy" is not a member of zone "lab"');
  // Open group: no certificates count, so certifies says nothing.
  assert.equal(zones.certifies("ann", "lab"), undefined);
});
