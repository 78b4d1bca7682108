import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../../../core/config/mod.ts";
import { configuredInvite, GroupSetupError } from "../../../../core/group/mod.ts";
import { tempHome } from "../../../_support/cli.ts";

async function inviteOf(home: string, env: Record<string, string>) {
  return configuredInvite(await loadConfig({ env: { KAFCLAW_HOME: home, ...env } }));
}

Deno.test("the invite comes from KAFCLAW_GROUP_INVITE, or the first line of a file in the home", async () => {
  await using home = await tempHome();
  assert.equal(await inviteOf(home.path, {}), undefined);
  assert.equal(await inviteOf(home.path, { KAFCLAW_GROUP_INVITE: "abc" }), "abc");
  await Deno.writeTextFile(join(home.path, "invite"), "  from-file \nsecond line\n");
  assert.equal(await inviteOf(home.path, { KAFCLAW_GROUP_INVITE_FILE: "invite" }), "from-file");
  const absolute = join(home.path, "invite");
  assert.equal(await inviteOf(home.path, { KAFCLAW_GROUP_INVITE_FILE: absolute }), "from-file");
});

Deno.test("a missing, empty or doubly set invite is one clear error that never shows the invite", async () => {
  await using home = await tempHome();
  await Deno.writeTextFile(join(home.path, "empty"), "\n");
  const cases: [Record<string, string>, RegExp][] = [
    [
      { KAFCLAW_GROUP_INVITE_FILE: "nope" },
      /^Cannot read group.inviteFile ".*\/nope": no such file$/,
    ],
    [{ KAFCLAW_GROUP_INVITE_FILE: "empty" }, /group.inviteFile ".*\/empty": it is empty$/],
    [
      { KAFCLAW_GROUP_INVITE_FILE: "." },
      /^Cannot read group.inviteFile ".*": it cannot be read \(IsADirectory\): keep it a file inside KAFCLAW_HOME/,
    ],
    [
      { KAFCLAW_GROUP_INVITE: "s3cret", KAFCLAW_GROUP_INVITE_FILE: "empty" },
      /group.invite and group.inviteFile are both set/,
    ],
  ];
  for (const [env, message] of cases) {
    const error = await inviteOf(home.path, env).then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof GroupSetupError, String(error));
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /s3cret/);
  }
});
