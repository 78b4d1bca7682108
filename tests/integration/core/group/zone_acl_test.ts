/**
 * A zone holds against a hostile client on a broker that authenticates clients (SASL/PLAIN) and
 * enforces ACLs (StandardAuthorizer): `kafclaw group acl --apply` gives an agent the topics of the
 * zones whose records list it as a member, and no other zone's, so a principal outside the zone
 * cannot read the zone's topics with a Kafka client of its own (kcat), while a member can.
 */
import assert from "node:assert/strict";
import { zoneTopic } from "../../../../core/protocol/mod.ts";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import { groupEnv } from "../../../_support/group_homes.ts";
import { startOwnBroker } from "../../../_support/own_broker.ts";
import { uniqueName } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const users = { admin: "admin-pw", alice: "alice-pw", bob: "bob-pw" };

/** Reads `topic` from the beginning with kcat as `user`: whether the broker let it. */
async function readAs(bootstrap: string[], user: keyof typeof users, topic: string) {
  const out = await new Deno.Command("kcat", {
    args: [
      ["-C", "-b", bootstrap.join(","), "-t", topic, "-o", "beginning", "-e"],
      ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN"],
      ["-X", `sasl.username=${user}`, "-X", `sasl.password=${users[user]}`],
    ].flat(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test(
  "with the ACLs group acl --apply makes, a principal outside a zone cannot read the zone's topics",
  opts,
  async () => {
    await using broker = await startOwnBroker(1, { saslUsers: users });
    const group = uniqueName("zacl").replaceAll("-", "");
    await using opsHome = await tempHome();
    await using aliceHome = await tempHome();
    await using bobHome = await tempHome();
    const envOf = (home: string, user: keyof typeof users, agentId: string) =>
      groupEnv(group, home, {
        KAFCLAW_GROUP_KAFKA_BROKERS: broker.bootstrap.join(","),
        KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
        KAFCLAW_GROUP_KAFKA_SASL_USERNAME: user,
        KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: users[user],
        KAFCLAW_GROUP_SECURITY: "open",
        KAFCLAW_GROUP_AGENT_ID: agentId,
      });
    const ops = envOf(opsHome.path, "admin", "boss");
    const run = async (env: Record<string, string>, args: string[]) => {
      const out = await kafclaw(args, env);
      assert.equal(out.code, 0, `${args.join(" ")}: ${out.stderr}`);
      return out;
    };
    await run(ops, ["group", "init", "--agent-id", "boss", "--json"]);
    // Alice and bob get the group's ACLs and join once, so that the topics name them.
    await run(ops, ["group", "acl", "--agent", "alice", "--apply"]);
    await run(ops, ["group", "acl", "--agent", "bob", "--apply"]);
    for (const [home, user] of [[aliceHome.path, "alice"], [bobHome.path, "bob"]] as const) {
      await using joined = new Child(kafclawCommand(["group", "join"], envOf(home, user, user)));
      await joined.until(/in group/);
      assert.equal(await joined.stop("SIGTERM"), 0, joined.stderr);
    }
    // The owner's agent makes zone lab and lets alice in; the ACLs follow the zone's record.
    await run(ops, ["zone", "create", "lab"]);
    await run(ops, ["zone", "approve", "lab", "alice"]);
    const applied = jsonOf(await run(ops, ["group", "acl", "--apply", "--json"])) as {
      agents: { agent_id: string; zones: string[] }[];
    };
    const zonesOf = Object.fromEntries(applied.agents.map((a) => [a.agent_id, a.zones]));
    assert.ok(zonesOf.alice?.includes("lab"), JSON.stringify(zonesOf));
    assert.ok(!zonesOf.bob?.includes("lab"), JSON.stringify(zonesOf));
    for (const kind of ["requests", "memory"] as const) {
      const topic = zoneTopic(group, "lab", kind);
      const member = await readAs(broker.bootstrap, "alice", topic);
      assert.ok(member.ok, member.stderr);
      const outsider = await readAs(broker.bootstrap, "bob", topic);
      assert.ok(!outsider.ok, `bob read ${topic}`);
      assert.match(outsider.stderr, /authoriz/i);
    }
  },
);
