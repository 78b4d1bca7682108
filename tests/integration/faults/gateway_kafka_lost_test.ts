/**
 * A running gateway, or a `group join` member, whose only broker dies and comes back: it says once
 * that it lost Kafka, in the line every command prints, keeps running, and says once that Kafka
 * answers again. Stopped while it is down again, it says that the group was not told it left.
 */
import assert from "node:assert/strict";
import { Child } from "../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand } from "../../_support/cli.ts";
import { gateway, tails } from "../../_support/gateway_group.ts";
import { OPEN } from "../../_support/open_group.ts";
import { startOwnBroker } from "../../_support/own_broker.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const LOST = /Lost Kafka, trying again: Cannot reach Kafka at /g;
const BACK = /Kafka at \S+ answers again/g;

/**
 * Starts what `run` starts in an initialised open group on a broker of the test's own, kills the
 * broker, restarts it, and checks what the process said.
 */
async function lostAndBack(what: string, run: (env: Record<string, string>) => Promise<Child>) {
  await using broker = await startOwnBroker(1);
  await using member = await gateway(uniqueName("lost"), "a1", {
    ...OPEN,
    KAFCLAW_GROUP_KAFKA_BROKERS: broker.bootstrap.join(","),
  });
  const init = await kafclaw(["group", "init"], member.env);
  assert.equal(init.code, 0, init.stderr);
  const child = member.child = await run(member.env);
  const count = (pattern: RegExp) => child.stderr.match(pattern)?.length ?? 0;
  const state = () => tails([member]);

  await broker.kill(1);
  // Told when the client's retries run out: some half a minute of a service's patience.
  await waitFor(() => count(LOST) > 0, `${what}'s line that Kafka is lost`, {
    timeoutMs: 120_000,
    state,
  });
  assert.ok(child.stderr.includes(`(group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS)`));
  await broker.restart(1);
  await waitFor(() => count(BACK) > 0, `${what}'s line that Kafka is back`, {
    timeoutMs: 120_000,
    state,
  });
  assert.equal(count(LOST), 1, child.stderr);
  assert.equal(count(BACK), 1, child.stderr);
  assert.equal(child.exited, undefined, `${what} runs on`);
  assert.doesNotMatch(child.stderr, /KafkaJS|\bat \S+\.[jt]s:\d+/);

  // Stopped while the broker is down: it cannot tell the group it leaves, says so, and stops.
  await broker.kill(1);
  assert.equal(await child.stop("SIGTERM"), 0, child.stderr);
  assert.match(child.stderr, /Could not tell group "[^"]+" that "a1" leaves \(/);
  return child;
}

/** Runs `kafclaw ARGS` in a member's environment, ready once stdout matches `ready`. */
function running(args: string[], ready: RegExp) {
  return async (env: Record<string, string>) => {
    const child = new Child(kafclawCommand(args, env));
    await child.until(ready);
    return child;
  };
}

Deno.test(
  "a gateway says once that it lost Kafka and once that it is back, and runs on",
  opts,
  async () => {
    const gateway = await lostAndBack(
      "the gateway",
      running(["gateway", "--json"], /"event":"started"/),
    );
    const stopped = jsonOf(gateway, { line: "last", what: "the gateway" });
    assert.deepEqual([stopped.event, stopped.untold], ["stopped", ["a1"]]);
  },
);

Deno.test(
  "a group join member says once that it lost Kafka and once that it is back",
  opts,
  async () => {
    const member = await lostAndBack(
      "the member",
      running(["group", "join"], /in group "[^"]+" as "a1"/),
    );
    assert.match(
      member.stdout.trim().split("\n").at(-1)!,
      /^stopped \(SIGTERM, \d+ ms\); group "[^"]+" was not told that "a1" left$/,
    );
  },
);
