/**
 * Membership over the in-process transport: group init, join and leave, a newcomer reading the
 * roster from the state topics, heartbeats with load, the roster in SQLite, the topic check.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  GroupTopicsError,
  IDENTITY_FILES,
  Membership,
  readManifest,
  readRoster,
} from "../../../../core/group/mod.ts";
import { importPublicKey, topicsFor, topicSpecs } from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  agentHome,
  certify,
  identityOf,
  makeGroup,
  startMember,
} from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("group init makes the owner key (0600), every topic, the manifest and the owner's certificate", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "g1");
  await using _owner = g.owner;
  const mode = (name: string) => Deno.statSync(join(g.owner.identityDir, name)).mode! & 0o777;
  assert.equal(mode(IDENTITY_FILES.ownerKey), 0o600);
  assert.equal(mode(IDENTITY_FILES.agentKey), 0o600);
  assert.equal(mode(IDENTITY_FILES.certificate), 0o600);
  assert.equal(Deno.statSync(g.owner.identityDir).mode! & 0o777, 0o700);
  const specs = topicSpecs("g1", { agents: ["boss"] });
  assert.deepEqual(await transport.verifyTopics(specs), []);
  assert.deepEqual([...g.init.created].sort(), specs.map((s) => s.name).sort());
  assert.equal(g.init.manifest.security_mode, "signed");
  // A second init on the same home keeps the owner key.
  await assert.rejects(
    () => makeGroupAgain(transport, g.owner.identityDir),
    /owner key: .* exists/,
  );
  // The owner's agent starts on its certificate and sees the manifest.
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  try {
    assert.equal(boss.manifest?.owner_key, g.init.ownerPublicKey);
    assert.deepEqual(boss.members().map((m) => m.agentId), ["boss"]);
  } finally {
    await boss.leave();
  }
});

async function makeGroupAgain(transport: MemoryTransport, identityDir: string) {
  const { initGroup } = await import("../../../../core/group/mod.ts");
  return await initGroup({
    group: "g1",
    agentId: "boss",
    identityDir,
    transport,
    security: "signed",
    onboardMode: "open",
    heartbeatIntervalMs: 1000,
  });
}

Deno.test("members see each other join and leave; a newcomer has the roster from the state topics", async () => {
  const transport = new MemoryTransport({ faults: { seed: 3, maxDelayMs: 5, reorder: true } });
  const g = await makeGroup(transport, "g2");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using bobHome = await agentHome("bob");
  await using carolHome = await agentHome("carol");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const alice = await startMember(
    transport,
    g,
    aliceHome,
    await certify(transport, g, aliceHome),
    { skills: ["translate"] },
  );
  const bob = await startMember(transport, g, bobHome, await certify(transport, g, bobHome));
  try {
    const ids = (m: Membership) => m.members().map((x) => x.agentId);
    await waitFor(() => ids(boss).length === 3, "boss to see three members", {
      state: () => ids(boss),
    });
    assert.deepEqual(ids(boss), ["alice", "bob", "boss"]);
    assert.deepEqual(boss.live("translate").map((m) => m.agentId), ["alice"]);
    // The roster is in SQLite too.
    await waitFor(
      () => g.owner.timeline.members.list().length === 3,
      "three members in boss's SQLite",
    );
    // A newcomer reads the state topics and has the whole roster at once.
    const carol = await startMember(
      transport,
      g,
      carolHome,
      await certify(transport, g, carolHome),
    );
    try {
      assert.deepEqual(ids(carol), ["alice", "bob", "boss", "carol"]);
      assert.equal(await bob.leave(), true, "the others told that bob leaves");
      assert.equal(await bob.leave(), false, "gone already: nobody is told again");
      await waitFor(() => !ids(carol).includes("bob"), "bob gone from carol's roster");
      await waitFor(() => !ids(boss).includes("bob"), "bob gone from boss's roster");
      assert.equal(g.owner.timeline.members.list().some((m) => m.agentId === "bob"), false);
      assert.equal(boss.dropped + carol.dropped, 0);
    } finally {
      await carol.leave();
    }
  } finally {
    await bob.leave();
    await alice.leave();
    await boss.leave();
  }
});

Deno.test("a newcomer hears the recent heartbeats of a member that announced itself long before", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "g2b");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using carolHome = await agentHome("carol");
  const aliceCert = await certify(transport, g, aliceHome);
  const carolCert = await certify(transport, g, carolHome);
  const alice = await startMember(transport, g, aliceHome, aliceCert, { intervalMs: 300 });
  const announced = Date.now();
  // Alice runs longer than her removal after silence (6 intervals), heartbeating, then falls
  // silent (no leave): her last heartbeat is recent, her announce is not.
  await waitFor(() => Date.now() > announced + 6 * 300 + 200, "alice's announce grown old");
  await alice.close();
  const carol = await startMember(transport, g, carolHome, carolCert, { intervalMs: 300 });
  try {
    const seen = carol.get("alice");
    assert.ok(seen !== undefined, "alice on carol's roster");
    assert.ok(
      seen.lastSeen > announced + 6 * 300,
      "heard from her last heartbeat, not her announce",
    );
    assert.deepEqual(carol.sweep(seen.lastSeen + 1), [], "not removed, nor stale, at once");
    assert.deepEqual(carol.live().map((m) => m.agentId), ["alice", "carol"]);
  } finally {
    await carol.leave();
  }
});

Deno.test("heartbeats carry load and expertise to the others' rosters", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "g3");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const alice = await Membership.start({
    group: "g3",
    transport,
    identity: identityOf("alice", aliceHome.key.publicKeyText, { skills: ["sql"] }),
    security: "signed",
    signer: {
      keyId: "alice",
      privateKey: aliceHome.key.privateKey,
      certificate: await certify(transport, g, aliceHome),
    },
    ownerKey: g.ownerPublic,
    store: aliceHome.timeline,
    load: () => ({ running: 2, capacity: 4 }),
    expertise: () => ({ sql: 0.75 }),
  });
  try {
    await waitFor(() => boss.get("alice")?.load.capacity === 4, "alice's heartbeat at boss");
    const seen = boss.get("alice")!;
    assert.deepEqual(seen.load, { running: 2, capacity: 4 });
    assert.deepEqual(seen.expertise, { sql: 0.75 });
    assert.deepEqual(seen.skills, ["sql"]);
    const stored = g.owner.timeline.members.list().find((m) => m.agentId === "alice")!;
    assert.deepEqual(stored.load, { running: 2, capacity: 4 });
    assert.equal(aliceHome.timeline.settings.get("group.alive_at") !== undefined, true);
    // Gone, she leaves no mark: a command of her home started next finds no member running.
    await alice.leave();
    assert.equal(aliceHome.timeline.settings.get("group.alive_at"), undefined);
  } finally {
    await alice.leave();
    await boss.leave();
  }
});

Deno.test("a member that falls silent goes stale after 3 of its intervals and is removed after 6", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "g4");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  const boss = await startMember(transport, g, g.owner, g.init.certificate, { intervalMs: 60_000 });
  const alice = await startMember(
    transport,
    g,
    aliceHome,
    await certify(transport, g, aliceHome),
    { intervalMs: 200 },
  );
  try {
    await waitFor(() => boss.get("alice") !== undefined, "alice at boss");
    await alice.close(); // silent, without leaving
    assert.equal(aliceHome.timeline.settings.get("group.alive_at"), undefined, "no mark left");
    const seen = boss.get("alice")!.lastSeen;
    assert.deepEqual(boss.sweep(seen + 599), []);
    assert.deepEqual(boss.sweep(seen + 600), [{ agentId: "alice", kind: "stale" }]);
    assert.equal(boss.get("alice")?.status, "stale");
    assert.deepEqual(boss.live().map((m) => m.agentId), ["boss"]);
    assert.equal(
      g.owner.timeline.members.list().find((m) => m.agentId === "alice")?.status,
      "stale",
    );
    assert.deepEqual(boss.sweep(seen + 1200), [{ agentId: "alice", kind: "removed" }]);
    assert.equal(boss.get("alice"), undefined);
    assert.equal(g.owner.timeline.members.list().some((m) => m.agentId === "alice"), false);
    // boss itself is judged by its own, longer interval.
    assert.ok(boss.get("boss"));
  } finally {
    await boss.leave();
  }
});

Deno.test("an agent refuses to start when a topic of the group is missing, naming it in one line", async () => {
  const transport = new MemoryTransport();
  await using home = await agentHome("alice");
  const topics = topicsFor("g5");
  await transport.createTopics(
    topicSpecs("g5", { agents: ["alice"] }).filter((s) => s.name !== topics.heartbeats),
  );
  await assert.rejects(
    () =>
      Membership.start({
        group: "g5",
        transport,
        identity: identityOf("alice", home.key.publicKeyText),
        security: "open",
        store: home.timeline,
        command: "scripts/kafclaw",
      }),
    (e: unknown) => {
      assert.ok(e instanceof GroupTopicsError);
      assert.equal(
        e.message,
        'Cannot use group "g5": 1 topic(s) missing (group.g5.heartbeats); create them with ' +
          "scripts/kafclaw group init",
      );
      assert.ok(!e.message.includes("\n"));
      return true;
    },
  );
});

Deno.test("one who is not a member reads the roster from the group's topics", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "g6");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using bobHome = await agentHome("bob");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  const bob = await startMember(transport, g, bobHome, await certify(transport, g, bobHome));
  try {
    await bob.leave();
    const read = await readRoster(transport, "g6", { ownerKey: g.ownerPublic });
    assert.deepEqual(read.members.map((m) => [m.agentId, m.status]), [
      ["alice", "active"],
      ["boss", "active"],
    ]);
    assert.equal(read.manifest?.group_name, "g6");
    // Read as an open group, nothing is verified, and the same members show.
    const open = await readRoster(transport, "g6");
    assert.deepEqual(open.members.map((m) => m.agentId), ["alice", "boss"]);
    // The manifest alone (group status), verified or not; a group without one has none.
    const manifest = await readManifest(transport, "g6", { ownerKey: g.ownerPublic });
    assert.deepEqual([manifest?.group_name, manifest?.security_mode], ["g6", "signed"]);
    assert.equal((await readManifest(transport, "g6"))?.onboard_mode, "open");
    await using other = await agentHome("eve");
    const forged = await readManifest(transport, "g6", {
      ownerKey: await importPublicKey(other.key.publicKeyText),
    });
    assert.equal(forged, undefined, "a manifest that does not verify against the key is not one");
    await transport.createTopics(topicSpecs("g7"));
    assert.equal(await readManifest(transport, "g7"), undefined);
  } finally {
    await alice.leave();
    await boss.leave();
  }
});

/** A transport whose producer cannot connect ahead of its first send. */
class NoEarlyProducer extends MemoryTransport {
  tries = 0;
  connectProducer(): Promise<void> {
    this.tries++;
    return Promise.reject(new Error("the broker is not up yet"));
  }
}

