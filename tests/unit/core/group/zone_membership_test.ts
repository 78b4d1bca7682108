/**
 * Zones in a running signed group over the in-process transport: a zone made by one member is
 * known to every member and to a newcomer, its join request, approval and topics; a non-member's
 * publish into it is refused before it leaves, and its forged zone record is dropped and audited;
 * an approved member whose certificate does not name the zone is no member until the owner issues
 * it one that does.
 */
import assert from "node:assert/strict";
import {
  createZoneTopics,
  type Dropped,
  readRoster,
  zoneEventRecord,
  type ZoneInfo,
  zoneRecord,
  ZoneRefused,
  zoneTopicSpecs,
} from "../../../../core/group/mod.ts";
import { importPublicKey, zoneTopic } from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { agentHome, certify, makeGroup, startMember } from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";
import { LAB_ZONE } from "./_records.ts";

const lab: ZoneInfo = { ...LAB_ZONE, members: [] };

Deno.test("a zone's records reach every member; a non-member cannot publish into it, nor forge it", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "gz");
  await using _owner = g.owner;
  await using annHome = await agentHome("ann");
  await using cyHome = await agentHome("cy");
  const dropped: Dropped[] = [];
  const boss = await startMember(transport, g, g.owner, g.init.certificate, {
    onDropped: (d) => dropped.push(d),
  });
  const labCert = { zones: ["public", "lab"] };
  const ann = await startMember(
    transport,
    g,
    annHome,
    await certify(transport, g, annHome, labCert),
  );
  const cy = await startMember(transport, g, cyHome, await certify(transport, g, cyHome));
  try {
    const made = await createZoneTopics(transport, { group: "gz", zoneId: "lab" }, g.topics);
    assert.deepEqual(made, zoneTopicSpecs("gz", "lab").map((s) => s.name));
    const labRequests = zoneTopic("gz", "lab", "requests");
    const request = { topic: labRequests, key: "t-1", value: "{}" };
    // Before the zone exists nobody may publish into it, its maker included.
    await assert.rejects(() => ann.send([request]), ZoneRefused);
    await ann.send([zoneRecord("gz", "ann", lab)]);
    await waitFor(
      () => boss.zones.isMember("lab", "ann") && cy.zones.get("lab") !== undefined,
      "the zone at every member",
    );
    await assert.rejects(
      () => cy.send([request]),
      new ZoneRefused(
        'Cannot publish to group.gz.zone.lab.requests: "cy" is not a member of zone "lab"',
      ),
    );
    // Cy's own signed record that makes itself a member is not from the owner: dropped, audited.
    await cy.send([zoneRecord("gz", "cy", { ...lab, members: ["cy"] })]);
    await waitFor(
      () => dropped.some((d) => d.code === "not_zone_owner"),
      "the forged record audited",
    );
    assert.deepEqual(
      dropped.filter((d) => d.code === "not_zone_owner").map((d) => [d.agentId, d.topic]),
      [["cy", "group.gz.orchestrator"]],
    );
    assert.equal(boss.zones.isMember("lab", "cy"), false);
    // Cy asks, the owner approves (the event and the zone record), and cy may publish.
    await cy.send([
      zoneEventRecord("gz", "cy", { action: "zone_join_request", zoneId: "lab", agentId: "cy" }),
    ]);
    await waitFor(() => ann.zones.requests("lab").includes("cy"), "the request at the owner");
    await ann.send([
      zoneEventRecord("gz", "ann", { action: "zone_join_approve", zoneId: "lab", agentId: "cy" }),
      zoneRecord("gz", "ann", { ...lab, members: ["cy"] }),
    ]);
    await waitFor(() => cy.zones.get("lab")?.members.includes("cy") === true, "the approval at cy");
    // Listed, but its certificate names public only: still no member, anywhere.
    const uncertified = new ZoneRefused(
      'Cannot publish to group.gz.zone.lab.requests: "cy" is listed in zone "lab", but its certificate does not name it',
    );
    await assert.rejects(() => cy.send([request]), uncertified);
    assert.equal(boss.zones.isMember("lab", "cy"), false);
    // The owner issues cy a certificate that names lab (it replaces the old on the roster); those
    // who follow the zones (a gateway's zone subscriptions) are told.
    const told: string[] = [];
    cy.zones.listen((zoneId) => told.push(zoneId));
    await certify(transport, g, cyHome, labCert);
    await waitFor(() => told.includes("lab"), "cy's zone listeners told of the new certificate");
    await waitFor(
      () => cy.zones.isMember("lab", "cy") && boss.zones.isMember("lab", "cy"),
      "cy's new certificate at every member",
    );
    await cy.send([request]);
    assert.deepEqual(boss.zones.zonesOf("cy"), ["public", "lab"]);
    // A reader that is no member has the zones from the topic alone.
    const read = await readRoster(transport, "gz", {
      ownerKey: await importPublicKey(g.init.ownerPublicKey),
    });
    assert.deepEqual(read.zones.get("lab")?.members, ["ann", "cy"]);
    assert.deepEqual(read.zones.requests("lab"), []);
    // It knows each member's certificate, the newest: what a new one for cy is made from.
    const cyCert = read.certificate("cy");
    assert.deepEqual([cyCert?.public_key, cyCert?.zones], [
      cyHome.key.publicKeyText,
      labCert.zones,
    ]);
    assert.equal(read.certificate("nobody"), undefined);
    // A reader that verifies nothing (an open group's) knows none.
    assert.equal((await readRoster(transport, "gz")).certificate("cy"), undefined);
  } finally {
    await Promise.all([boss.leave(), ann.leave(), cy.leave()]);
  }
});
