/**
 * The requester of one command's life (`task submit --wait` where no gateway runs), over the
 * in-process transport: its task stream joins beside its membership, and so do the streams of the
 * zones it read when it last ran.
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

Deno.test("a one-command requester joins its task stream beside its membership, its zones' streams once the membership has read them", async () => {
  const group = "oneshot";
  const { broker, setUp } = await groupWithLab(group);
  const transport = new MemoryTransport({ broker });
  // The membership's join is held (as a broker's join delay would hold it) until the test ends it.
  const own = agentConsumerGroup(group, "ann");
  const joins = holdJoins(transport, [own]);
  const home = await Deno.makeTempDir({ prefix: "kafclaw-oneshot-" });
  const timeline = Timeline.open(join(home, "timeline.db"));
  try {
    const config = resolveConfig({ home, env: inProcessEnv(group, "ann") });
    const starting = OneShotRequester.start(config, { agentId: "ann", transport, timeline });
    await waitFor(
      () => joins.made.get(`${own}.tasks`) !== undefined,
      "the task stream to be made while the membership joins",
      { state: joins.state },
    );
    assert.ok(joins.waits(own));
    assert.equal(joins.made.has(`${own}.one-shot.lab`), false, "lab is not known yet");
    joins.release();
    await using _requester = await starting;
    assert.ok(joins.made.get(`${own}.one-shot.lab`) !== undefined, "lab's stream read");
  } finally {
    joins.release();
    timeline.close();
    await transport.close();
    await setUp.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a one-command requester asks for the streams of the zones read when it last ran beside its membership's join", async () => {
  const group = "oneshot2";
  const { broker, setUp } = await groupWithLab(group);
  const own = agentConsumerGroup(group, "ann");
  const home = await Deno.makeTempDir({ prefix: "kafclaw-oneshot-" });
  const timeline = Timeline.open(join(home, "timeline.db"));
  const config = resolveConfig({ home, env: inProcessEnv(group, "ann") });
  const once = new MemoryTransport({ broker });
  const transport = new MemoryTransport({ broker });
  const joins = holdJoins(transport, [own]);
  try {
    const first = await OneShotRequester.start(config, {
      agentId: "ann",
      transport: once,
      timeline,
    });
    await first.stop();
    const starting = OneShotRequester.start(config, { agentId: "ann", transport, timeline });
    await waitFor(
      () => joins.made.get(`${own}.one-shot.lab`) !== undefined && joins.waits(own),
      "lab's stream to be made while the membership joins",
      { state: joins.state },
    );
    joins.release();
    await using _requester = await starting;
  } finally {
    joins.release();
    timeline.close();
    await once.close();
    await transport.close();
    await setUp.close();
    await Deno.remove(home, { recursive: true });
  }
});
