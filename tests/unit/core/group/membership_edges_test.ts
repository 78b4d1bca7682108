/**
 * The edges of a membership: open mode, a signed group without a certificate, an agent running
 * twice, a restart on a cached roster, certificates learned from record headers, the task side's
 * trust and guard, the signer, misconfigured topics, and a membership that left sending nothing.
 */
import assert from "node:assert/strict";
import {
  GroupTopicsError,
  Membership,
  MembershipClosed,
  memberTopicSpecs,
  RecordSigner,
  revocationRecord,
} from "../../../../core/group/mod.ts";
import {
  type CertificateBundle,
  HEADERS,
  parseRecord,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import {
  MemoryTransport,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from "../../../../core/transport/mod.ts";
import {
  type AgentHome,
  agentHome,
  certify,
  identityOf,
  makeGroup,
  startMember,
} from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";

/** Starts `home`'s agent as an open member of `group` on `transport`: it must fail as `reason` says. */
async function openStartFails(
  transport: Transport,
  group: string,
  home: AgentHome,
  reason: RegExp | ((error: unknown) => boolean),
): Promise<void> {
  await assert.rejects(
    () =>
      Membership.start({
        group,
        transport,
        identity: identityOf(home.agentId, home.key.publicKeyText),
        security: "open",
        store: home.timeline,
      }),
    reason,
  );
}

Deno.test("in an open group records go unsigned, members see each other, and nobody is vouched", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("open1"));
  await using aliceHome = await agentHome("alice");
  await using bobHome = await agentHome("bob");
  const start = (home: typeof aliceHome) =>
    Membership.start({
      group: "open1",
      transport,
      identity: identityOf(home.agentId, home.key.publicKeyText),
      security: "open",
      store: home.timeline,
    });
  const alice = await start(aliceHome);
  const bob = await start(bobHome);
  try {
    await waitFor(() => alice.get("bob") !== undefined, "bob at alice");
    const [first] = transport.broker.topics.get(topicsFor("open1").announce)!.log.flat();
    assert.deepEqual(first!.headers, {});
    const parsed = parseRecord(first!);
    assert.ok(parsed.ok);
    assert.deepEqual(await alice.trust(first!, parsed.envelope), { ok: true, vouched: false });
    // Its guard verifies nothing: once the membership has started, records go straight through.
    const seen: string[] = [];
    const guarded = alice.guard((record) => void seen.push(record.offset));
    assert.equal(await guarded(first!), undefined);
    assert.deepEqual(seen, [first!.offset]);
    assert.equal(alice.parked, 0);
  } finally {
    await bob.leave();
    await alice.leave();
  }
});

Deno.test("a signed membership needs a certificate, and an agent runs once in a group", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "e2");
  await using _owner = g.owner;
  await assert.rejects(
    () =>
      Membership.start({
        group: "e2",
        transport,
        identity: identityOf("boss", g.owner.key.publicKeyText),
        security: "signed",
        signer: { keyId: "boss", privateKey: g.owner.key.privateKey },
        ownerKey: g.ownerPublic,
        store: g.owner.timeline,
      }),
    /Cannot join a signed group without the owner key and a certificate/,
  );
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  try {
    await assert.rejects(
      () => startMember(transport, g, g.owner, g.init.certificate),
      (error: Error) => {
        assert.equal(error.name, "AgentRunsError");
        assert.match(error.message, /^Cannot join group "e2": agent "boss" already runs in it/);
        assert.match(error.message, /give this one an agent id of its own \(group\.agentId\)$/);
        return true;
      },
    );
  } finally {
    await boss.leave();
  }
});

