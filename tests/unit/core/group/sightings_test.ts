/**
 * What an operator who is not a member (`kafclaw group gc`, `group acl`) learns of a group's
 * agents from its topics: certificates and revocations, each agent's last join or leave and last
 * heartbeat; in a signed group only from records that verify, so a forged `leave` cannot make a
 * live agent look gone, and a heartbeat nobody signed names nobody.
 */
import assert from "node:assert/strict";
import {
  readRoster,
  readSightings,
  readSightingsAndZones,
  revocationRecord,
} from "../../../../core/group/mod.ts";
import { agentKey, generateKeyPair, signRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { MemoryTransport, type OutboundRecord } from "../../../../core/transport/mod.ts";
import { agentHome, certify, identityOf, makeGroup } from "../../../_support/group_member.ts";
import { watchSubscriptions } from "../../../_support/subscriptions.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";
import { holdJoins } from "../../../_support/held_joins.ts";
import { waitFor } from "../../../_support/wait.ts";

const GROUP = "si";
const topics = topicsFor(GROUP);

/** An announce of a home's agent (its own public key in its identity). */
function announce(
  home: { agentId: string; key: { publicKeyText: string } },
  action: "join" | "leave",
  intervalMs = 1000,
): OutboundRecord {
  const { agentId } = home;
  const value = JSON.stringify({
    type: "announce",
    correlation_id: `an-${crypto.randomUUID()}`,
    sender_id: agentId,
    timestamp: new Date().toISOString(),
    protocol: "kafclaw/1",
    payload: { action, identity: identityOf(agentId, home.key.publicKeyText, { intervalMs }) },
  });
  return { topic: topics.announce, key: agentKey(agentId), value };
}

function heartbeat(agentId: string): OutboundRecord {
  return { topic: topics.heartbeats, key: agentKey(agentId), value: heartbeatJson(agentId) };
}

/**
 * A signed group: alice joined and beats, ben joined and left, cy was revoked; mallory, no
 * member, forged alice's leave; "ghost" beats unsigned; a broken record sits on announce.
 */
async function sightedGroup() {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, GROUP);
  const homes = await Promise.all(["alice", "ben", "cy"].map((id) => agentHome(id)));
  for (const home of homes) await certify(transport, g, home);
  const [alice, ben] = homes;
  const mallory = await generateKeyPair();
  const send = async (
    record: OutboundRecord,
    signer?: { keyId: string; privateKey: CryptoKey },
  ) => {
    const headers = signer ? await signRecord(record, signer) : {};
    await transport.produce([{ ...record, headers }]);
  };
  const as = (home: typeof alice) => ({ keyId: home!.agentId, privateKey: home!.key.privateKey });
  await send(announce(alice!, "join", 5000), as(alice));
  await send(heartbeat("alice"), as(alice));
  await send(heartbeat("alice"), as(alice));
  await send(announce(ben!, "join"), as(ben));
  await send(heartbeat("ben"), as(ben));
  await send(announce(ben!, "leave"), as(ben));
  await send(announce(alice!, "leave"), { keyId: "alice", privateKey: mallory.privateKey });
  await send(heartbeat("ghost"));
  await transport.produce([{ topic: topics.announce, key: agentKey("x"), value: "{broken" }]);
  await transport.produce([await revocationRecord(GROUP, g.ownerKey.privateKey, "cy", "lost")]);
  const appended = (topic: string) =>
    transport.broker.topics.get(topic)!.log.flat().map((r) => ({
      agent: String(r.key),
      at: r.timestamp,
    }));
  return {
    transport,
    ownerKey: g.ownerPublic,
    appended,
    async [Symbol.asyncDispose]() {
      for (const home of homes) await home[Symbol.asyncDispose]();
      await g.owner[Symbol.asyncDispose]();
      await transport.close();
    },
  };
}

