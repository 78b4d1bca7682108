/**
 * Trust on the real broker: a receiver that has not seen a newcomer's certificate (the newcomer
 * withholds `kc-cert` on its first records) holds its records and takes them once the
 * certificate arrives; forged, replayed and revoked records are dropped and audited.
 */
import assert from "node:assert/strict";
import { certificateRecord, revocationRecord } from "../../../../core/group/mod.ts";
import { agentKey, signRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { type InboundRecord, loadKafka } from "../../../../core/transport/mod.ts";
import { droppedIn } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { agentHome, certify, makeGroup, startMember } from "../../../_support/group_member.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

function transport(id: string): KafkaTransport {
  return new KafkaTransport({ brokers, clientId: `kafclaw-${id}` });
}

Deno.test(
  "a newcomer's records wait for its certificate at a receiver that lacks it, then count",
  opts,
  async () => {
    const group = uniqueName("park").replaceAll("-", "");
    const owner = transport("owner");
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using bobHome = await agentHome("bob");
    const bossSide = transport("boss");
    const bobSide = transport("bob");
    const boss = await startMember(bossSide, g, g.owner, g.init.certificate);
    const certificate = await certify(owner, g, bobHome, { publish: false });
    const bob = await startMember(bobSide, g, bobHome, certificate, { attachFirst: 0 });
    try {
      await waitFor(() => boss.parked >= 2, "bob's join and first heartbeat held at boss", {
        state: () => boss.parked,
      });
      assert.equal(boss.get("bob"), undefined);
      await owner.produce([
        await certificateRecord(group, g.ownerKey.privateKey, "bob", certificate),
      ]);
      await waitFor(() => boss.get("bob")?.status === "active", "bob on boss's roster");
      await waitFor(() => boss.parked === 0, "nothing held any more");
      assert.deepEqual(droppedIn(g.owner.timeline), []);
    } finally {
      await bob.leave();
      await boss.leave();
      await Promise.all([owner.close(), bossSide.close(), bobSide.close()]);
    }
  },
);

Deno.test(
  "records awaiting a certificate are parked within the bounds while the receiver reads on; past the count or the time they are dropped and audited",
  opts,
  async () => {
    const group = uniqueName("bound").replaceAll("-", "");
    const owner = transport("owner");
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using aliceHome = await agentHome("alice");
    await using ninaHome = await agentHome("nina");
    const sides = [transport("boss"), transport("alice")] as const;
    // More may wait than the heartbeats' executor runs at once (4).
    const boss = await startMember(sides[0], g, g.owner, g.init.certificate, {
      parkMs: 4000,
      parkLimit: 6,
    });
    const alice = await startMember(sides[1], g, aliceHome, await certify(owner, g, aliceHome));
    // Nina's certificate is on no roster record, and her records do not carry it.
    const certificate = await certify(owner, g, ninaHome, { publish: false });
    const topic = topicsFor(group).heartbeats;
    const withheld = async (count: number) => {
      const records = [];
      for (let i = 0; i < count; i++) {
        const record = { topic, key: agentKey("nina"), value: heartbeatJson("nina") };
        const signer = { keyId: "nina", privateKey: ninaHome.key.privateKey, certificate };
        const headers = await signRecord(record, signer, { attachCertificate: false });
        records.push({ ...record, headers });
      }
      await owner.produce(records);
    };
    const ninas = () => droppedIn(g.owner.timeline).filter((d) => d.endsWith("/nina"));
    const state = () => ({ parked: boss.parked, dropped: droppedIn(g.owner.timeline) });
    try {
      await waitFor(() => boss.get("alice")?.status === "active", "alice on boss's roster");
      await withheld(8);
      const sentAt = Date.now();
      // Six wait (the count), the two beyond it are dropped and audited at once.
      await waitFor(() => boss.parked === 6 && ninas().length === 2, "six parked, two dropped", {
        state,
      });
      assert.deepEqual(ninas(), [
        "certificate_missing/parked/nina",
        "certificate_missing/parked/nina",
      ]);
      // While they wait, boss reads alice's heartbeats behind them.
      await waitFor(
        () => (boss.get("alice")?.lastSeen ?? 0) > sentAt + 1000 && boss.parked === 6,
        "a heartbeat of alice's sent after nina's records, read while they wait",
        { state: () => ({ ...state(), alice: boss.get("alice") }) },
      );
      // No certificate comes: after their time the six are dropped and audited too.
      await waitFor(() => ninas().length === 8 && boss.parked === 0, "the six dropped in time", {
        state,
      });
      assert.equal(boss.get("nina"), undefined);
      // Parked again, then the certificate comes: they go on, and nothing more is dropped.
      await withheld(2);
      await waitFor(() => boss.parked === 2, "two more parked", { state });
      await owner.produce([
        await certificateRecord(group, g.ownerKey.privateKey, "nina", certificate),
      ]);
      await waitFor(() => boss.parked === 0, "nina's records taken once her certificate came", {
        state,
      });
      assert.equal(ninas().length, 8);
      assert.equal(boss.get("alice")?.status, "active");
    } finally {
      await alice.leave();
      await boss.leave();
      await Promise.all([owner.close(), ...sides.map((s) => s.close())]);
    }
  },
);

Deno.test(
  "forged, replayed and revoked records are dropped and audited on the real broker",
  opts,
  async () => {
    const group = uniqueName("forge").replaceAll("-", "");
    const owner = transport("owner");
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using aliceHome = await agentHome("alice");
    await using malloryHome = await agentHome("mallory");
    const sides = [transport("boss"), transport("alice"), transport("mallory")] as const;
    const boss = await startMember(sides[0], g, g.owner, g.init.certificate);
    const alice = await startMember(sides[1], g, aliceHome, await certify(owner, g, aliceHome));
    const mallory = await startMember(
      sides[2],
      g,
      malloryHome,
      await certify(owner, g, malloryHome),
    );
    // Alice's own heartbeats, as they are on the topic.
    const seen: InboundRecord[] = [];
    const topic = topicsFor(group).heartbeats;
    const watch = await owner.subscribe({
      kind: "state",
      topics: [topic],
      groupId: `kafclaw.${group}.watch`,
      handler: (r) => {
        if (r.key === agentKey("alice")) seen.push(r);
      },
    });
    try {
      await waitFor(() => boss.get("mallory") !== undefined && seen.length > 0, "all joined");
      const value = heartbeatJson("alice", { capacity: 99 });
      const forged = { topic, key: agentKey("alice"), value };
      const original = seen[seen.length - 1]!;
      await owner.produce([
        {
          ...forged,
          headers: await signRecord(forged, {
            keyId: "alice",
            privateKey: malloryHome.key.privateKey,
          }),
        },
        { topic, key: agentKey("alice"), value: original.value, headers: original.headers },
      ]);
      await waitFor(() => boss.dropped >= 2, "the forged and the replayed record dropped", {
        state: () => droppedIn(g.owner.timeline),
      });
      assert.deepEqual(droppedIn(g.owner.timeline), [
        "signature_invalid/bad_signature/alice",
        "replay_dropped/replay/alice",
      ]);
      assert.notEqual(boss.get("alice")?.load.capacity, 99);
      await owner.produce([
        await revocationRecord(group, g.ownerKey.privateKey, "mallory", "forged"),
      ]);
      await waitFor(() => boss.get("mallory") === undefined, "mallory off the roster");
      await waitFor(
        () => droppedIn(g.owner.timeline).includes("signature_invalid/certificate_revoked/mallory"),
        "mallory's next heartbeat dropped as revoked",
        { state: () => droppedIn(g.owner.timeline) },
      );
    } finally {
      await watch.close();
      await mallory.leave();
      await alice.leave();
      await boss.leave();
      await Promise.all([owner.close(), ...sides.map((s) => s.close())]);
    }
  },
);

Deno.test(
  "an expired certificate's records, its certificate on the roster or on the record, are dropped and audited on the real broker",
  opts,
  async () => {
    const group = uniqueName("expire").replaceAll("-", "");
    const owner = transport("owner");
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    await using oldHome = await agentHome("old");
    await using lateHome = await agentHome("late");
    const bossSide = transport("boss");
    const boss = await startMember(bossSide, g, g.owner, g.init.certificate);
    const yesterday = { validDays: 1, now: new Date(Date.now() - 2 * 86_400_000) };
    try {
      // old's expired certificate is on the roster, as the owner issued it; late's travels only
      // on its record, in the kc-cert header.
      const old = await certify(owner, g, oldHome, yesterday);
      const late = await certify(owner, g, lateHome, { ...yesterday, publish: false });
      const topic = topicsFor(group).heartbeats;
      const signed = async (id: string, home: typeof oldHome, certificate: typeof old) => {
        const record = { topic, key: agentKey(id), value: heartbeatJson(id) };
        const headers = await signRecord(record, {
          keyId: id,
          privateKey: home.key.privateKey,
          certificate,
        }, { attachCertificate: id === "late" });
        return { ...record, headers };
      };
      await owner.produce([
        await signed("old", oldHome, old),
        await signed("late", lateHome, late),
      ]);
      // The roster's copy of old's certificate is refused as expired too; old's heartbeat does
      // not wait (60 s) for a valid certificate that will never come, audited as missing.
      await waitFor(() => boss.dropped >= 3, "the expired certificate and both records dropped", {
        state: () => droppedIn(g.owner.timeline),
      });
      // Keyed apart, the records may sit on different partitions: their order is not fixed.
      assert.deepEqual(droppedIn(g.owner.timeline).sort(), [
        "signature_invalid/certificate_expired/late",
        "signature_invalid/certificate_expired/old",
        "signature_invalid/certificate_expired/old",
      ]);
      assert.equal(boss.parked, 0);
      assert.equal(boss.get("old"), undefined);
      assert.equal(boss.get("late"), undefined);
    } finally {
      await boss.leave();
      await Promise.all([owner.close(), bossSide.close()]);
    }
  },
);
