/**
 * `kafclaw group gc` on the real broker: an agent that left (longer ago than a short
 * `--older-than`) loses its inbox topic and its consumer groups; live agents keep theirs, and the
 * group's shared topics stay. `--dry-run` deletes nothing.
 */
import assert from "node:assert/strict";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import { groupEnv } from "../../../_support/group_homes.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaAdmin } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

interface GcResult {
  collected: { agent_id: string; why: string; topics: string[]; groups: string[] }[];
  kept: { agent_id: string; reason: string }[];
  not_deleted: Record<string, string>;
}

Deno.test(
  "group gc deletes the inbox and consumer groups of an agent that left, and keeps a live agent's",
  opts,
  async () => {
    const group = uniqueName("gc").replaceAll("-", "");
    await using bossHome = await tempHome();
    await using aliceHome = await tempHome();
    await using bobHome = await tempHome();
    const made = await kafclaw(
      ["group", "init", "--agent-id", "boss", "--json"],
      groupEnv(group, bossHome.path),
    );
    assert.equal(made.code, 0, made.stderr);
    const ownerKey = jsonOf(made).owner_public_key as string;
    const member = (home: string, id: string) =>
      groupEnv(group, home, {
        KAFCLAW_GROUP_AGENT_ID: id,
        KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey,
      });
    const bossEnv = groupEnv(group, bossHome.path);
    await using boss = new Child(kafclawCommand(["group", "join"], bossEnv));
    await boss.until(/in group .* sponsoring newcomers/);
    await using alice = new Child(
      kafclawCommand(["group", "join"], member(aliceHome.path, "alice")),
    );
    await using bob = new Child(kafclawCommand(["group", "join"], member(bobHome.path, "bob")));
    await alice.until(/in group/);
    await bob.until(/in group/);
    await using admin = new KafkaAdmin({ brokers, clientId: "kafclaw-test" });
    const leftovers = async (id: string) => ({
      topics: (await admin.listTopics()).filter((t) => t === `group.${group}.agent.${id}.inbox`),
      groups: (await admin.groups(`kafclaw.${group}.${id}`)).map((g) => g.groupId)
        .filter((g) => g === `kafclaw.${group}.${id}` || g.startsWith(`kafclaw.${group}.${id}.`)),
    });
    // group acl names every agent the roster does, the owner's agent as such.
    const acl = await kafclaw(["group", "acl", "--json"], bossEnv);
    assert.equal(acl.code, 0, acl.stderr);
    const printed = jsonOf(acl) as {
      agents: { agent_id: string; principal: string; owner: boolean }[];
      acls: { principal: string; resource_name: string; operation: string }[];
    };
    assert.deepEqual(printed.agents.map((a) => [a.agent_id, a.principal, a.owner]), [
      ["alice", "User:alice", false],
      ["bob", "User:bob", false],
      ["boss", "User:boss", true],
    ]);
    assert.ok(printed.acls.some((a) =>
      a.principal === "User:bob" && a.operation === "READ" &&
      a.resource_name === `group.${group}.agent.bob.inbox`
    ));
    const before = await leftovers("bob");
    assert.deepEqual(before.topics, [`group.${group}.agent.bob.inbox`]);
    assert.ok(before.groups.includes(`kafclaw.${group}.bob`), before.groups.join());
    assert.equal(await bob.stop("SIGTERM"), 0, bob.stderr);
    const gc = async (...args: string[]) => {
      const out = await kafclaw(["group", "gc", "--older-than", "1s", "--json", ...args], bossEnv);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out) as GcResult;
    };
    // Once bob has been gone a second, a dry run names him, and only him; it deletes nothing.
    let dry: GcResult | undefined;
    await waitFor(
      async () => (dry = await gc("--dry-run")).collected.some((c) => c.agent_id === "bob"),
      "bob to be gone longer than 1s",
      { timeoutMs: 30_000, intervalMs: 500, state: () => dry },
    );
    assert.deepEqual(dry!.collected.map((c) => [c.agent_id, c.why]), [["bob", "left"]]);
    assert.deepEqual((await leftovers("bob")).topics, before.topics);
    const done = await gc();
    assert.deepEqual(done.collected.map((c) => c.agent_id), ["bob"]);
    assert.deepEqual(done.not_deleted, {});
    assert.deepEqual(
      done.kept.filter((k) => k.agent_id !== "bob").map((k) => k.agent_id).sort(),
      ["alice", "boss"],
    );
    await waitFor(
      async () =>
        JSON.stringify(await leftovers("bob")) === JSON.stringify({ topics: [], groups: [] }),
      "bob's inbox and groups gone",
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    // Alice and boss keep theirs, and the group's shared topics stay.
    for (const id of ["alice", "boss"]) {
      const kept = await leftovers(id);
      assert.deepEqual(kept.topics, [`group.${group}.agent.${id}.inbox`]);
      assert.ok(kept.groups.includes(`kafclaw.${group}.${id}`), kept.groups.join());
    }
    const topics = await admin.listTopics();
    for (const shared of ["requests", "announce", "control.roster", "heartbeats"]) {
      assert.ok(topics.includes(`group.${group}.${shared}`), shared);
    }
    assert.equal(await alice.stop("SIGTERM"), 0, alice.stderr);
    assert.equal(await boss.stop("SIGINT"), 0, boss.stderr);
  },
);