Deno.test("in a signed group the sightings come from verified records only: a forged leave leaves the agent live", async () => {
  await using t = await sightedGroup();
  const { agents, heartbeatsFrom } = await readSightings(t.transport, GROUP, {
    ownerKey: t.ownerKey,
  });
  const beats = t.appended(topics.heartbeats);
  const last = (agent: string, of: { agent: string; at: number }[]) =>
    of.filter((r) => r.agent === agentKey(agent)).at(-1)?.at;
  const alice = agents.get("alice")!;
  assert.equal(alice.certified, true);
  assert.equal(
    alice.lastAnnounce?.action,
    "join",
    "mallory's leave in alice's name is not believed",
  );
  assert.equal(alice.heartbeatIntervalMs, 5000);
  assert.equal(alice.lastHeartbeat, last("alice", beats));
  const ben = agents.get("ben")!;
  assert.equal(ben.lastAnnounce?.action, "leave");
  assert.equal(ben.lastAnnounce?.at, last("ben", t.appended(topics.announce)));
  assert.equal(ben.lastHeartbeat, last("ben", beats));
  assert.deepEqual([agents.get("cy")?.certified, agents.get("cy")?.revoked], [false, true]);
  assert.equal(agents.get("cy")?.lastAnnounce, undefined);
  assert.equal(agents.has("ghost"), false, "an unsigned heartbeat names nobody");
  assert.deepEqual([...agents.keys()].toSorted(), ["alice", "ben", "boss", "cy"]);
  assert.equal(heartbeatsFrom, Math.min(...beats.map((b) => b.at)), "the stream's oldest");
});

Deno.test("read as an open group the same topics believe the forged leave and the unsigned heartbeat", async () => {
  await using t = await sightedGroup();
  const { agents } = await readSightings(t.transport, GROUP);
  assert.equal(agents.get("alice")?.lastAnnounce?.action, "leave");
  assert.equal(agents.get("ghost")?.lastHeartbeat !== undefined, true);
  assert.equal(agents.get("ghost")?.certified, false);
  assert.equal(agents.get("ghost")?.heartbeatIntervalMs, 10_000, "not announced: the default");
  assert.equal(agents.get("cy")?.revoked, true);
});

Deno.test("a group with no heartbeats on its stream says so, and names its certified agents", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "si2");
  await using _owner = g.owner;
  const { agents, heartbeatsFrom } = await readSightings(transport, "si2", {
    ownerKey: g.ownerPublic,
  });
  assert.equal(heartbeatsFrom, undefined);
  assert.deepEqual(
    [...agents.values()].map((s) => [s.agentId, s.certified, s.lastAnnounce]),
    [["boss", true, undefined]],
  );
  await transport.close();
});

Deno.test("a reader joins two groups at once: the roster's, and one for every other topic it reads", async () => {
  // A broker keeps each new group waiting (group.initial.rebalance.delay.ms, 3 s by default)
  // before it reads: a group per topic, one after another, made `group members` take 17 s there.
  await using t = await sightedGroup();
  const seen = watchSubscriptions(t.transport);
  const { agents } = await readSightings(t.transport, GROUP, { ownerKey: t.ownerKey });
  assert.equal(agents.get("alice")?.lastAnnounce?.action, "join", "mallory's leave refused");
  assert.deepEqual(seen.joined, [[topics.roster], [topics.announce, topics.heartbeats]]);
  assert.equal(seen.most, 2, "both groups joined together");
  seen.reset();
  const read = await readRoster(t.transport, GROUP, { ownerKey: t.ownerKey });
  assert.deepEqual(read.members.map((m) => m.agentId), ["alice"], "heartbeats after the announce");
  assert.deepEqual(seen.joined, [
    [topics.roster],
    [topics.announce, topics.skills, topics.orchestrator, topics.heartbeats],
  ]);
  assert.equal(seen.most, 2, "both groups joined together");
});

Deno.test("the sightings and the zones (group gc, group acl) are read at once: one join delay for both", async () => {
  await using t = await sightedGroup();
  // Every join of the readers' groups is held, as a broker's join delay would hold it.
  const joins = holdJoins(t.transport, [`kafclaw.${GROUP}.reader`]);
  const seen = watchSubscriptions(t.transport);
  const reading = readSightingsAndZones(t.transport, GROUP, { ownerKey: t.ownerKey });
  await waitFor(() => seen.joined.length === 4, "both reads' groups to be asked for", {
    state: () => seen.joined.map((topics) => topics.join(",")),
  });
  joins.release();
  const { agents, zones } = await reading;
  assert.equal(agents.get("alice")?.lastAnnounce?.action, "join");
  assert.deepEqual(zones.zonesOf("alice"), ["public"]);
});
