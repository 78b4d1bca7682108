/**
 * Trust in a signed group over the in-process transport: forged, replayed, expired and revoked
 * records are dropped and audited; a record whose signer's certificate has not arrived waits for
 * it and goes through once it does.
 */
import assert from "node:assert/strict";
import { certificateRecord, GroupTrust, revocationRecord } from "../../../../core/group/mod.ts";
import { agentKey as agentKeyOf, signRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { type InboundRecord, MemoryTransport } from "../../../../core/transport/mod.ts";
import type { Timeline } from "../../../../core/timeline/mod.ts";
import { agentHome, certify, makeGroup, startMember } from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

/** The audit events of dropped records in a timeline: [event_type, code, sender]. */
function audits(timeline: Timeline): string[][] {
  return timeline.events.list({ kind: "GROUP" }).items.map((e) => [
    String(e.metadata.event_type),
    String(e.metadata.code),
    String(e.sender),
  ]).reverse();
}

/** Every record of a topic so far. */
function recordsOf(transport: MemoryTransport, topic: string): InboundRecord[] {
  return transport.broker.topics.get(topic)!.log.flat();
}

Deno.test("a forged sender, a record signed by another than its sender and a replay are dropped and audited", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t1");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using malloryHome = await agentHome("mallory");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  const mallory = await startMember(
    transport,
    g,
    malloryHome,
    await certify(transport, g, malloryHome),
  );
  try {
    await waitFor(() => boss.get("mallory") !== undefined, "mallory at boss");
    const topic = topicsFor("t1").heartbeats;
    const key = agentKeyOf("alice");
    // Mallory signs a heartbeat of alice's with its own key, claiming to be alice.
    const forged = { topic, key, value: heartbeatJson("alice", { capacity: 99 }) };
    const forgedHeaders = await signRecord(forged, {
      keyId: "alice",
      privateKey: malloryHome.key.privateKey,
    });
    // Mallory signs as itself a record whose sender_id is alice.
    const posing = { topic, key, value: heartbeatJson("alice", { capacity: 98 }) };
    const posingHeaders = await signRecord(posing, {
      keyId: "mallory",
      privateKey: malloryHome.key.privateKey,
    });
    // A byte-identical copy of one of alice's own heartbeats, sent again.
    const original = recordsOf(transport, topic).find((r) => r.key === key)!;
    await transport.produce([
      { ...forged, headers: forgedHeaders },
      { ...posing, headers: posingHeaders },
      { topic, key, value: original.value, headers: original.headers },
    ]);
    await waitFor(() => boss.dropped >= 3, "three records dropped at boss", {
      state: () => audits(g.owner.timeline),
    });
    assert.deepEqual(audits(g.owner.timeline), [
      ["signature_invalid", "bad_signature", "alice"],
      ["signature_invalid", "sender_mismatch", "alice"],
      ["replay_dropped", "replay", "alice"],
    ]);
    assert.notEqual(boss.get("alice")?.load.capacity, 99);
    assert.notEqual(boss.get("alice")?.load.capacity, 98);
  } finally {
    await mallory.leave();
    await alice.leave();
    await boss.leave();
  }
});

Deno.test("a state record appended again is a replay, also to a reader catching up from the beginning", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t2");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using carolHome = await agentHome("carol");
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  await alice.leave();
  // Alice's old join, appended again after her leave, would bring her back.
  const announce = topicsFor("t2").announce;
  const join = recordsOf(transport, announce).find((r) => r.key === "agent:alice")!;
  await transport.produce([{
    topic: announce,
    key: "agent:alice",
    value: join.value,
    headers: join.headers,
  }]);
  const carol = await startMember(transport, g, carolHome, await certify(transport, g, carolHome));
  try {
    assert.equal(carol.get("alice"), undefined);
    assert.deepEqual(audits(carolHome.timeline), [["replay_dropped", "replay", "alice"]]);
  } finally {
    await carol.leave();
  }
});

