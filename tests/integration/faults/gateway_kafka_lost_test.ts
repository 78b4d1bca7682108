/**
 * A running gateway whose only broker dies and comes back: it says once that it lost Kafka, in the
 * line every command prints, keeps running, and says once that Kafka answers again.
 */
import assert from "node:assert/strict";
import { kafclaw } from "../../_support/cli.ts";
import { gateway, tails } from "../../_support/gateway_group.ts";
import { OPEN } from "../../_support/open_group.ts";
import { startOwnBroker } from "../../_support/own_broker.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const LOST = /Lost Kafka, trying again: Cannot reach Kafka at /g;
const BACK = /Kafka at \S+ answers again/g;

Deno.test(
  "a gateway says once that it lost Kafka and once that it is back, and runs on",
  opts,
  async () => {
    await using broker = await startOwnBroker(1);
    const address = broker.bootstrap.join(",");
    await using member = await gateway(uniqueName("lost"), "a1", {
      ...OPEN,
      KAFCLAW_GROUP_KAFKA_BROKERS: address,
    });
    const init = await kafclaw(["group", "init"], member.env);
    assert.equal(init.code, 0, init.stderr);
    await member.start();
    const child = member.child!;
    const count = (pattern: RegExp) => child.stderr.match(pattern)?.length ?? 0;
    const state = () => tails([member]);

    await broker.kill(1);
    // Told when the client's retries run out: some half a minute of a service's patience.
    await waitFor(() => count(LOST) > 0, "the line that Kafka is lost", {
      timeoutMs: 120_000,
      state,
    });
    assert.ok(child.stderr.includes(`(group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS)`));
    await broker.restart(1);
    await waitFor(() => count(BACK) > 0, "the line that Kafka is back", {
      timeoutMs: 120_000,
      state,
    });
    assert.equal(count(LOST), 1, child.stderr);
    assert.equal(count(BACK), 1, child.stderr);
    assert.equal(child.exited, undefined, "the gateway runs on");
    assert.doesNotMatch(child.stderr, /KafkaJS|\bat \S+\.[jt]s:\d+/);
  },
);
