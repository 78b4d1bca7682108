/**
 * A group that was never made on the brokers (or a group.name that is not the group's), on the
 * tier's real broker: `group status` says none of its topics exist and how to make them; commands
 * that read its topics end with one line naming the missing topic and where to look.
 */
import assert from "node:assert/strict";
import { kafclaw, tempHome } from "../../_support/cli.ts";
import { testBrokers } from "../../_support/broker.ts";
import { uniqueName } from "../../_support/wait.ts";

Deno.test("a group that is not on the brokers is said to be missing, by status and by readers", async () => {
  await using home = await tempHome();
  const group = uniqueName("nogroup").replaceAll("-", "");
  const env = {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_NAME: group,
    KAFCLAW_GROUP_KAFKA_BROKERS: testBrokers().join(","),
    KAFCLAW_GROUP_SECURITY: "open",
    NO_COLOR: "1",
  };
  const status = await kafclaw(["group", "status"], env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(
    status.stdout,
    /\ntopics: none of the group's 14 exist on these brokers \(.* group init makes them; is group\.name right\?\)\nmembers: 0 active, 0 stale/,
  );
  const json = await kafclaw(["group", "status", "--json"], env);
  assert.equal(json.code, 0, json.stderr);
  const problems = JSON.parse(json.stdout).topic_problems as string[];
  assert.ok(
    problems.includes(`group.${group}.requests: missing`),
    problems.join("\n"),
  );

  for (
    const [args, topic] of [
      [["group", "members"], `group.${group}.control.roster`],
      [["task", "replay", "t-1"], `group.${group}.requests`],
    ] as const
  ) {
    const out = await kafclaw([...args], env);
    assert.equal(out.code, 1, out.stdout);
    const said = `kafclaw: Topic "${topic}" does not exist (automatic creation is off): is group ` +
      `"${group}" made on these brokers, and is group.name right? `;
    assert.ok(out.stderr.startsWith(said), out.stderr);
    assert.match(
      out.stderr.slice(said.length),
      /^\S*kafclaw group status lists what is missing\n$/,
    );
  }
});