Deno.test("a restarted agent starts from the certificates it cached, and refuses the revoked ones", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "e3");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using bobHome = await agentHome("bob");
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  const bobs = await certify(transport, g, bobHome);
  await transport.produce([await revocationRecord("e3", g.ownerKey.privateKey, "bob", "gone")]);
  await waitFor(
    () => aliceHome.timeline.certificates.list().some((c) => c.revoked),
    "the revocation cached",
  );
  assert.equal(alice.closed, false);
  await alice.leave();
  assert.equal(alice.closed, true, "it has left");
  const again = await Membership.start({
    group: "e3",
    transport,
    identity: identityOf("alice", aliceHome.key.publicKeyText),
    security: "signed",
    signer: {
      keyId: "alice",
      privateKey: aliceHome.key.privateKey,
      certificate: await certify(transport, g, aliceHome, { publish: false }),
    },
    ownerKey: g.ownerPublic,
    store: aliceHome.timeline,
    clockSkewMs: 60_000,
  });
  try {
    assert.deepEqual(again.members().map((m) => m.agentId), ["alice"]);
    const topic = topicsFor("e3").heartbeats;
    const value = heartbeatJson("bob");
    const [signed] = await new RecordSigner({
      keyId: "bob",
      privateKey: bobHome.key.privateKey,
      certificate: bobs,
    }).sign([{ topic, key: "agent:bob", value }]);
    await transport.produce([signed!]);
    await waitFor(() => again.dropped === 1, "bob's heartbeat dropped");
    assert.equal(again.get("bob"), undefined);
  } finally {
    await again.leave();
  }
});

Deno.test("a certificate sent along with a record is learned from it; the task side's trust vouches by it", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "e4");
  await using _owner = g.owner;
  await using bobHome = await agentHome("bob");
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  // Bob's certificate never reaches the roster; it travels in his records' headers.
  const bob = await startMember(
    transport,
    g,
    bobHome,
    await certify(transport, g, bobHome, { publish: false }),
  );
  try {
    await waitFor(() => boss.get("bob") !== undefined, "bob at boss");
    assert.equal(boss.parked, 0);
    const heartbeats = transport.broker.topics.get(topicsFor("e4").heartbeats)!.log.flat();
    const mine = heartbeats.find((r) => r.key === "agent:bob")!;
    const parsed = parseRecord(mine);
    assert.ok(parsed.ok);
    // Already seen by boss's own feed: the same bytes at another offset are a replay to it now,
    // the same record delivered again is not (and bob's certificate does not vouch for him).
    const copy = { ...mine, offset: String(Number(mine.offset) + 1000) };
    const again = await boss.trust(copy, parsed.envelope);
    assert.equal(again.ok, false);
    assert.deepEqual(await boss.trust({ ...mine }, parsed.envelope), { ok: true, vouched: false });
    // The owner's own agent is vouched; a fresh record of it verifies.
    const fresh = await signedRecord(boss, transport);
    const verdict = await boss.trust(fresh.record, fresh.envelope);
    assert.deepEqual(verdict, { ok: true, vouched: true });
  } finally {
    await bob.leave();
    await boss.leave();
  }
});

/** A record `member` signs and sends on the group's audit topic, as the topic holds it. */
async function signedRecord(member: Membership, transport: MemoryTransport) {
  const topic = topicsFor(member.group).audit;
  const value = JSON.stringify({
    type: "audit",
    correlation_id: "a-1",
    sender_id: member.agentId,
    timestamp: new Date().toISOString(),
    payload: { event_type: "poison_record", detail: "x", agent_id: member.agentId },
  });
  await member.send([{ topic, key: `agent:${member.agentId}`, value }]);
  const record = transport.broker.topics.get(topic)!.log.flat().at(-1)!;
  const parsed = parseRecord(record);
  assert.ok(parsed.ok);
  return { record, envelope: parsed.envelope };
}

Deno.test("the signer sends the certificate along when asked, and nothing in an open group", async () => {
  const g = await makeGroup(new MemoryTransport(), "e5");
  await using _owner = g.owner;
  const signer = new RecordSigner({
    keyId: "boss",
    privateKey: g.owner.key.privateKey,
    certificate: g.init.certificate,
  }, { attachFirst: 0 });
  const record = { topic: "group.e5.audit", key: "agent:boss", value: "{}" };
  const [plain] = await signer.sign([record]);
  assert.equal(plain!.headers?.[HEADERS.cert], undefined);
  signer.attachNext();
  const [withCert, after] = await signer.sign([record, record]);
  assert.equal(withCert!.headers?.[HEADERS.cert], g.init.certificate.cert);
  assert.equal(after!.headers?.[HEADERS.cert], undefined);
  assert.deepEqual(await new RecordSigner(undefined).sign([record]), [record]);
  new RecordSigner(undefined).attachNext(); // nothing to attach: no effect
});