Deno.test("an expired or a revoked certificate's records are dropped and audited", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t3");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using oldHome = await agentHome("old");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  try {
    await waitFor(() => boss.get("alice") !== undefined, "alice at boss");
    // A certificate that expired yesterday: its holder cannot even start.
    const stale = await certify(transport, g, oldHome, {
      validDays: 1,
      now: new Date(Date.now() - 2 * 86_400_000),
      publish: false,
    });
    await assert.rejects(() => startMember(transport, g, oldHome, stale), /expired at/);
    // Its records, sent anyway with the certificate attached, are dropped.
    const topic = topicsFor("t3").heartbeats;
    const record = { topic, key: "agent:old", value: heartbeatJson("old") };
    const headers = await signRecord(record, {
      keyId: "old",
      privateKey: oldHome.key.privateKey,
      certificate: stale,
    }, { attachCertificate: true });
    await transport.produce([{ ...record, headers }]);
    await waitFor(() => boss.dropped === 1, "the expired record dropped");
    // Its key stays its own once the roster shows it: no newcomer is given its id with another
    // (sponsor.ts).
    assert.equal(boss.standing("old"), undefined, "seen only in a record's headers");
    await transport.produce([await certificateRecord("t3", g.ownerKey.privateKey, "old", stale)]);
    await waitFor(() => boss.standing("old") !== undefined, "the expired certificate read");
    assert.deepEqual(boss.standing("old"), { publicKey: oldHome.key.publicKeyText });
    assert.deepEqual(boss.standing("alice"), { publicKey: aliceHome.key.publicKeyText });
    assert.equal(boss.standing("nobody"), undefined);
    // The owner revokes alice: she leaves the roster, and her records are dropped from now on.
    await transport.produce([
      await revocationRecord("t3", g.ownerKey.privateKey, "alice", "key lost"),
    ]);
    await waitFor(() => boss.get("alice") === undefined, "alice gone from the roster");
    assert.deepEqual(boss.standing("alice"), { revoked: "key lost" });
    await waitFor(() => boss.dropped >= 3, "alice's next heartbeat dropped", {
      state: () => audits(g.owner.timeline),
    });
    assert.deepEqual(audits(g.owner.timeline).slice(0, 3), [
      ["signature_invalid", "certificate_expired", "old"],
      ["signature_invalid", "certificate_expired", "old"], // its certificate on the roster
      ["signature_invalid", "certificate_revoked", "alice"],
    ]);
    assert.deepEqual(g.owner.timeline.certificates.list().find((c) => c.agentId === "alice"), {
      agentId: "alice",
      revoked: true,
      reason: "key lost",
    });
  } finally {
    await alice.leave();
    await boss.leave();
  }
});

Deno.test("a record whose signer's certificate has not arrived waits for it, then goes through", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t4");
  await using _owner = g.owner;
  await using bobHome = await agentHome("bob");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  // Bob's certificate is not on the roster yet, and his records do not carry it.
  const certificate = await certify(transport, g, bobHome, { publish: false });
  const bob = await startMember(transport, g, bobHome, certificate, { attachFirst: 0 });
  try {
    await waitFor(() => boss.parked >= 2, "bob's join and heartbeat parked at boss", {
      state: () => boss.parked,
    });
    assert.equal(boss.get("bob"), undefined);
    assert.equal(boss.dropped, 0);
    await transport.produce([
      await certificateRecord("t4", g.ownerKey.privateKey, "bob", certificate),
    ]);
    await waitFor(() => boss.get("bob") !== undefined, "bob at boss once his certificate came");
    await waitFor(() => boss.parked === 0, "nothing parked any more");
    assert.equal(boss.dropped, 0);
    assert.deepEqual(audits(g.owner.timeline), []);
  } finally {
    await bob.leave();
    await boss.leave();
  }
});

Deno.test("a record waits for its certificate only so long", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t5");
  await using _owner = g.owner;
  await using bobHome = await agentHome("bob");
  const boss = await startMember(transport, g, g.owner, g.init.certificate, { parkMs: 50 });
  const certificate = await certify(transport, g, bobHome, { publish: false });
  const bob = await startMember(transport, g, bobHome, certificate, { attachFirst: 0 });
  try {
    await waitFor(() => boss.dropped >= 2, "bob's parked records dropped after 50 ms", {
      state: () => audits(g.owner.timeline),
    });
    assert.deepEqual(audits(g.owner.timeline).slice(0, 2), [
      ["certificate_missing", "parked", "bob"],
      ["certificate_missing", "parked", "bob"],
    ]);
    assert.equal(boss.get("bob"), undefined);
  } finally {
    await bob.leave();
    await boss.leave();
  }
});

