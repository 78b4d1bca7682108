/**
 * An agent's place in its group from config alone (what `kafclaw gateway` and `group join` start
 * with), over the in-process transport: the agent's id and the pinned owner key are checked with
 * errors that say what to set; a signed newcomer without a certificate asks the owner's sponsor
 * for one and keeps it; the owner's home sponsors newcomers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig, type ResolvedConfig } from "../../../../core/config/mod.ts";
import {
  beginJoin,
  createOwnerKey,
  type Dropped,
  GroupSetupError,
  initGroup,
  joinGroup,
  memberId,
  memberTopicOptions,
  memberTopicSpecs,
  pinnedOwnerKey,
  requestMembership,
} from "../../../../core/group/mod.ts";
import {
  agentConsumerGroup,
  sponsorsConsumerGroup,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import {
  MemoryTransport,
  type OutboundRecord,
  type SubscribeOptions,
  type Transport,
} from "../../../../core/transport/mod.ts";
import { waitFor } from "../../../_support/wait.ts";
import { heartbeatJson } from "../../../_support/topic_records.ts";
import { holdJoins } from "../../../_support/held_joins.ts";

const load = () => ({ running: 0, capacity: 1 });

/** A home configured by env alone, with its timeline; removed on dispose. */
async function homeOf(env: Record<string, string>) {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-member-" });
  const config = resolveConfig({ home, env: { KAFCLAW_GROUP_NAME: "mc", ...env } });
  const timeline = Timeline.open(join(home, "timeline.db"));
  return {
    config,
    timeline,
    async [Symbol.asyncDispose]() {
      timeline.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** Makes the group in `config`'s home, as `kafclaw group init` does; the owner's public key. */
async function initIn(
  config: ResolvedConfig,
  transport: Transport,
  onboardMode: "open" | "gated" = "open",
  security: "signed" | "open" = "signed",
): Promise<string> {
  const made = await initGroup({
    group: config.group.name,
    agentId: "boss",
    identityDir: join(config.home, "identity"),
    transport,
    security,
    onboardMode,
    heartbeatIntervalMs: config.group.heartbeatIntervalMs,
  });
  return made.ownerPublicKey;
}

/** What agent "boss" joins open with from `home` over `transport`. */
function bossOpen(home: Awaited<ReturnType<typeof homeOf>>, transport: Transport) {
  return {
    agentId: "boss",
    transport,
    timeline: home.timeline,
    load,
    security: "open" as const,
  };
}

/** The owner's own agent "boss" joined from its home, sponsoring; leaves on dispose. */
async function ownerJoins(
  owner: Awaited<ReturnType<typeof homeOf>>,
  transport: Transport,
  more: { env: Record<string, string>; expertise?: () => Record<string, number> },
) {
  const config = resolveConfig({
    home: owner.config.home,
    env: { ...more.env, KAFCLAW_GROUP_NAME: "mc", KAFCLAW_GROUP_AGENT_ID: "boss" },
  });
  const { expertise } = more;
  const joined = await joinGroup(config, {
    agentId: "boss",
    transport,
    timeline: owner.timeline,
    load,
    ...(expertise === undefined ? {} : { expertise }),
  });
  return {
    ...joined,
    async [Symbol.asyncDispose]() {
      await joined.sponsor?.close();
      await joined.membership.leave();
    },
  };
}

Deno.test("the agent's id comes from config, or the fallback, and is checked", async () => {
  await using none = await homeOf({});
  assert.throws(() => memberId(none.config), GroupSetupError);
  assert.throws(() => memberId(none.config), /set group\.agentId \(KAFCLAW_GROUP_AGENT_ID\)/);
  assert.equal(memberId(none.config, "local"), "local");
  await using bad = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "Agent.X" });
  assert.throws(() => memberId(bad.config), /group\.agentId "Agent.X" is not valid/);
  await using reserved = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "owner" });
  assert.throws(() => memberId(reserved.config, "x"), GroupSetupError);
});