Deno.test("a producer that cannot connect ahead of the join does not stop the start: the join connects", async () => {
  const transport = new NoEarlyProducer();
  const g = await makeGroup(transport, "g1");
  await using _owner = g.owner;
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  try {
    assert.equal(transport.tries, 1, "the producer was asked to connect early");
    assert.deepEqual(boss.members().map((m) => m.agentId), ["boss"]);
  } finally {
    await boss.leave();
  }
});

Deno.test("heartbeats that cannot be sent are said once, and so is the first that goes again", async () => {
  const memory = new MemoryTransport();
  const g = await makeGroup(memory, "gbeat");
  await using _owner = g.owner;
  const heartbeats = topicsFor("gbeat").heartbeats;
  let refusal: unknown;
  let refused = 0;
  // The transport the member sends through: while `refusal` is set, heartbeats fail with it.
  const transport = producing(memory, (records) => {
    if (refusal === undefined || !records.some((r) => r.topic === heartbeats)) return undefined;
    refused++;
    return Promise.reject(refusal);
  });
  const said: string[] = [];
  const boss = await startMember(transport, g, g.owner, g.init.certificate, {
    intervalMs: 20,
    warn: (line) => said.push(line),
  });
  try {
    refusal = new Error("This server does not host this topic-partition\nat the broker");
    await waitFor(() => refused >= 3, "three heartbeats refused");
    assert.deepEqual(said, [
      'Cannot send the heartbeat of "boss" to group "gbeat": This server does not host this ' +
      "topic-partition; the group takes it for stale until one goes",
    ]);
    refusal = undefined;
    await waitFor(() => said.length === 2, "the heartbeats going again", { state: () => said });
    assert.equal(said[1], 'Heartbeats of "boss" reach group "gbeat" again');
    // The next time they fail, it is said again, whatever was thrown.
    refusal = "a refusal that is no Error";
    await waitFor(() => said.length === 3, "the second refusal said", { state: () => said });
    assert.match(said[2]!, /"gbeat": a refusal that is no Error; the group takes it/);
    refusal = undefined;
    await waitFor(() => said.length === 4, "the heartbeats going again", { state: () => said });
    // Kafka out of reach is the transport's to say: not a word here, then or after.
    refusal = Object.assign(new Error("Cannot reach Kafka"), { name: "KafkaUnreachableError" });
    const before = refused;
    await waitFor(() => refused >= before + 3, "three more refused");
    refusal = undefined;
    const sent = memory.broker.topics.get(heartbeats)!.log.flat().length;
    await waitFor(
      () => memory.broker.topics.get(heartbeats)!.log.flat().length > sent,
      "a heartbeat sent",
    );
    assert.equal(said.length, 4);
  } finally {
    await boss.leave();
  }
});

