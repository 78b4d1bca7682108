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
    "ALLOW User:alice READ GROUP kafclaw.g1.zone.lab (LITERAL)",
    "ALLOW User:alice READ GROUP kafclaw.g1.zone.ops (LITERAL)",
  ]);
  const plain = await kafclaw(env, "group", "acl", "--agent", "alice", "--json");
  assert.equal(plain.code, 0, plain.stderr);
  const printed = JSON.parse(plain.stdout) as {
    agents: { zones: string[] }[];
    acls: object[];
  };
  assert.deepEqual(printed.agents.map((a) => a.zones), [[]]);
  assert.equal(printed.acls.length, lines.length - 1 - 6);
  // snake_case keys, as every --json prints them.
  assert.deepEqual(Object.keys(printed.agents[0]!).sort(), [
    "agent_id",
    "owner",
    "principal",
    "zones",
  ]);
  assert.deepEqual(Object.keys(printed.acls[0]!).sort(), [
    "host",
    "operation",
    "pattern_type",
    "permission",
    "principal",
    "resource_name",
    "resource_type",
  ]);
});

Deno.test("group acl refuses --zones without --agent, in one line", async () => {
  await using home = await groupHome();
  const env = { KAFCLAW_HOME: home.path };
  const alone = await kafclaw(env, "group", "acl", "--zones", "lab");
  assert.deepEqual([alone.code, alone.stdout], [2, ""]);
  assert.equal(
    alone.stderr,
    "kafclaw: --zones needs --agent: without it each agent's zones come from its certificate " +
      "and the zones' records",
  );
});

Deno.test("group acl and group admit read --zones alike and refuse a bad zone in the same line", async () => {
  await using home = await groupHome();
  const env = { KAFCLAW_HOME: home.path };
  const zones = "lab, Lab.Bad";
  const line =
    'kafclaw: Cannot read --zones "lab, Lab.Bad": zone "Lab.Bad" is not a zone id (a-z, 0-9, _ and -, ' +
    "starting with a letter or digit, at most 64)";
  const acl = await kafclaw(env, "group", "acl", "--agent", "alice", "--zones", zones);
  assert.deepEqual([acl.code, acl.stdout, acl.stderr], [2, "", line]);
  const key = "A".repeat(43);
  const admit = await kafclaw(
    env,
    "group",
    "admit",
    "alice",
    "--public-key",
    key,
    "--zones",
    zones,
  );
  assert.deepEqual([admit.code, admit.stdout, admit.stderr], [2, "", line]);
  // Blanks and empty entries are no zones to either.
  const spaced = await kafclaw(
    env,
    "group",
    "acl",
    "--agent",
    "alice",
    "--zones",
    " lab,, ",
    "--json",
  );
  assert.equal(spaced.code, 0, spaced.stderr);
  assert.deepEqual(JSON.parse(spaced.stdout).agents[0].zones, ["lab"]);
});