Deno.test("a signed group's members must pin a real owner public key", async () => {
  await using unset = await homeOf({});
  await assert.rejects(pinnedOwnerKey(unset.config), /KAFCLAW_GROUP_OWNER_PUBLIC_KEY/);
  await using bad = await homeOf({ KAFCLAW_GROUP_OWNER_PUBLIC_KEY: "not-a-key" });
  await assert.rejects(
    pinnedOwnerKey(bad.config),
    (e) => e instanceof GroupSetupError && /"not-a-key" is not a public key/.test(e.message),
  );
});

Deno.test("the group errors of joining from config name the command as the user runs it", async () => {
  const env = { KAFCLAW_COMMAND: "scripts/kafclaw", KAFCLAW_GROUP_SECURITY: "open" };
  await using home = await homeOf(env);
  await assert.rejects(
    pinnedOwnerKey(home.config),
    /\(KAFCLAW_GROUP_OWNER_PUBLIC_KEY, printed by scripts\/kafclaw group init\)$/,
  );
  // No topic of the group made: the fix names the command as the user runs it.
  await assert.rejects(
    joinGroup(home.config, {
      agentId: "amy",
      transport: new MemoryTransport(),
      timeline: home.timeline,
      load,
    }),
    /topic\(s\) missing \(.*\); create them with scripts\/kafclaw group init$/,
  );
});

Deno.test("a signed newcomer gets its certificate from the owner's sponsor, keeps it, and rejoins with it", async () => {
  const transport = new MemoryTransport();
  await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
  const ownerPublicKey = await initIn(owner.config, transport);
  const env = {
    KAFCLAW_GROUP_AGENT_ID: "newbie",
    KAFCLAW_GROUP_SECURITY: "signed",
    KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerPublicKey,
  };
  await using newbie = await homeOf(env);
  const boss = await joinGroup(
    resolveConfig({
      home: owner.config.home,
      env: { ...env, KAFCLAW_GROUP_NAME: "mc", KAFCLAW_GROUP_AGENT_ID: "boss" },
    }),
    { agentId: "boss", transport, timeline: owner.timeline, load },
  );
  try {
    assert.ok(boss.sponsor, "the owner's home sponsors newcomers");
    const asking: string[] = [];
    const first = await joinGroup(newbie.config, {
      agentId: "newbie",
      transport,
      timeline: newbie.timeline,
      load,
      onAsking: (line) => asking.push(line),
    });
    assert.deepEqual(asking, [
      `asking group "mc" for a certificate for "newbie" (an agent of the owner's answers as the ` +
      "group's sponsor)",
    ]);
    assert.equal(first.sponsor, undefined, "a member without the owner key sponsors no one");
    const certificate = join(newbie.config.home, "identity", "agent.cert.json");
    const kept = await Deno.readTextFile(certificate);
    assert.equal((await Deno.stat(certificate)).mode! & 0o777, 0o600);
    await waitFor(
      () => boss.membership.members().some((m) => m.agentId === "newbie"),
      "the owner sees the newcomer",
    );
    await first.membership.leave();
    // A second start uses the kept certificate: no sponsor is asked (there is none now).
    await boss.sponsor.close();
    const again = await joinGroup(newbie.config, {
      agentId: "newbie",
      transport,
      timeline: newbie.timeline,
      load,
      onAsking: (line) => asking.push(line),
    });
    assert.equal(await Deno.readTextFile(certificate), kept);
    assert.equal(asking.length, 1, "a member holding its certificate asks for none");
    await again.membership.leave();
  } finally {
    await boss.membership.leave();
  }
});

