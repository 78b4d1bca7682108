/**
 * `kafclaw group acl --agent <id> [--zones …]`: the ACLs of one agent, printed without a broker
 * (only `--apply`, and reading every agent from the group's topics, need one).
 */
import assert from "node:assert/strict";
import { tempHome, writeConfig } from "../core/config/_helpers.ts";
import { kafclawInProcess as kafclaw } from "../../_support/cli_in_process.ts";

const groupHome = async () => {
  const home = await tempHome();
  await writeConfig(home.path, {
    group: { name: "g1", security: "open", kafkaBrokers: ["127.0.0.1:1"] },
  });
  return home;
};

Deno.test("group acl --agent --zones gives the agent its zones' topics, and no zone's without --zones", async () => {
  await using home = await groupHome();
  const env = { KAFCLAW_HOME: home.path };
  const zoned = await kafclaw(env, "group", "acl", "--agent", "alice", "--zones", "lab, ops");
  assert.equal(zoned.code, 0, zoned.stderr);
  const lines = zoned.stdout.split("\n");
  assert.equal(lines[0], "# alice as User:alice");
  assert.deepEqual(lines.filter((line) => line.includes(".zone.")), [
    "ALLOW User:alice READ TOPIC group.g1.zone.lab. (PREFIXED)",
    "ALLOW User:alice WRITE TOPIC group.g1.zone.lab. (PREFIXED)",
    "ALLOW User:alice READ TOPIC group.g1.zone.ops. (PREFIXED)",
    "ALLOW User:alice WRITE TOPIC group.g1.zone.ops. (PREFIXED)",
  ]);
  const plain = await kafclaw(env, "group", "acl", "--agent", "alice", "--json");
  assert.equal(plain.code, 0, plain.stderr);
  const printed = JSON.parse(plain.stdout) as { agents: { zones: string[] }[]; acls: unknown[] };
  assert.deepEqual(printed.agents.map((a) => a.zones), [[]]);
  assert.equal(printed.acls.length, lines.length - 1 - 4);
});

Deno.test("group acl refuses --zones without --agent, and a bad zone, in one line", async () => {
  await using home = await groupHome();
  const env = { KAFCLAW_HOME: home.path };
  const alone = await kafclaw(env, "group", "acl", "--zones", "lab");
  assert.deepEqual([alone.code, alone.stdout], [2, ""]);
  assert.equal(
    alone.stderr,
    "kafclaw: --zones needs --agent: without it each agent's zones come from its certificate",
  );
  const bad = await kafclaw(env, "group", "acl", "--agent", "alice", "--zones", "Lab.Bad");
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'kafclaw: Cannot make ACLs for agent "alice": zone "Lab.Bad" is not a valid id',
  );
});
