/**
 * The requester of one command's life (`task submit --wait` where no gateway runs), over the
 * in-process transport: it reads its task stream and its zones' streams, joined together.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { OneShotRequester } from "../../../../core/gateway/mod.ts";
import { createZoneTopics, memberTopicSpecs, zoneRecord } from "../../../../core/group/mod.ts";
import { agentConsumerGroup } from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { MemoryBroker, MemoryTransport } from "../../../../core/transport/mod.ts";
import { inProcessEnv } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";
import { LAB_ZONE } from "../group/_records.ts";

Deno.test("a one-command requester reads its zones' streams beside its task stream, not after it", async () => {
  const group = "oneshot";
  const broker = new MemoryBroker();
  const setUp = new MemoryTransport({ broker });
  await setUp.createTopics(memberTopicSpecs(group, { workPartitions: 3 }));
  await createZoneTopics(setUp, { group, zoneId: "lab" });
  await setUp.produce([
    zoneRecord(group, "boss", { ...LAB_ZONE, owner_id: "boss", members: ["ann"] }),
  ]);
  const transport = new MemoryTransport({ broker });
  // The task stream's join is held (as a broker's join delay would hold it) until the test ends it.
  const own = agentConsumerGroup(group, "ann");
  const joined = Promise.withResolvers<void>();
  const made = new Map<string, string>();
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = async (options) => {
    made.set(options.groupId, "asked");
    if (options.groupId === `${own}.tasks`) await joined.promise;
    const subscription = await subscribe(options);
    made.set(options.groupId, "made");
    return subscription;
  };
  const home = await Deno.makeTempDir({ prefix: "kafclaw-oneshot-" });
  const timeline = Timeline.open(join(home, "timeline.db"));
  try {
    const config = resolveConfig({ home, env: inProcessEnv(group, "ann") });
    const starting = OneShotRequester.start(config, { agentId: "ann", transport, timeline });
    await waitFor(
      () => made.get(`${own}.one-shot.lab`) === "made",
      "lab's stream to be made while the task stream's join waits",
      { state: () => [...made] },
    );
    assert.equal(made.get(`${own}.tasks`), "asked");
    joined.resolve();
    await using _requester = await starting;
  } finally {
    joined.resolve();
    timeline.close();
    await transport.close();
    await setUp.close();
    await Deno.remove(home, { recursive: true });
  }
});