Deno.test("a signed newcomer asks for its certificate while its membership's consumer groups join, so a broker's join delay is waited once", async () => {
  const transport = new MemoryTransport();
  await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
  const env = {
    KAFCLAW_GROUP_SECURITY: "signed",
    KAFCLAW_GROUP_OWNER_PUBLIC_KEY: await initIn(owner.config, transport),
  };
  await using _boss = await ownerJoins(owner, transport, { env });
  await using newbie = await homeOf({ ...env, KAFCLAW_GROUP_AGENT_ID: "newbie" });
  // Both joins are held, as a broker's join delay would hold them: both are asked for at once.
  const own = agentConsumerGroup("mc", "newbie");
  const onboarding = `${own}.onboard`;
  const joins = holdJoins(transport, [own, onboarding]);
  const joining = joinGroup(newbie.config, {
    agentId: "newbie",
    transport,
    timeline: newbie.timeline,
    load,
  });
  await waitFor(
    () => joins.waits(onboarding) && joins.waits(own),
    "the membership's join asked for while the certificate is",
    { state: joins.state },
  );
  joins.release();
  const joined = await joining;
  try {
    assert.ok(await Deno.stat(join(newbie.config.home, "identity", "agent.cert.json")));
    assert.ok(joined.membership.get("boss"), "the newcomer has the roster");
  } finally {
    await joined.membership.leave();
  }
});

Deno.test("when the sponsor cannot start, the membership that started is closed and the error told; a join may go without one", async () => {
  const memory = new MemoryTransport();
  await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
  await initIn(owner.config, memory, "open", "open");
  const subscribed: string[] = [];
  const open = new Set<string>();
  const transport: Transport = Object.assign(Object.create(memory), {
    async subscribe(options: SubscribeOptions) {
      subscribed.push(options.groupId ?? "");
      if (options.groupId?.includes("sponsor")) {
        throw new Error("the broker refused the sponsors' group");
      }
      const opened = await memory.subscribe(options);
      const close = opened.close.bind(opened);
      open.add(opened.groupId);
      return Object.assign(opened, {
        close: () => (open.delete(opened.groupId), close()),
      });
    },
  });
  await assert.rejects(
    joinGroup(owner.config, bossOpen(owner, transport)),
    /refused the sponsors' group/,
  );
  assert.ok(subscribed.some((g) => g.includes("sponsor")), String(subscribed));
  assert.ok(subscribed.length > 1, "the membership had started");
  assert.deepEqual([...open], [], "everything the membership opened is closed");
  // A join begun (a gateway's, which starts its sponsor beside its other parts; a command of
  // moments', which sponsors nobody) joins without the sponsors' group.
  subscribed.length = 0;
  const membership = await beginJoin(owner.config, bossOpen(owner, transport));
  await membership.started;
  assert.ok(subscribed.length > 0 && !subscribed.some((g) => g.includes("sponsor")));
  await membership.leave();
});

Deno.test("an owner's join asks for the sponsors' group while its membership joins, and answers a newcomer once it has", async () => {
  const transport = new MemoryTransport();
  await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
  const ownerKey = await pinnedOwnerKey(resolveConfig({
    home: owner.config.home,
    env: { KAFCLAW_GROUP_OWNER_PUBLIC_KEY: await initIn(owner.config, transport, "open", "open") },
  }));
  // The membership's join is held, as a broker's join delay would hold it.
  const own = agentConsumerGroup("mc", "boss");
  const joins = holdJoins(transport, [own]);
  const joining = joinGroup(owner.config, bossOpen(owner, transport));
  await waitFor(
    () => joins.made.get(sponsorsConsumerGroup("mc")) !== undefined && joins.waits(own),
    "the sponsors' group to be made while the membership's waits",
    { state: joins.state },
  );
  // A newcomer's request is held until the membership has started, then answered.
  const key = await createOwnerKey(join(owner.config.home, "newbie"));
  const asked = requestMembership({
    transport,
    group: "mc",
    agentId: "newbie",
    publicKey: key.publicKeyText,
    ownerKey,
    timeoutMs: 10_000,
  });
  let answered = false;
  asked.then(() => answered = true, () => answered = true);
  const sponsor = joins.made.get(sponsorsConsumerGroup("mc"))!;
  await waitFor(() => sponsor.stats.delivered === 1, "the sponsor to be handed the request");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(answered, false, "no answer before the owner's membership has started");
  joins.release();
  const joined = await joining;
  try {
    assert.ok(joined.sponsor);
    assert.ok((await asked).certificate.cert, "the newcomer has its certificate");
  } finally {
    await joined.sponsor?.close();
    await joined.membership.leave();
  }
});

