/**
 * Membership on the real broker, as users run it: several `kafclaw` processes, each with its own
 * KAFCLAW_HOME, make a group, join it through the owner's sponsor, see each other, go stale when
 * killed, and leave within the bound on SIGTERM; a gated group takes an invite once, and its
 * sponsor tells the group of each newcomer it refused on the audit topic.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeBase64Url } from "../../../../core/protocol/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import { groupEnv } from "../../../_support/group_homes.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };

/** `kafclaw group init` in a new home; returns the owner's public key. */
async function init(group: string, home: string, gated = false): Promise<string> {
  const args = ["group", "init", "--agent-id", "boss", "--json", ...(gated ? ["--gated"] : [])];
  const made = await kafclaw(args, groupEnv(group, home));
  assert.equal(made.code, 0, made.stderr);
  return jsonOf(made).owner_public_key;
}

/** The roster as `kafclaw group members --json` prints it from `home`. */
async function members(env: Record<string, string>): Promise<{ source: string; ids: string[] }> {
  const out = await kafclaw(["group", "members", "--json"], env);
  assert.equal(out.code, 0, out.stderr);
  const parsed = jsonOf(out) as {
    source: string;
    members: { agent_id: string; status: string }[];
  };
  return {
    source: parsed.source,
    ids: parsed.members.map((m) => `${m.agent_id}:${m.status}`),
  };
}

