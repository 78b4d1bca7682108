/**
 * Homes of one group on the test broker, as the CLI integration tests run them: each home's
 * environment, and a signed group whose members hold certificates from the owner's sponsor.
 */
import assert from "node:assert/strict";
import { testBrokers } from "./broker.ts";
import { Child } from "./child.ts";
import { kafclaw, kafclawCommand } from "./cli.ts";

/**
 * The environment of a home of `group` on the test broker (3 partitions, 1 s heartbeats); `more`
 * adds to it or overrides it (another broker's `KAFCLAW_GROUP_KAFKA_BROKERS`).
 */
export function groupEnv(
  group: string,
  home: string,
  more: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFCLAW_HOME: home,
    KAFCLAW_GROUP_NAME: group,
    KAFCLAW_GROUP_KAFKA_BROKERS: more.KAFCLAW_GROUP_KAFKA_BROKERS ?? testBrokers().join(","),
    KAFCLAW_GROUP_PARTITIONS: "3",
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "1000",
    NO_COLOR: "1",
    ...more,
  };
}

/**
 * Makes signed group `group` in `ownerHome` (agent `boss`) and has each of `members` (id → home)
 * join once through the owner's sponsor, so that it holds its certificate; returns the
 * environment of each, the owner's as `boss`. No process is left running.
 */
export async function certifiedGroup<Id extends string>(
  group: string,
  ownerHome: string,
  members: Readonly<Record<Id, string>>,
): Promise<Record<Id | "boss", Record<string, string>>> {
  const boss = groupEnv(group, ownerHome);
  const made = await kafclaw(["group", "init", "--agent-id", "boss", "--json"], boss);
  assert.equal(made.code, 0, made.stderr);
  const ownerKey = JSON.parse(made.stdout).owner_public_key as string;
  const envs = { boss } as Record<Id | "boss", Record<string, string>>;
  await using sponsor = new Child(kafclawCommand(["group", "join"], boss));
  await sponsor.until(/in group .* sponsoring newcomers/);
  for (const [id, home] of Object.entries(members) as [Id, string][]) {
    const env = groupEnv(group, home, {
      KAFCLAW_GROUP_AGENT_ID: id,
      KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey,
    });
    envs[id] = env;
    await using joined = new Child(kafclawCommand(["group", "join"], env));
    await joined.until(/in group/);
    assert.equal(await joined.stop("SIGTERM"), 0, joined.stderr);
  }
  assert.equal(await sponsor.stop("SIGTERM"), 0, sponsor.stderr);
  return envs;
}
