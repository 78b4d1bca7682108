/**
 * The requester of one command's life (`task submit --wait` where no gateway runs), over the
 * in-process transport: it reads its task stream and its zones' streams, joined together.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { OneShotRequester } from "../../../../core/gateway/mod.ts";
import { agentConsumerGroup } from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { inProcessEnv } from "../../../_support/gateway_memory.ts";
import { groupWithLab, holdJoins } from "../../../_support/held_joins.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("a one-command requester reads its zones' streams beside its task stream, not after it", async () => {
  const group = "oneshot";
  const { broker, setUp } = await groupWithLab(group);
  const transport = new MemoryTransport({ broker });
  // The task stream's join is held (as a broker's join delay would hold it) until the test ends it.
  const own = agentConsumerGroup(group, "ann");
  const joins = holdJoins(transport, [`${own}.tasks`]);
  const home = await Deno.makeTempDir({ prefix: "kafclaw-oneshot-" });
  const timeline = Timeline.open(join(home, "timeline.db"));
  try {
    const config = resolveConfig({ home, env: inProcessEnv(group, "ann") });
    const starting = OneShotRequester.start(config, { agentId: "ann", transport, timeline });
    await waitFor(
      () => joins.made.get(`${own}.one-shot.lab`) !== undefined,
      "lab's stream to be made while the task stream's join waits",
      { state: joins.state },
    );
    assert.ok(joins.made.has(`${own}.tasks`) && joins.made.get(`${own}.tasks`) === undefined);
    joins.release();
    await using _requester = await starting;
  } finally {
    joins.release();
    timeline.close();
    await transport.close();
    await setUp.close();
    await Deno.remove(home, { recursive: true });
  }
});