Deno.test("topics are made with config's partitions, and its replication factor when one is set", async () => {
  await using plain = await homeOf({ KAFCLAW_GROUP_PARTITIONS: "3" });
  assert.deepEqual(memberTopicOptions(plain.config), { workPartitions: 3 });
  await using replicated = await homeOf({ KAFCLAW_GROUP_REPLICATION_FACTOR: "3" });
  assert.deepEqual(memberTopicOptions(replicated.config), {
    workPartitions: 12,
    replicationFactor: 3,
  });
});

Deno.test("an owner's home whose group has no manifest yet sponsors as config's onboard mode says", async () => {
  const transport = new MemoryTransport();
  await using owner = await homeOf({
    KAFCLAW_GROUP_AGENT_ID: "boss",
    KAFCLAW_GROUP_ONBOARD_MODE: "gated",
  });
  const key = await createOwnerKey(join(owner.config.home, "identity"));
  await transport.createTopics(memberTopicSpecs("mc", { agentId: "boss" }));
  const joined = await joinGroup(owner.config, bossOpen(owner, transport));
  try {
    assert.equal(joined.membership.manifest, undefined);
    assert.ok(joined.sponsor, "the owner key's home sponsors newcomers");
    // Gated, as config says: a newcomer without an invite is asked for one.
    await assert.rejects(
      requestMembership({
        transport,
        group: "mc",
        agentId: "newbie",
        publicKey: key.publicKeyText,
        ownerKey: key.publicKey,
        timeoutMs: 10_000,
      }),
      /is gated: ask its owner for an invite/,
    );
  } finally {
    await joined.sponsor?.close();
    await joined.membership.leave();
  }
});

Deno.test("a gated group's newcomer joins with the invite its config holds, once; a wrong one is refused", async () => {
  const transport = new MemoryTransport();
  await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
  const ownerPublicKey = await initIn(owner.config, transport, "gated");
  owner.timeline.invites.add({
    id: "inv1",
    group: "mc",
    secret: "the-invite",
    expiresAt: new Date(Date.now() + 60_000),
  });
  const signed = {
    KAFCLAW_GROUP_SECURITY: "signed",
    KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerPublicKey,
  };
  await using _boss = await ownerJoins(owner, transport, { env: signed });
  const as = async (agentId: string, invite: string) => {
    const home = await homeOf({
      ...signed,
      KAFCLAW_GROUP_AGENT_ID: agentId,
      KAFCLAW_GROUP_INVITE: invite,
    });
    const joined = joinGroup(home.config, {
      agentId,
      transport,
      timeline: home.timeline,
      load,
    }).then(
      async (j) => (await j.membership.leave()) ? "joined, and left" : "joined",
      (e: Error) => e,
    );
    return { home, outcome: await joined };
  };
  const wrong = await as("wrong", "not-the-invite");
  await using _wrong = wrong.home;
  assert.match(String(wrong.outcome), /The sponsor refused to admit "wrong"/);
  const right = await as("newbie", "the-invite");
  await using _right = right.home;
  assert.equal(right.outcome, "joined, and left", String(right.outcome));
  const again = await as("other", "the-invite");
  await using _again = again.home;
  assert.match(String(again.outcome), /The sponsor refused to admit "other"/, "used once");
});

