/**
 * A running gateway and a `group join` member whose only broker dies and comes back: each says once
 * that it lost Kafka, in the line every command prints, keeps running, and says once that Kafka
 * answers again. Stopped while it is down again, each says that the group was not told it left.
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

/** A running process of one member of the group, and what it said. */
interface Running {
  readonly what: string;
  readonly member: Awaited<ReturnType<typeof gateway>>;
  readonly child: Child;
}

/**
 * Starts a gateway and a `group join` member, each of its own home, in an initialised open group on
 * a broker of the test's own (both live through the same loss, which takes a service's patience to
 * be told: some half a minute), kills the broker, restarts it, and checks what each said; then
 * kills it again and stops both. Returns the two processes, ended.
 */
async function lostAndBack(): Promise<{ gateway: Child; joined: Child }> {
  await using broker = await startOwnBroker(1);
  const group = uniqueName("lost");
  const brokers = { ...OPEN, KAFCLAW_GROUP_KAFKA_BROKERS: broker.bootstrap.join(",") };
  await using gatewayMember = await gateway(group, "a1", brokers);
  await using joinMember = await gateway(group, "a2", brokers);
  const init = await kafclaw(["group", "init"], gatewayMember.env);
  assert.equal(init.code, 0, init.stderr);
  const all: Running[] = [
    {
      what: "the gateway",
      member: gatewayMember,
      child: await running(gatewayMember, ["gateway", "--json"], /"event":"started"/),
    },
    {
      what: "the member",
      member: joinMember,
      child: await running(joinMember, ["group", "join"], /in group "[^"]+" as "a2"/),
    },
  ];
  const count = (child: Child, pattern: RegExp) => child.stderr.match(pattern)?.length ?? 0;
  const state = () => tails(all.map(({ member }) => member));
  const saidOf = async (pattern: RegExp, what: string) => {
    for (const one of all) {
      await waitFor(() => count(one.child, pattern) > 0, `${one.what}'s line that Kafka ${what}`, {
        timeoutMs: 120_000,
        state,
      });
    }
  };

  await broker.kill(1);
  // Told when the client's retries run out: some half a minute of a service's patience.
  await saidOf(LOST, "is lost");
  for (const { child } of all) {
    assert.ok(child.stderr.includes(`(group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS)`));
  }
  await broker.restart(1);
  await saidOf(BACK, "is back");
  for (const { what, child } of all) {
    assert.equal(count(child, LOST), 1, child.stderr);
    assert.equal(count(child, BACK), 1, child.stderr);
    assert.equal(child.exited, undefined, `${what} runs on`);
    assert.doesNotMatch(child.stderr, /KafkaJS|\bat \S+\.[jt]s:\d+/);
  }

  // Stopped while the broker is down: neither can tell the group it leaves; each says so, and stops.
  await broker.kill(1);
  const codes = await Promise.all(all.map(({ child }) => child.stop("SIGTERM")));
  for (const [i, { member, child }] of all.entries()) {
    assert.equal(codes[i], 0, child.stderr);
    assert.match(
      child.stderr,
      new RegExp(`Could not tell group "[^"]+" that "${member.id}" leaves \\(`),
    );
  }
  return { gateway: all[0]!.child, joined: all[1]!.child };
}

/** Runs `kafclaw ARGS` in a member's environment (kept as its child), ready once stdout matches. */
async function running(
  member: Awaited<ReturnType<typeof gateway>>,
  args: string[],
  ready: RegExp,
): Promise<Child> {
  const child = member.child = new Child(kafclawCommand(args, member.env));
  await child.until(ready);
  return child;
}

Deno.test(
  "a gateway and a group join member each say once that they lost Kafka and once that it is back, and run on",
  opts,
  async () => {
    const { gateway, joined } = await lostAndBack();
    const stopped = jsonOf(gateway, { line: "last", what: "the gateway" });
    assert.deepEqual([stopped.event, stopped.untold], ["stopped", ["a1"]]);
    assert.match(
      joined.stdout.trim().split("\n").at(-1)!,
      /^stopped \(SIGTERM, \d+ ms\); group "[^"]+" was not told that "a2" left$/,
    );
  },
);
