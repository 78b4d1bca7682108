/**
 * `kafclaw group skills`: the skills this agent offers, kept in config.json's group.skills, with
 * KAFCLAW_GROUP_SKILLS over it. No broker: the commands only read and write the configuration.
 */
import assert from "node:assert/strict";
import { makeReadOnly } from "../../_support/readonly.ts";
import { tempHome, writeConfig } from "../core/config/_helpers.ts";
import { kafclawInProcess as kafclaw } from "../../_support/cli_in_process.ts";

const fileOf = async (home: string) =>
  JSON.parse(await Deno.readTextFile(`${home}/config.json`)) as Record<string, unknown>;

Deno.test("group skills add and remove edit group.skills in config.json, keeping other keys", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  await writeConfig(home.path, { group: { name: "g1" }, knowledge: { enabled: true } });
  assert.deepEqual(await kafclaw(env, "group", "skills"), {
    code: 0,
    stdout: `no skills offered (group.skills is empty in ${home.path}/config.json)`,
    stderr: "",
  });
  const added = await kafclaw(env, "group", "skills", "add", "sql");
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, `added sql; group.skills is now sql in ${home.path}/config.json`);
  await kafclaw(env, "group", "skills", "add", "etl");
  const again = await kafclaw(env, "group", "skills", "add", "sql");
  assert.match(again.stdout, /^already offered sql; group.skills is now sql, etl/);
  assert.deepEqual(await fileOf(home.path), {
    group: { name: "g1", skills: ["sql", "etl"] },
    knowledge: { enabled: true },
  });
  assert.equal((await kafclaw(env, "group", "skills", "list")).stdout, "sql\netl");
  const removed = await kafclaw(env, "group", "skills", "remove", "sql", "--json");
  assert.deepEqual(JSON.parse(removed.stdout), {
    skills: ["etl"],
    file: `${home.path}/config.json`,
    overridden_by_env: false,
  });
  assert.deepEqual(JSON.parse((await kafclaw(env, "group", "skills", "--json")).stdout), {
    skills: ["etl"],
    source: `${home.path}/config.json`,
  });
  const info = await Deno.stat(`${home.path}/config.json`);
  assert.equal(info.mode! & 0o777, 0o600);
});

Deno.test("group skills refuses a bad name and an absent skill in one line, the file untouched", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  await writeConfig(home.path, { group: { skills: ["sql"] } });
  const bad = await kafclaw(env, "group", "skills", "add", "Big.Data");
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'kafclaw: skill "Big.Data" is not valid: a-z, 0-9, _ and - (starting with a letter or digit), ' +
      "at most 64",
  );
  const absent = await kafclaw(env, "group", "skills", "remove", "etl");
  assert.equal(absent.code, 2);
  assert.equal(absent.stderr, 'kafclaw: skill "etl" is not in group.skills (sql)');
  assert.deepEqual(await fileOf(home.path), { group: { skills: ["sql"] } });
});

Deno.test("KAFCLAW_GROUP_SKILLS overrides the file: list says so, add writes the file and warns", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_GROUP_SKILLS: "ops,sql" };
  const listed = JSON.parse((await kafclaw(env, "group", "skills", "--json")).stdout);
  assert.deepEqual(listed, { skills: ["ops", "sql"], source: "KAFCLAW_GROUP_SKILLS" });
  const added = await kafclaw(env, "group", "skills", "add", "etl");
  assert.equal(added.code, 0);
  assert.equal(added.stdout, `added etl; group.skills is now etl in ${home.path}/config.json`);
  assert.match(added.stderr, /KAFCLAW_GROUP_SKILLS is set and overrides config\.json here/);
  assert.deepEqual(await fileOf(home.path), { group: { skills: ["etl"] } });
  const invalid = await kafclaw({ ...env, KAFCLAW_GROUP_SKILLS: "ok,No Way" }, "group", "skills");
  assert.notEqual(invalid.code, 0);
  assert.match(invalid.stderr, /KAFCLAW_GROUP_SKILLS/);
  assert.equal(invalid.stderr.split("\n").length, 1, invalid.stderr);
});

Deno.test({
  name: "group skills add into a read-only KAFCLAW_HOME exits 1 and the old file survives",
  async fn() {
    await using home = await tempHome();
    await writeConfig(home.path, { group: { skills: ["sql"] } });
    const restore = await makeReadOnly(home.path);
    let result;
    try {
      result = await kafclaw({ KAFCLAW_HOME: home.path }, "group", "skills", "add", "etl");
    } finally {
      await restore();
    }
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^kafclaw: Cannot write .*config\.json: /);
    assert.equal(result.stderr.split("\n").length, 1, result.stderr);
    assert.deepEqual(await fileOf(home.path), { group: { skills: ["sql"] } });
  },
});