Deno.test("a member's heartbeats carry the expertise it is given, and what its membership drops is told", async () => {
  const transport = new MemoryTransport();
  await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
  const ownerPublicKey = await initIn(owner.config, transport);
  const dropped: Dropped[] = [];
  await using ann = await homeOf({
    KAFCLAW_GROUP_AGENT_ID: "ann",
    KAFCLAW_GROUP_SECURITY: "signed",
    KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerPublicKey,
  });
  await using _boss = await ownerJoins(owner, transport, {
    env: {
      KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerPublicKey,
      // ann reads heartbeats from when it joins: boss's next one comes soon.
      KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "1000",
    },
    expertise: () => ({ sql: 0.75 }),
  });
  const joined = await joinGroup(ann.config, {
    agentId: "ann",
    transport,
    timeline: ann.timeline,
    load,
    onDropped: (d) => dropped.push(d),
  });
  try {
    await waitFor(
      () => joined.membership.get("boss")?.expertise.sql === 0.75,
      "boss's expertise in its heartbeats, as ann sees them",
      { state: () => joined.membership.get("boss") },
    );
    // An unsigned heartbeat claiming to be boss's, in a signed group: dropped, and told.
    await transport.produce([{
      topic: topicsFor("mc").heartbeats,
      key: "agent:boss",
      value: heartbeatJson("boss", { running: 9, capacity: 9, intervalMs: 10_000 }),
    }]);
    await waitFor(() => dropped.length > 0, "the forged heartbeat told as dropped");
    assert.equal(dropped[0]!.agentId, "boss");
    assert.equal(dropped[0]!.topic, topicsFor("mc").heartbeats);
    assert.notEqual(joined.membership.get("boss")?.load.running, 9);
  } finally {
    await joined.membership.leave();
  }
});

Deno.test("an agent whose group.security is not the group's refuses to join before it announces itself or takes work, naming the setting", async () => {
  for (const [group, mine] of [["signed", "open"], ["open", "signed"]] as const) {
    const memory = new MemoryTransport();
    await using owner = await homeOf({ KAFCLAW_GROUP_AGENT_ID: "boss" });
    const ownerPublicKey = await initIn(owner.config, memory, "open", group);
    const config = resolveConfig({
      home: owner.config.home,
      env: {
        KAFCLAW_GROUP_NAME: "mc",
        KAFCLAW_GROUP_AGENT_ID: "boss",
        KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerPublicKey,
      },
    });
    const sent: string[] = [];
    const subscribed: string[] = [];
    const transport: Transport = Object.assign(Object.create(memory), {
      produce(records: readonly OutboundRecord[]) {
        sent.push(...records.map((r) => r.topic));
        return memory.produce(records);
      },
      subscribe(options: SubscribeOptions) {
        subscribed.push(...options.topics);
        return memory.subscribe(options);
      },
    });
    // The owner's home holds its certificate: a signed agent needs no sponsor to get this far.
    await assert.rejects(
      joinGroup(config, {
        agentId: "boss",
        transport,
        timeline: owner.timeline,
        load,
        security: mine,
      }),
      (error: Error) => {
        assert.ok(error instanceof GroupSetupError, String(error));
        assert.equal(
          error.message,
          `Group "mc" runs ${group} (its owner's manifest says so), but this agent's ` +
            `group.security is ${mine}: ${
              group === "signed"
                ? "every member would drop its unsigned records"
                : "it would drop every member's unsigned records"
            }, and the tasks it took from the work queue would go unanswered. Set ` +
            `KAFCLAW_GROUP_SECURITY=${group}, or run kafclaw config set group.security ${group}`,
        );
        return true;
      },
    );
    assert.ok(subscribed.includes(topicsFor("mc").roster), "it read the manifest");
    assert.deepEqual(sent, [], `${mine} in a ${group} group: nothing sent`);
    // In its group's own mode the same home joins.
    const joined = await joinGroup(config, {
      agentId: "boss",
      transport,
      timeline: owner.timeline,
      load,
      security: group,
      onRevoked: () => assert.fail("not revoked"),
    });
    assert.equal(joined.membership.manifest?.security_mode, group);
    await joined.sponsor?.close();
    await joined.membership.leave();
  }
});