Deno.test("a topic configured otherwise than the protocol needs stops the agent with the fix", async () => {
  const transport = new MemoryTransport();
  await using home = await agentHome("alice");
  const specs = memberTopicSpecs("e6", { agentId: "alice" });
  const announce = topicsFor("e6").announce;
  await transport.createTopics(
    specs.map((s) =>
      s.name === announce ? { ...s, config: { ...s.config, "cleanup.policy": "delete" } } : s
    ),
  );
  await openStartFails(
    transport,
    "e6",
    home,
    (e: unknown) => {
      assert.ok(e instanceof GroupTopicsError);
      assert.match(
        e.message,
        /^Cannot use group "e6": group\.e6\.announce has cleanup\.policy delete, expected compact \(fix: /,
      );
      return true;
    },
  );
});

Deno.test("offered skills are announced with a heartbeat at once; after leaving, nothing is sent", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("open2"));
  await using home = await agentHome("ann");
  const ann = await Membership.start({
    group: "open2",
    transport,
    identity: identityOf(home.agentId, home.key.publicKeyText),
    security: "open",
    store: home.timeline,
  });
  const said = (topic: string) =>
    transport.broker.topics.get(topic)!.log.flat().map((r) => {
      const parsed = parseRecord(r);
      assert.ok(parsed.ok);
      const payload = parsed.envelope.payload as { skills?: string[]; identity?: { skills: [] } };
      return `${parsed.envelope.type}:${(payload.skills ?? payload.identity?.skills)?.join(",")}`;
    });
  const { announce, heartbeats } = topicsFor("open2");
  await ann.offer(["sql", "maps"]);
  assert.equal(said(announce).at(-1), "announce:sql,maps");
  assert.equal(said(heartbeats).at(-1), "heartbeat:sql,maps");
  await ann.leave();
  const before = [said(announce).length, said(heartbeats).length];
  await ann.offer(["poetry"]);
  assert.deepEqual([said(announce).length, said(heartbeats).length], before);
});

Deno.test("a state topic that cannot be read stops the start with the reason", async () => {
  const skills = topicsFor("e9").skills;
  class Unreadable extends MemoryTransport {
    override subscribe(options: SubscribeOptions): Promise<Subscription> {
      if (options.topics.includes(skills)) {
        return Promise.reject(new Error(`Cannot read ${skills}: not authorized`));
      }
      return super.subscribe(options);
    }
  }
  const transport = new Unreadable();
  await transport.createTopics(memberTopicSpecs("e9"));
  await using home = await agentHome("alice");
  await openStartFails(
    transport,
    "e9",
    home,
    new RegExp(`Cannot read ${skills.replaceAll(".", "\\.")}: not authorized`),
  );
  await transport.close();
});

Deno.test("a membership that left sends nothing more: a send through it is refused in one line", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "e9");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  const alice = await startMember(transport, g, aliceHome, await certify(transport, g, aliceHome));
  const topic = topicsFor("e9").audit;
  await alice.send([{ topic, key: "alice", value: "{}" }]);
  await alice.leave();
  let produced = 0;
  const produce = transport.produce.bind(transport);
  transport.produce = (records) => {
    produced += records.length;
    return produce(records);
  };
  await assert.rejects(
    alice.send([{ topic, key: "alice", value: "{}" }]),
    (error: Error) =>
      error instanceof MembershipClosed &&
      error.message === 'alice is not a member of group "e9" now: it has left it',
  );
  assert.equal(produced, 0, "nothing reached the broker");
  // Offering skills after the leave changes what it would announce, and sends nothing either.
  await alice.offer(["translate"]);
  assert.equal(produced, 0);
});