Deno.test(
  "agents in their own homes join through the owner's sponsor, see each other, and leave within the bound on SIGTERM",
  opts,
  async () => {
    const group = uniqueName("m");
    await using bossHome = await tempHome();
    await using aliceHome = await tempHome();
    await using bobHome = await tempHome();
    await using carolHome = await tempHome();
    const ownerKey = await init(group, bossHome.path);
    const config = JSON.parse(await Deno.readTextFile(join(bossHome.path, "config.json")));
    assert.equal(config.group.ownerPublicKey, ownerKey);
    const member = (home: string, id: string) =>
      groupEnv(group, home, {
        KAFCLAW_GROUP_AGENT_ID: id,
        KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey,
      });
    await using boss = new Child(kafclawCommand(["group", "join"], groupEnv(group, bossHome.path)));
    await boss.until(/in group .* sponsoring newcomers/);
    await using alice = new Child(
      kafclawCommand(["group", "join"], member(aliceHome.path, "alice")),
    );
    await using bob = new Child(kafclawCommand(["group", "join"], member(bobHome.path, "bob")));
    await alice.until(/in group/);
    await bob.until(/in group/);
    // Each got its certificate from the sponsor, kept 0600.
    const cert = await Deno.stat(join(aliceHome.path, "identity", "agent.cert.json"));
    assert.equal(cert.mode! & 0o777, 0o600);
    const bossView = groupEnv(group, bossHome.path);
    await waitFor(
      async () => (await members(bossView)).ids.join() === "alice:active,bob:active,boss:active",
      "boss's running agent to see alice and bob",
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal((await members(bossView)).source, "agent");
    // A newcomer with no agent running reads the roster from the state topics and heartbeats.
    const newcomer = await members(member(carolHome.path, "carol"));
    assert.deepEqual(newcomer, {
      source: "topics",
      ids: ["alice:active", "bob:active", "boss:active"],
    });
    // SIGTERM: alice leaves, signed, within the bound, and exits 0.
    const started = Date.now();
    assert.equal(await alice.stop("SIGTERM"), 0, alice.stderr);
    const took = Date.now() - started;
    assert.match(alice.stdout, /left group .* \(SIGTERM, \d+ ms\)/);
    assert.ok(took < 8_000, `alice took ${took} ms to leave`);
    await waitFor(
      async () => !(await members(bossView)).ids.some((id) => id.startsWith("alice:")),
      "alice gone from boss's roster at once",
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    // SIGKILL: bob cannot leave; he goes stale after 3 of his intervals, and is removed after 6.
    bob.process.kill("SIGKILL");
    await bob.exit();
    await waitFor(
      async () => (await members(bossView)).ids.includes("bob:stale"),
      "bob stale at boss",
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await waitFor(
      async () => (await members(bossView)).ids.join() === "boss:active",
      "bob removed at boss",
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    assert.equal(await boss.stop("SIGINT"), 0, boss.stderr);
  },
);

Deno.test(
  "a gated group admits a newcomer with an invite once, and refuses a wrong or reused one",
  opts,
  async () => {
    const group = uniqueName("gated");
    await using bossHome = await tempHome();
    await using bobHome = await tempHome();
    await using carolHome = await tempHome();
    await using daveHome = await tempHome();
    const ownerKey = await init(group, bossHome.path, true);
    await using boss = new Child(kafclawCommand(["group", "join"], groupEnv(group, bossHome.path)));
    await boss.until(/in group .* sponsoring newcomers/);
    const made = await kafclaw(["group", "invite", "--json"], groupEnv(group, bossHome.path));
    assert.equal(made.code, 0, made.stderr);
    const { invite, ...given } = jsonOf(made) as { invite: string; group: string };
    // What the newcomer needs besides the invite: the group, and the owner key it pins.
    assert.deepEqual([given.group, (given as { owner_public_key?: string }).owner_public_key], [
      group,
      ownerKey,
    ]);
    const told = await kafclaw(["group", "invite"], groupEnv(group, bossHome.path));
    assert.ok(
      told.stdout.includes(
        `the newcomer runs: KAFCLAW_GROUP_NAME=${group} KAFCLAW_GROUP_OWNER_PUBLIC_KEY=${ownerKey} ` +
          "kafclaw group join --invite <that invite>",
      ),
      told.stdout,
    );
    const status = await kafclaw(["group", "status"], groupEnv(group, bossHome.path));
    assert.match(status.stdout, new RegExp(`owner key: pinned, ${ownerKey}, and held in this`));
    // A newcomer's environment: its id, and the owner key it pins.
    const member = (home: string, id: string) =>
      groupEnv(group, home, {
        KAFCLAW_GROUP_AGENT_ID: id,
        KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey,
      });
    const join = (home: string, id: string, given?: string) =>
      kafclaw(
        ["group", "join", "--once", ...(given === undefined ? [] : ["--invite", given])],
        member(home, id),
      );
    const none = await join(daveHome.path, "dave");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /is gated: ask its owner for an invite/);
    const wrong = await join(bobHome.path, "bob", "not-the-invite");
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /refused to admit "bob": the answer matches no unused invite/);
    const right = await join(bobHome.path, "bob", invite);
    assert.equal(right.code, 0, right.stderr);
    // The wait for a sponsor (up to half a minute when none runs) is said before it begins.
    assert.match(right.stderr, /^kafclaw: asking group "[^"]+" for a certificate for "bob" /m);
    // Bob holds a certificate now, and no inbox until he first runs as a member: status says so.
    const bobStatus = await kafclaw(["group", "status"], member(bobHome.path, "bob"));
    assert.equal(bobStatus.code, 0, bobStatus.stderr);
    assert.match(
      bobStatus.stdout,
      new RegExp(
        `^topics: 1 problem\\(s\\): group\\.${group}\\.agent\\.bob\\.inbox: missing \\(this agent's ` +
          `inbox: made when "bob" first runs as a member\\)$`,
        "m",
      ),
    );
    const reused = await join(carolHome.path, "carol", invite);
    assert.equal(reused.code, 2, reused.stderr);
    assert.match(reused.stderr, /refused to admit "carol"/);
    // The sponsor told the group of both refusals on its audit topic.
    const transport = new KafkaTransport({ brokers: testBrokers(), clientId: "kafclaw-test" });
    const audit = await followAudit(transport, group);
    const refused = () =>
      audit.seen.filter((a) => a.event_type === "onboard_rejected")
        .map((a) => `${a.sender}:${a.agent_id}`).toSorted();
    try {
      await waitFor(() => refused().length === 2, "bob's and carol's refusals on the audit topic", {
        timeoutMs: 30_000,
        state: refused,
      });
      assert.deepEqual(refused(), ["boss:bob", "boss:carol"]);
    } finally {
      await audit.close();
      await transport.close();
    }
    // A newcomer running in the foreground asks for its certificate while it joins: with a new
    // invite it is in the group in one go; with a wrong one it is refused, and config keeps
    // nothing of the group.
    const again = await kafclaw(["group", "invite", "--json"], groupEnv(group, bossHome.path));
    assert.equal(again.code, 0, again.stderr);
    const daveEnv = member(daveHome.path, "dave");
    await using dave = new Child(
      kafclawCommand(
        ["group", "join", "--invite", (jsonOf(again) as { invite: string }).invite],
        daveEnv,
      ),
    );
    await dave.until(/in group .* as "dave"/);
    assert.equal(await dave.stop("SIGTERM"), 0, dave.stderr);
    assert.match(dave.stderr, /^kafclaw: asking group "[^"]+" for a certificate for "dave" /m);
    assert.equal(
      JSON.parse(await Deno.readTextFile(`${daveHome.path}/config.json`)).group.enabled,
      true,
    );
    await using erinHome = await tempHome();
    const erinEnv = member(erinHome.path, "erin");
    const erin = await kafclaw(["group", "join", "--invite", "not-an-invite"], erinEnv);
    assert.equal(erin.code, 2, erin.stderr);
    assert.match(erin.stderr, /refused to admit "erin": the answer matches no unused invite/);
    const erinConfig = await Deno.readTextFile(`${erinHome.path}/config.json`).catch(() => "{}");
    assert.equal(JSON.parse(erinConfig).group?.enabled, undefined, erinConfig);
    // Its status says how it joins a gated group.
    const erinStatus = await kafclaw(["group", "status"], erinEnv);
    assert.equal(erinStatus.code, 0, erinStatus.stderr);
    assert.match(
      erinStatus.stdout,
      /^this agent: erin, no certificate \(\S*kafclaw group join --invite <an invite of the owner's>\)$/m,
    );
    // Bob leaves (signed) and the group is off in his config.
    const left = await kafclaw(["group", "leave", "--json"], member(bobHome.path, "bob"));
    assert.equal(left.code, 0, left.stderr);
    assert.deepEqual(jsonOf(left), { group, agent_id: "bob", left: true, via: "kafka" });
    const bobConfig = JSON.parse(await Deno.readTextFile(`${bobHome.path}/config.json`));
    assert.equal(bobConfig.group.enabled, false);
    // An agent in another language brings its own key; the owner admits it.
    const { exportPublicKey, generateKeyPair } = await import("../../../../core/protocol/mod.ts");
    const pyKey = await exportPublicKey((await generateKeyPair()).publicKey);
    const admitted = await kafclaw(
      ["group", "admit", "py-agent", "--public-key", pyKey, "--vouched", "--json"],
      groupEnv(group, bossHome.path),
    );
    assert.equal(admitted.code, 0, admitted.stderr);
    const { certificate, agent_id, inbox, inbox_made } = jsonOf(admitted);
    assert.equal(agent_id, "py-agent");
    // Its inbox is made with it: an agent of another language need not make its own.
    assert.deepEqual([inbox, inbox_made], [`group.${group}.agent.py-agent.inbox`, true]);
    const { KafkaAdmin } = await loadKafka();
    await using topics = new KafkaAdmin({ brokers: testBrokers(), clientId: "kafclaw-test" });
    assert.ok((await topics.listTopics()).includes(inbox));
    const body = JSON.parse(new TextDecoder().decode(decodeBase64Url(certificate.cert)!));
    assert.deepEqual([body.agent_id, body.public_key, body.vouched, body.issuer_id], [
      "py-agent",
      pyKey,
      true,
      "owner",
    ]);
    const badKey = await kafclaw(
      ["group", "admit", "py-agent", "--public-key", "nope"],
      groupEnv(group, bossHome.path),
    );
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /--public-key "nope" is not 32 bytes of base64url/);
    // Only an owner's home makes invites.
    const notOwner = await kafclaw(["group", "invite"], groupEnv(group, bobHome.path));
    assert.equal(notOwner.code, 2);
    assert.match(notOwner.stderr, /needs the group owner's key/);
    assert.equal(await boss.stop("SIGTERM"), 0, boss.stderr);
  },
);

Deno.test(
  "a group in open mode says so loudly in status and when an agent joins",
  opts,
  async () => {
    const group = uniqueName("open");
    await using bossHome = await tempHome();
    const env = groupEnv(group, bossHome.path, { KAFCLAW_GROUP_SECURITY: "open" });
    const made = await kafclaw(["group", "init", "--agent-id", "boss"], env);
    assert.equal(made.code, 0, made.stderr);
    const status = await kafclaw(["group", "status", "--json"], env);
    assert.equal(status.code, 0, status.stderr);
    const parsed = jsonOf(status);
    assert.equal(parsed.security, "open");
    assert.match(parsed.warning, /^OPEN MODE: records are not signed/);
    assert.deepEqual(parsed.topic_problems, []);
    const text = await kafclaw(["group", "status"], env);
    assert.match(text.stdout, /^WARNING: OPEN MODE/m);
    await using boss = new Child(kafclawCommand(["group", "join"], env));
    await boss.until(/in group/);
    assert.match(boss.stderr, /WARNING: group .* runs in open mode/);
    assert.equal(await boss.stop("SIGTERM"), 0, boss.stderr);
  },
);

Deno.test(
  "the owner revokes a member with group revoke: the member running leaves at once, its next start is refused, and a typo or the owner's own agent is refused",
  opts,
  async () => {
    const group = uniqueName("rv");
    await using bossHome = await tempHome();
    await using aliceHome = await tempHome();
    const ownerKey = await init(group, bossHome.path);
    const bossEnv = groupEnv(group, bossHome.path);
    const aliceEnv = groupEnv(group, aliceHome.path, {
      KAFCLAW_GROUP_AGENT_ID: "alice",
      KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey,
    });
    await using boss = new Child(kafclawCommand(["group", "join"], bossEnv));
    await boss.until(/in group .* sponsoring newcomers/);
    await using alice = new Child(kafclawCommand(["group", "join"], aliceEnv));
    await alice.until(/in group/);
    const revoke = (id: string, ...more: string[]) =>
      kafclaw(["group", "revoke", id, ...more], bossEnv);
    const typo = await revoke("alcie");
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /^kafclaw: no certificate of "alcie" is on the roster of group /);
    const own = await revoke("boss");
    assert.equal(own.code, 2, own.stderr);
    assert.match(own.stderr, /"boss" is this home's own agent/);

    const done = await revoke("alice", "--reason", "key lost", "--json");
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(jsonOf(done), { revoked: "alice", group, reason: "key lost", already: false });
    // Alice hears it on the roster and leaves on her own, saying why.
    assert.equal(await alice.exit(), 0, alice.stderr);
    assert.match(
      alice.stderr,
      /Agent "alice" was revoked by the owner of group "[a-z0-9-]+" \(key lost\): every member drops its records from now on; it leaves the group/,
    );
    assert.match(alice.stdout, /left group .* \(revoked, \d+ ms\)/);
    await waitFor(
      async () => (await members(bossEnv)).ids.join() === "boss:active",
      "alice gone from boss's roster",
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const again = await revoke("alice");
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /"alice" is revoked in group .* already \(key lost\)/);
    // No certificate takes the revocation's place on the roster, nor any newcomer's the id.
    const readmit = await kafclaw(["group", "admit", "alice"], bossEnv);
    assert.equal(readmit.code, 2, readmit.stderr);
    assert.match(
      readmit.stderr,
      /^kafclaw: "alice" is revoked in group "[a-z0-9-]+" \(key lost\): admit the agent under another id$/m,
    );
    // Started again, she is refused before she announces herself or reads any work.
    const restart = await kafclaw(["group", "join"], aliceEnv);
    assert.equal(restart.code, 2, restart.stdout);
    assert.match(
      restart.stderr,
      /^kafclaw: Agent "alice" is revoked by the owner of group "[a-z0-9-]+" \(key lost\): every member drops its records, so it does not join/,
    );
    assert.equal(await boss.stop("SIGINT"), 0, boss.stderr);
  },
);
