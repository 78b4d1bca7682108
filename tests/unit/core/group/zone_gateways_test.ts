/**
 * A zone among three gateways on one in-process broker: lab (owned by boss, who runs no gateway)
 * has ben and cy in it, ann not. A task sent into lab is worked by ben or cy; what its turn shares
 * goes to lab's memory topic, which the other member indexes in zone lab and ann never reads, and
 * a search outside lab does not find it.
 */
import assert from "node:assert/strict";
import { createZoneTopics, zoneRecord } from "../../../../core/group/mod.ts";
import { parseRecord, zoneTopic } from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { threeGateways } from "../../../_support/gateway_memory.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { waitFor } from "../../../_support/wait.ts";
import { LAB_ZONE } from "./_records.ts";

const SHARES = [
  {
    toolCalls: [{
      name: "share_memory",
      arguments: { title: "Lab door", content: "The lab door code is 4711", tags: ["lab"] },
    }],
  },
  { text: "noted in the lab" },
];

Deno.test("a zone's task and the memory it shares stay with the zone's members", async () => {
  const group = "gwzone";
  const sharing = { chat: SHARES, runtime: { askOwner: () => Promise.resolve(true) } };
  const { a, b, c, broker } = await threeGateways(group, { ben: sharing, cy: sharing });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const raw = new MemoryTransport({ broker });
  await createZoneTopics(raw, { group, zoneId: "lab" });
  const lab = { ...LAB_ZONE, owner_id: "boss", members: ["ben", "cy", "sh"] };
  await raw.produce([zoneRecord(group, "boss", lab)]);
  await waitFor(
    () => [b, c].every((g) => g.gateway.tasks.zones?.joined().includes("lab")),
    "ben and cy reading lab",
  );
  assert.deepEqual(a.gateway.tasks.zones?.joined(), []);
  await raw.produce([
    requestRecord(zoneTopic(group, "lab", "requests"), {
      id: "lab-1",
      content: "Note the lab door code",
      from: "sh",
    }),
  ]);
  const answers = () =>
    (broker.topics.get(zoneTopic(group, "lab", "responses"))?.log.flat() ?? []).flatMap((r) => {
      const parsed = parseRecord({ ...r, topic: zoneTopic(group, "lab", "responses") });
      return parsed.ok && parsed.envelope.type === "response" ? [parsed.envelope] : [];
    });
  await waitFor(() => answers().length === 1, "the answer on lab's responses");
  const worker = answers()[0]!.sender_id;
  const other = worker === "ben" ? c : b;
  const inLab = broker.topics.get(zoneTopic(group, "lab", "memory"))?.log.flat() ?? [];
  assert.equal(inLab.length, 1, "one record on lab's memory topic");
  await waitFor(() => other.gateway.memory.shared.indexed === 1, "the other member to index it");
  assert.equal(a.gateway.memory.shared.indexed, 0);
  const found = await other.gateway.runtime.memory.search("lab door code", { zones: ["lab"] });
  assert.equal(found.hits[0]?.source, `group:${worker}`);
  const outside = await other.gateway.runtime.memory.search("lab door code");
  assert.equal(outside.hits.some((h) => h.source === `group:${worker}`), false);
});