Deno.test("beyond the park limit a record waiting for a certificate is dropped and audited", async () => {
  const dropped: string[] = [];
  const { MemoryReplayStore, generateKeyPair } = await import("../../../../core/protocol/mod.ts");
  const trust = new GroupTrust({
    ownerKey: (await generateKeyPair()).publicKey,
    replay: new MemoryReplayStore(),
    audit: (d) => dropped.push(`${d.eventType} ${d.agentId}: ${d.detail}`),
    parkLimit: 1,
    parkMs: 10,
  });
  const handled: string[] = [];
  const handler = trust.guard((r) => {
    handled.push(r.offset);
  });
  const record = (offset: string, keyId?: string): InboundRecord => ({
    topic: "group.t6.heartbeats",
    partition: 0,
    offset,
    key: "agent:bob",
    value: new Uint8Array(),
    headers: keyId === undefined ? {} : { "kc-key-id": new TextEncoder().encode(keyId) },
    timestamp: Date.now(),
  });
  const first = await handler(record("0", "bob"));
  assert.ok(first && "work" in first);
  assert.equal(trust.parked, 1);
  assert.equal(await handler(record("1", "bob")), undefined);
  assert.deepEqual(dropped, [
    "certificate_missing bob: dropped: 1 records (0 bytes) already wait for certificates, at most 1 (16777216 bytes)",
  ]);
  // Unsigned and owner records are not held: verification decides about them.
  await handler(record("2"));
  await handler(record("3", "owner"));
  assert.deepEqual(handled, ["2", "3"]);
  await first.work();
  assert.equal(trust.parked, 0);
  assert.equal(dropped.length, 2);
});

Deno.test("records wait for a certificate only up to the park's bytes, and give them back when they go on", async () => {
  const dropped: string[] = [];
  const { MemoryReplayStore, generateKeyPair } = await import("../../../../core/protocol/mod.ts");
  const trust = new GroupTrust({
    ownerKey: (await generateKeyPair()).publicKey,
    replay: new MemoryReplayStore(),
    audit: (d) => dropped.push(d.detail),
    parkBytes: 100,
    parkMs: 10,
  });
  const handler = trust.guard(() => {});
  const record = (offset: string, bytes: number): InboundRecord => ({
    topic: "group.t6.heartbeats",
    partition: 0,
    offset,
    key: "agent:bob",
    value: new Uint8Array(bytes),
    headers: { "kc-key-id": new TextEncoder().encode("bob") },
    timestamp: Date.now(),
  });
  const first = await handler(record("0", 60));
  assert.ok(first && "work" in first && first.ready !== undefined);
  assert.equal(await handler(record("1", 41)), undefined);
  assert.deepEqual(dropped, [
    "dropped: 1 records (60 bytes) already wait for certificates, at most 1000 (100 bytes)",
  ]);
  const second = await handler(record("2", 40));
  assert.ok(second && "work" in second);
  assert.equal(trust.parked, 2);
  // Neither certificate comes: both are dropped when their time is up, and the park is empty.
  await Promise.all([first.work(), second.work()]);
  assert.equal(trust.parked, 0);
  assert.equal(dropped.length, 3);
  assert.ok(await handler(record("3", 100)), "the whole park is free again");
});

