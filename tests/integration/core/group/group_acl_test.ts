/**
 * `kafclaw group acl --apply` on a broker of the test's own that authenticates clients (SASL/PLAIN)
 * and enforces ACLs (StandardAuthorizer): the ACLs it creates are there, a second run creates none,
 * and they are enough: an agent whose principal has them joins the group, while one without any
 * is refused, and may not read another agent's inbox; as a gateway that offers a skill nobody
 * offered before (so it makes the skill's topic) it takes and answers a task, which a third home,
 * once given its ACLs, replays from the group's topics.
 */
import assert from "node:assert/strict";
import {
  agentInbox,
  parseRecord,
  skillRequests,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import { startOwnBroker } from "../../../_support/own_broker.ts";
import { gateway } from "../../../_support/gateway_group.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaAdmin, KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };
const users = { admin: "admin-pw", alice: "alice-pw", bob: "bob-pw", boss: "boss-pw" };

/** The environment of a home of `group` on `broker`, logged in as `user`. */
function envOfUser(
  broker: { bootstrap: string[] },
  group: string,
  home: string,
  user: keyof typeof users,
  more: Record<string, string> = {},
) {
  return {
    KAFCLAW_HOME: home,
    KAFCLAW_GROUP_NAME: group,
    KAFCLAW_GROUP_KAFKA_BROKERS: broker.bootstrap.join(","),
    KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
    KAFCLAW_GROUP_KAFKA_SASL_USERNAME: user,
    KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: users[user],
    KAFCLAW_GROUP_PARTITIONS: "3",
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "1000",
    NO_COLOR: "1",
    ...more,
  };
}

Deno.test(
  "group acl --apply creates each agent's ACLs once, and they let it join while an agent without them is refused",
  opts,
  async () => {
    await using broker = await startOwnBroker(1, { saslUsers: users });
    const group = uniqueName("acl").replaceAll("-", "");
    await using adminHome = await tempHome();
    await using aliceHome = await tempHome();
    await using bobHome = await tempHome();
    const envOf = (home: string, user: keyof typeof users, more: Record<string, string> = {}) =>
      envOfUser(broker, group, home, user, { KAFCLAW_GROUP_SECURITY: "open", ...more });
    const ops = envOf(adminHome.path, "admin");
    const made = await kafclaw(["group", "init", "--agent-id", "boss", "--json"], ops);
    assert.equal(made.code, 0, made.stderr);
    const apply = async () => {
      const out = await kafclaw(["group", "acl", "--agent", "alice", "--apply", "--json"], ops);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out) as {
        acls: { principal: string; resource_name: string; operation: string }[];
        created: number;
        existing: number;
      };
    };
    const first = await apply();
    assert.equal(first.created, first.acls.length);
    assert.ok(first.acls.length > 30, String(first.acls.length));
    const second = await apply();
    assert.deepEqual([second.created, second.existing], [0, first.acls.length]);
    // The broker holds exactly the printed bindings for alice.
    await using admin = new KafkaAdmin({
      brokers: broker.bootstrap,
      clientId: "kafclaw-test",
      sasl: { mechanism: "plain", username: "admin", password: users.admin },
    });
    const held = await admin.describeAcls("User:alice");
    const key = (a: { principal: string; resourceName: string; operation: string }) =>
      `${a.principal} ${a.operation} ${a.resourceName}`;
    const printed = first.acls.map((a) => key({ ...a, resourceName: a.resource_name }));
    assert.deepEqual(held.map(key).sort(), printed.sort());
    // Alice, with them, joins: her inbox made, the state topics read, heartbeats sent.
    await using alice = new Child(
      kafclawCommand(
        ["group", "join"],
        envOf(aliceHome.path, "alice", { KAFCLAW_GROUP_AGENT_ID: "alice" }),
      ),
    );
    await alice.until(/in group/);
    // Bob has none: the broker refuses him, and he says so in one line.
    const bob = await kafclaw(
      ["group", "join"],
      envOf(bobHome.path, "bob", { KAFCLAW_GROUP_AGENT_ID: "bob" }),
    );
    assert.notEqual(bob.code, 0);
    assert.match(bob.stderr, /^kafclaw: .*AUTHORIZATION_FAILED/m);
    assert.doesNotMatch(bob.stderr, /^\s+at /m);
    // As a gateway too, in one line that names the refusal, with no trace.
    await using bobGateway = await gateway(group, "bob", {
      ...envOf(bobHome.path, "bob", { KAFCLAW_GROUP_AGENT_ID: "bob" }),
    });
    bobGateway.child = new Child(kafclawCommand(["gateway"], bobGateway.env));
    assert.equal(await bobGateway.child.exit(), 1);
    assert.match(bobGateway.child.stderr, /^kafclaw: .*AUTHORIZATION_FAILED.*\n$/);
    assert.doesNotMatch(bobGateway.child.stderr, /--debug|^\s+at /m);
    // Alice may read her own inbox, not another agent's (kcat, a client of its own).
    const read = async (topic: string) => {
      const out = await new Deno.Command("kcat", {
        args: [
          "-C",
          "-b",
          broker.bootstrap.join(","),
          "-X",
          "security.protocol=SASL_PLAINTEXT",
          "-X",
          "sasl.mechanisms=PLAIN",
          "-X",
          "sasl.username=alice",
          "-X",
          `sasl.password=${users.alice}`,
          "-t",
          topic,
          "-o",
          "beginning",
          "-e",
          "-m",
          "20",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
    };
    const own = await read(agentInbox(group, "alice"));
    assert.ok(own.ok, own.stderr);
    const other = await read(agentInbox(group, "boss"));
    assert.ok(!other.ok);
    assert.match(other.stderr, /authoriz/i);
    assert.equal(await alice.stop("SIGTERM"), 0, alice.stderr);
    // As a gateway (the workers' group, her inbox's and her status stream's), with the same ACLs,
    // alice makes the topic of the skill she offers first, takes a task from the group and
    // answers it.
    await using worker = await gateway(group, "alice", {
      ...envOf(aliceHome.path, "alice", {
        KAFCLAW_GROUP_AGENT_ID: "alice",
        KAFCLAW_GROUP_SKILLS: "translate",
      }),
    });
    await worker.start();
    assert.ok((await admin.listTopics()).includes(skillRequests(group, "translate")));
    const asAdmin = new KafkaTransport({
      brokers: broker.bootstrap,
      clientId: "kafclaw-test",
      sasl: { mechanism: "plain", username: "admin", password: users.admin },
    });
    try {
      const answers: string[] = [];
      const responses = await followTopic(asAdmin, topicsFor(group).responses, (record) => {
        const parsed = parseRecord(record);
        if (parsed.ok) {
          answers.push(`${parsed.envelope.sender_id}: ${parsed.envelope.correlation_id}`);
        }
      });
      await asAdmin.produce([
        requestRecord(topicsFor(group).requests, { id: "task-acl", content: "hi", from: "sh" }),
      ]);
      await waitFor(() => answers.length > 0, "alice's answer", { timeoutMs: 60_000 });
      assert.deepEqual(answers, ["alice: task-acl"]);
      await responses.close();
    } finally {
      await asAdmin.close();
    }
    assert.equal(await worker.child!.stop("SIGTERM"), 0, worker.child!.stderr);

    // A third home, bob's, which neither sent the task nor answered it, reads it from the group's
    // topics: refused in one line while bob has no ACLs; once the owner applied his, task replay
    // reads its request and answer and runs the request again as bob's turn.
    const refused = await kafclaw(["task", "replay", "task-acl", "--json"], bobGateway.env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^kafclaw: .*AUTHORIZATION_FAILED[^\n]*\n$/);
    const forBob = await kafclaw(["group", "acl", "--agent", "bob", "--apply", "--json"], ops);
    assert.equal(forBob.code, 0, forBob.stderr);
    const replayed = await kafclaw(
      ["task", "replay", "task-acl", "--json"],
      bobGateway.env,
    );
    assert.equal(replayed.code, 0, replayed.stderr);
    const again = jsonOf(replayed);
    assert.equal(again.request, "hi");
    assert.deepEqual(again.old, {
      agent_id: "alice",
      status: "completed",
      answer: "answered by alice",
    });
    assert.deepEqual(again.new, {
      agent_id: "bob",
      status: "completed",
      answer: "answered by bob",
    });
  },
);

Deno.test(
  "with the ACLs group acl --apply made, the owner's agent makes a signed group and sponsors a newcomer",
  opts,
  async () => {
    await using broker = await startOwnBroker(1, { saslUsers: users });
    const group = uniqueName("acls").replaceAll("-", "");
    await using opsHome = await tempHome();
    await using bossHome = await tempHome();
    await using aliceHome = await tempHome();
    const ops = envOfUser(broker, group, opsHome.path, "admin");
    for (const args of [["--agent", "boss", "--owner", "boss"], ["--agent", "alice"]]) {
      const out = await kafclaw(["group", "acl", ...args, "--apply", "--json"], ops);
      assert.equal(out.code, 0, out.stderr);
    }
    const bossEnv = envOfUser(broker, group, bossHome.path, "boss");
    const made = await kafclaw(["group", "init", "--agent-id", "boss", "--json"], bossEnv);
    assert.equal(made.code, 0, made.stderr);
    const ownerKey = jsonOf(made).owner_public_key as string;
    await using boss = new Child(kafclawCommand(["group", "join"], bossEnv));
    await boss.until(/in group .* sponsoring newcomers/);
    await using alice = new Child(kafclawCommand(
      ["group", "join"],
      envOfUser(broker, group, aliceHome.path, "alice", {
        KAFCLAW_GROUP_AGENT_ID: "alice",
        KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey,
      }),
    ));
    await alice.until(/in group "[^"]+" as "alice"/);
    assert.equal(await alice.stop("SIGTERM"), 0, alice.stderr);

    // The owner revokes alice; the next --apply takes her ACLs on the group away, and lists her
    // as revoked, with none.
    const revoked = await kafclaw(["group", "revoke", "alice", "--reason", "key lost"], bossEnv);
    assert.equal(revoked.code, 0, revoked.stderr);
    // The operator's home reads the signed roster with the owner's key pinned.
    const pinnedOps = { ...ops, KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey };
    const shut = await kafclaw(
      ["group", "acl", "--owner", "boss", "--apply", "--json"],
      pinnedOps,
    );
    assert.equal(shut.code, 0, shut.stderr);
    const applied = jsonOf(shut);
    assert.deepEqual(applied.revoked, ["alice"]);
    assert.ok(applied.removed > 10, String(applied.removed));
    assert.ok(!applied.agents.some((a: { agent_id: string }) => a.agent_id === "alice"));
    await using admin = new KafkaAdmin({
      brokers: broker.bootstrap,
      clientId: "kafclaw-test",
      sasl: { mechanism: "plain", username: "admin", password: users.admin },
    });
    assert.deepEqual(await admin.describeAcls("User:alice"), [], "none of hers is left");
    assert.ok((await admin.describeAcls("User:boss")).length > 10, "the owner's are kept");
    const again = await kafclaw(
      ["group", "acl", "--owner", "boss", "--apply", "--json"],
      pinnedOps,
    );
    assert.deepEqual([jsonOf(again).created, jsonOf(again).removed], [0, 0]);
    assert.equal(await boss.stop("SIGTERM"), 0, boss.stderr);
  },
);
