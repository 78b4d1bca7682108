/**
 * A private zone's task on the real broker, among `kafclaw gateway` processes with their own fake
 * LLMs: ann owns zone lab and lets ben in; cy is in the group but not the zone. A task sent into
 * lab is answered by a member on lab's topics; cy's LLM never sees it, and nothing of it is on the
 * group-wide topics. A request cy's id sends into lab (a non-member's record) is dropped by the
 * members and audited.
 */
import assert from "node:assert/strict";
import { type Envelope, parseRecord, zoneTopic } from "../../../../core/protocol/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { kafclaw } from "../../../_support/cli.ts";
import { gateway, taskReader, untilZoneReaders } from "../../../_support/gateway_group.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a private zone's task reaches only its members, never the group's topics, and a non-member's record there is dropped and audited",
  opts,
  async () => {
    const group = uniqueName("zt").replaceAll("-", "");
    const open = { KAFCLAW_GROUP_SECURITY: "open" };
    await using ann = await gateway(group, "ann", open);
    await using ben = await gateway(group, "ben", open);
    await using cy = await gateway(group, "cy", open);
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    for (const g of [ann, ben, cy]) await g.start();
    const zone = async (...args: string[]) => {
      const out = await kafclaw(["zone", ...args], ann.env);
      assert.equal(out.code, 0, out.stderr);
    };
    await zone("create", "lab");
    // Ben works in lab; sh, a requester outside any process here, may send into it.
    await zone("approve", "lab", "ben");
    await zone("approve", "lab", "sh");
    await using reader = await taskReader(group);
    await untilZoneReaders(reader, { group, zone: "lab" }, 2);
    const inZone: Envelope[] = [];
    const zoneReader = await followTopic(
      reader.transport,
      [zoneTopic(group, "lab", "responses"), zoneTopic(group, "lab", "tasks.status")],
      (record) => {
        const parsed = parseRecord(record);
        if (parsed.ok) inZone.push(parsed.envelope);
      },
    );
    const audit = await followAudit(reader.transport, group);
    try {
      const requests = zoneTopic(group, "lab", "requests");
      await reader.transport.produce([
        requestRecord(requests, { id: "zt-forged", content: "Forged into lab", from: "cy" }),
        requestRecord(requests, { id: "zt-1", content: "The lab's secret", from: "sh" }),
      ]);
      await waitFor(
        () => inZone.some((e) => e.type === "response" && e.correlation_id === "zt-1"),
        "the zone task's answer on lab's responses",
        { timeoutMs: 60_000 },
      );
      const answer = inZone.find((e) => e.type === "response")!;
      assert.ok(["ann", "ben"].includes(answer.sender_id), answer.sender_id);
      assert.equal(answer.payload.content, `answered by ${answer.sender_id}`);
      await waitFor(
        () => audit.seen.some((a) => a.code === "not_zone_member" && a.agent_id === "cy"),
        "the members' audit of cy's record",
        { timeoutMs: 30_000, state: () => audit.seen },
      );
      const saw = (g: typeof ann, text: string) =>
        g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes(text));
      assert.deepEqual([ann, ben, cy].filter((g) => saw(g, "The lab's secret")).map((g) => g.id), [
        answer.sender_id,
      ]);
      assert.equal([ann, ben, cy].some((g) => saw(g, "Forged into lab")), false);
      // Nothing of the zone's tasks went on the group's topics.
      assert.deepEqual(
        reader.seen.filter((e) => e.correlation_id.startsWith("zt-")).map((e) => e.type),
        [],
      );
      assert.equal(inZone.some((e) => e.correlation_id === "zt-forged"), false);
    } finally {
      await audit.close();
      await zoneReader.close();
    }
  },
);