Deno.test("roster records from a member are refused but for certificates, which must chain to the owner", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t7");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const aliceCert = await certify(transport, g, aliceHome);
  const alice = await startMember(transport, g, aliceHome, aliceCert);
  try {
    const { generateKeyPair, exportPublicKey } = await import("../../../../core/protocol/mod.ts");
    const { admit, RecordSigner } = await import("../../../../core/group/mod.ts");
    const aliceSigner = new RecordSigner({
      keyId: "alice",
      privateKey: aliceHome.key.privateKey,
      certificate: aliceCert,
    });
    const roster = (payload: Record<string, unknown>, key: string) => ({
      topic: topicsFor("t7").roster,
      key,
      value: JSON.stringify({
        type: "roster",
        correlation_id: `r-${key}`,
        sender_id: "alice",
        timestamp: new Date().toISOString(),
        payload,
      }),
    });
    // A manifest from alice, and a certificate for bob that alice made up with her own key.
    const forgedCert = await admit(aliceHome.key.privateKey, {
      agentId: "bob",
      publicKey: await exportPublicKey((await generateKeyPair()).publicKey),
    });
    await transport.produce(
      await aliceSigner.sign([
        roster({ ...g.init.manifest, heartbeat_interval_ms: 1 }, "manifest"),
        roster({ agent_id: "bob", ...forgedCert }, "cert:bob"),
      ]),
    );
    await waitFor(() => boss.dropped >= 2, "both refused", {
      state: () => audits(g.owner.timeline),
    });
    assert.deepEqual(audits(g.owner.timeline), [
      ["signature_invalid", "not_owner", "alice"],
      ["signature_invalid", "untrusted_certificate", "bob"],
    ]);
    assert.equal(boss.manifest?.heartbeat_interval_ms, 1000);
  } finally {
    await alice.leave();
    await boss.leave();
  }
});

Deno.test("a held record goes through at once when its certificate came before its turn, work and all", async () => {
  const { MemoryReplayStore } = await import("../../../../core/protocol/mod.ts");
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t8");
  await using _owner = g.owner;
  await using bobHome = await agentHome("bob");
  const trust = new GroupTrust({
    ownerKey: g.ownerPublic,
    replay: new MemoryReplayStore(),
    audit: () => assert.fail("nothing is dropped"),
  });
  const done: string[] = [];
  const handler = trust.guard(() => ({ work: () => Promise.resolve(void done.push("work")) }));
  const held = await handler({
    topic: "group.t8.heartbeats",
    partition: 0,
    offset: "0",
    key: "agent:bob",
    value: new Uint8Array(),
    headers: { "kc-key-id": new TextEncoder().encode("bob") },
    timestamp: Date.now(),
  });
  assert.ok(held && "work" in held);
  assert.equal(
    await trust.learn(await certify(transport, g, bobHome, { publish: false })),
    undefined,
  );
  await held.work();
  assert.deepEqual(done, ["work"]);
  assert.equal(trust.parked, 0);
});

Deno.test("a member removed from the roster for its silence keeps its certificate: its next record verifies at once", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "t9");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  const boss = await startMember(transport, g, g.owner, g.init.certificate, { intervalMs: 60_000 });
  // Alice's certificate reaches boss only on the roster; her later records do not carry it.
  const alice = await startMember(
    transport,
    g,
    aliceHome,
    await certify(transport, g, aliceHome),
    { intervalMs: 200, attachFirst: 0 },
  );
  try {
    await waitFor(() => boss.get("alice") !== undefined, "alice at boss");
    await alice.close(); // silent, without leaving
    const seen = boss.get("alice")!.lastSeen;
    assert.deepEqual(boss.sweep(seen + 1200), [{ agentId: "alice", kind: "removed" }]);
    assert.equal(boss.get("alice"), undefined);
    // Back after a long quiet: her heartbeat, signed, without her certificate attached.
    const record = {
      topic: topicsFor("t9").heartbeats,
      key: "agent:alice",
      value: heartbeatJson("alice"),
    };
    const headers = await signRecord(record, {
      keyId: "alice",
      privateKey: aliceHome.key.privateKey,
    });
    await transport.produce([{ ...record, headers }]);
    await waitFor(() => boss.get("alice") !== undefined, "alice back on boss's roster");
    assert.equal(boss.parked, 0, "nothing waited for a certificate boss already had");
    assert.equal(boss.dropped, 0);
    assert.deepEqual(audits(g.owner.timeline), []);
  } finally {
    await boss.leave();
  }
});