Deno.test("a leave that cannot be sent, or not in time, is said, and the member stops all the same", async () => {
  const memory = new MemoryTransport();
  const g = await makeGroup(memory, "gleave");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  const announce = topicsFor("gleave").announce;
  let leave: "refused" | "stuck" | undefined;
  // The transport the members send through: their leave is refused, or never acknowledged.
  const transport = producing(memory, (records) => {
    if (leave === undefined || !records.some((r) => r.topic === announce)) return undefined;
    return leave === "refused"
      ? Promise.reject(new Error("Cannot reach Kafka"))
      : new Promise(() => {});
  });
  const said: string[] = [];
  const warn = (line: string) => void said.push(line);
  const boss = await startMember(transport, g, g.owner, g.init.certificate, { warn });
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome), {
    warn,
  });
  leave = "refused";
  assert.equal(await boss.leave(), false, "boss's leave was refused");
  leave = "stuck";
  assert.equal(await alice.leave(50), false, "alice's leave was not acknowledged");
  assert.deepEqual(said, [
    'Could not tell group "gleave" that "boss" leaves (Cannot reach Kafka): its members take it ' +
    "for gone once it has been silent for 6 of its intervals",
    'Could not tell group "gleave" that "alice" leaves (not within 50 ms): its members take it ' +
    "for gone once it has been silent for 6 of its intervals",
  ]);
  assert.equal(boss.closed && alice.closed, true);
});

/**
 * `memory` as a member sends through it: `produce` answers what `instead` returns for the records,
 * or, when it returns nothing, produces them.
 */
function producing(
  memory: MemoryTransport,
  instead: (records: Parameters<MemoryTransport["produce"]>[0]) => Promise<void> | undefined,
): MemoryTransport {
  return new Proxy(memory, {
    get(target, key) {
      if (key !== "produce") {
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (records: Parameters<MemoryTransport["produce"]>[0]) =>
        instead(records) ?? target.produce(records);
    },
  });
}
