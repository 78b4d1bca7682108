/**
 * `kafclaw zone …` on the real broker, as users run it, in a signed group: a member makes a zone
 * (and its seven topics), another asks to join and the owner approves, a non-owner's approval is
 * refused in one line, every home reads the same zones from the orchestrator topic, and the owner
 * deletes the zone.
 */
import assert from "node:assert/strict";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { zoneTopicSpecs } from "../../../../core/group/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { jsonOf, kafclaw, tempHome } from "../../../_support/cli.ts";
import { certifiedGroup } from "../../../_support/group_homes.ts";
import { uniqueName } from "../../../_support/wait.ts";

const { KafkaAdmin } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };

interface ZoneOut {
  zone_id: string;
  owner_id: string;
  members: string[];
  requests: string[];
}

Deno.test(
  "members make a zone, ask to join it and approve, as the zone's owner alone may, and every home reads the same zones",
  opts,
  async () => {
    const group = uniqueName("z");
    await using bossHome = await tempHome();
    await using aliceHome = await tempHome();
    await using cyHome = await tempHome();
    const { alice, cy, boss } = await certifiedGroup(group, bossHome.path, {
      alice: aliceHome.path,
      cy: cyHome.path,
    });
    const run = async (env: Record<string, string>, args: string[], code = 0) => {
      const out = await kafclaw(["zone", ...args], env);
      assert.equal(out.code, code, `${args.join(" ")}: ${out.stderr}`);
      return out;
    };
    const created = jsonOf(await run(alice, ["create", "lab", "--json"]));
    assert.deepEqual(created.topics_made, zoneTopicSpecs(group, "lab").map((s) => s.name));
    const admin = new KafkaAdmin({ brokers: testBrokers(), clientId: "kafclaw-test" });
    try {
      const topics = await admin.listTopics();
      for (const spec of zoneTopicSpecs(group, "lab")) assert.ok(topics.includes(spec.name));
    } finally {
      await admin.close();
    }
    // Cy is not the owner: refused here, in one line, exit 2.
    const refused = await run(cy, ["approve", "lab", "cy"], 2);
    assert.equal(
      refused.stderr,
      'kafclaw: Cannot approve zone "lab": it is owned by "alice", not "cy"\n',
    );
    await run(cy, ["join", "lab"]);
    const asked = jsonOf(await run(alice, ["members", "lab", "--json"])) as ZoneOut;
    assert.deepEqual([asked.members, asked.requests], [["alice"], ["cy"]]);
    await run(alice, ["approve", "lab", "cy"]);
    // The owner's home, in no zone, reads the same from the topic.
    const listed = jsonOf(await run(boss, ["list", "--json"])) as { zones: ZoneOut[] };
    assert.deepEqual(
      listed.zones.map((z) => [z.zone_id, z.owner_id, z.members.join(), z.requests.join()]),
      [["public", "", "", ""], ["lab", "alice", "alice,cy", ""]],
    );
    assert.match(
      (await run(cy, ["list"])).stdout,
      /^public\tpublic\teveryone\nlab\tprivate\towner alice\t2 member\(s\)\n$/,
    );
    // Only its owner deletes it.
    await run(cy, ["delete", "lab"], 2);
    await run(alice, ["delete", "lab"]);
    const after = jsonOf(await run(cy, ["list", "--json"])) as { zones: ZoneOut[] };
    assert.deepEqual(after.zones.map((z) => z.zone_id), ["public"]);
  },
);