Deno.test("a subscription that fails while the roster is still read stops the start with the reason, no unhandled rejection", async () => {
  const { roster, heartbeats } = topicsFor("e10");
  class SlowRoster extends MemoryTransport {
    override async subscribe(options: SubscribeOptions): Promise<Subscription> {
      // The heartbeats refused at once (a broker still taking in a new topic's leadership, say),
      // while the roster's read takes a moment more.
      if (options.topics.includes(heartbeats)) {
        throw new Error(`Cannot read ${heartbeats}: not the leader`);
      }
      if (options.topics.includes(roster)) await new Promise((r) => setTimeout(r, 50));
      return await super.subscribe(options);
    }
  }
  const transport = new SlowRoster();
  await transport.createTopics(memberTopicSpecs("e10"));
  await using home = await agentHome("alice");
  await openStartFails(
    transport,
    "e10",
    home,
    new RegExp(`Cannot read ${heartbeats.replaceAll(".", "\\.")}: not the leader`),
  );
  await transport.close();
});

Deno.test("a newcomer's membership reads the group while its certificate is asked for: what it sends waits for it, and a failed asking fails the join and the send, sending nothing", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "e10");
  await using _owner = g.owner;
  const subscribed: string[] = [];
  const produced: string[] = [];
  const watched: Transport = Object.assign(Object.create(transport), {
    subscribe(options: SubscribeOptions) {
      subscribed.push(...options.topics);
      return transport.subscribe(options);
    },
    produce(records: Parameters<Transport["produce"]>[0]) {
      produced.push(...records.map((r) => `${r.topic} ${r.key}`));
      return transport.produce(records);
    },
  });
  const begin = async (home: AgentHome, ask: () => Promise<CertificateBundle>) =>
    await Membership.begin({
      group: "e10",
      transport: watched,
      identity: identityOf(home.agentId, home.key.publicKeyText),
      security: "signed",
      signer: async () => ({
        keyId: home.agentId,
        privateKey: home.key.privateKey,
        certificate: await ask(),
      }),
      ownerKey: g.ownerPublic,
      store: home.timeline,
      topics: g.topics,
    });
  const topic = topicsFor("e10").audit;
  await using annHome = await agentHome("ann");
  const asked = Promise.withResolvers<CertificateBundle>();
  const ann = await begin(annHome, () => asked.promise);
  try {
    await waitFor(
      () => subscribed.includes(topicsFor("e10").roster),
      "the roster read while the certificate is asked for",
    );
    let sent = false;
    const sending = ann.send([{ topic, key: "ann", value: "{}" }]).then(() => sent = true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(sent, false, "a send waits for the certificate");
    assert.deepEqual(produced, [], "nothing is sent before it");
    asked.resolve(await certify(transport, g, annHome));
    await ann.started;
    await sending;
    const [record] = transport.broker.topics.get(topic)!.log.flat();
    assert.ok(record!.headers[HEADERS.signature], "signed with the key the certificate names");
    assert.ok(record!.headers[HEADERS.cert], "the certificate goes along on the first records");
  } finally {
    await ann.leave();
  }
  // The asking fails (the sponsor refused): the join fails with its error, and so does a send.
  await using bobHome = await agentHome("bob");
  produced.length = 0;
  const refused = Promise.withResolvers<CertificateBundle>();
  const bob = await begin(bobHome, () => refused.promise);
  const early = bob.send([{ topic, key: "bob", value: "{}" }]).then(() => "sent", String);
  refused.reject(new Error("the sponsor refused bob"));
  await assert.rejects(bob.started, /^Error: the sponsor refused bob$/);
  assert.equal(await early, "Error: the sponsor refused bob");
  await assert.rejects(bob.send([{ topic, key: "bob", value: "{}" }]), MembershipClosed);
  assert.deepEqual(produced, [], "bob sent nothing");
  assert.equal(bob.closed, true, "what it opened is closed");
  // A certificate that does not chain to the owner key fails the join as well.
  const other = await makeGroup(new MemoryTransport(), "e10");
  await using _other = other.owner;
  await using carolHome = await agentHome("carol");
  const carol = await begin(
    carolHome,
    () => certify(transport, other, carolHome, { publish: false }),
  );
  await assert.rejects(carol.started, /does not verify with the key of "owner"/);
  assert.deepEqual(produced, [], "carol sent nothing");
});
