/**
 * Tasks into a zone through the API, as `kafclaw task submit --zone` and `orchestrator dispatch
 * --zone` send them: on the zone's topics, to its members only; a zone that does not exist, or an
 * agent outside it, is a 409 `zone_refused` that says why, and nothing is queued.
 */
import assert from "node:assert/strict";
import { createZoneTopics, zoneRecord } from "../../../../core/group/mod.ts";
import { parseRecord, zoneTopic } from "../../../../core/protocol/mod.ts";
import { apiOf } from "../../../_support/api.ts";
import { gatewayOf, inProcessEnv, inProcessGroup } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";
import { LAB_ZONE } from "../../core/group/_records.ts";

const FULL = { KAFCLAW_ORCHESTRATOR_ENABLED: "true" };

/** Ann (with the API) and ben in lab, cy outside it; all full-mode nodes, ann the parent. */
async function labGroup(prefix: string) {
  const { group, more } = await inProcessGroup(prefix);
  const node = { ...more, mode: "full" as const };
  const ann = await apiOf(
    { ...inProcessEnv(group, "ann"), ...FULL, KAFCLAW_ORCHESTRATOR_ROLE: "orchestrator" },
    { more: node },
  );
  const below = { ...FULL, KAFCLAW_ORCHESTRATOR_PARENT_ID: "ann" };
  const ben = await gatewayOf({ ...inProcessEnv(group, "ben"), ...below }, {
    answer: { text: "answered by ben in lab" },
    more: node,
  });
  const cy = await gatewayOf({ ...inProcessEnv(group, "cy"), ...below }, {
    answer: { text: "answered by cy" },
    more: node,
  });
  await createZoneTopics(more.transport, { group, zoneId: "lab" });
  await more.transport.produce([
    zoneRecord(group, "ann", { ...LAB_ZONE, owner_id: "ann", members: ["ann", "ben"] }),
  ]);
  await waitFor(
    () =>
      ann.gateway.membership.zones.isMember("lab", "ben") &&
      ben.gateway.tasks.zones?.joined().includes("lab") === true &&
      ann.gateway.orchestrator!.hierarchy().subtree("ann").length === 2 &&
      ann.gateway.membership.live().length === 3,
    "lab made, ben reading it, ben and cy below ann",
  );
  /** The requests on lab's topics, by task id. */
  const inLab = () =>
    (["requests", "inbox"] as const).flatMap((kind) => {
      const topic = zoneTopic(group, "lab", kind);
      return (more.transport.broker.topics.get(topic)?.log.flat() ?? []).flatMap((r) => {
        const parsed = parseRecord({ ...r, topic });
        return parsed.ok ? [parsed.envelope.correlation_id] : [];
      });
    });
  return {
    ann,
    inLab,
    async [Symbol.asyncDispose]() {
      await cy[Symbol.asyncDispose]();
      await ben[Symbol.asyncDispose]();
      await ann[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a task sent into a zone through the API goes on its topics and is answered by a member", async () => {
  await using lab = await labGroup("gzapi");
  const { ann } = lab;
  const sent = await ann.json("/api/v1/group/tasks", {
    body: { content: "Read the lab's dial", to: { agent: "ben" }, zone: "lab" },
  }, 202);
  let task: Record<string, unknown> = {};
  await waitFor(
    async () =>
      (task = await ann.json(`/api/v1/group/tasks/${sent.task_id}`)).status === "completed",
    "ben's answer",
    { state: () => task },
  );
  assert.deepEqual([task.response_content, task.zone], ["answered by ben in lab", "lab"]);
  assert.ok(lab.inLab().includes(sent.task_id), "its request on lab's inbox");

  const queued = () => ann.gateway.runtime.timeline.groupTasks.listOutgoing(100).length;
  const before = queued();
  const outside = await ann.json("/api/v1/group/tasks", {
    body: { content: "x", to: { agent: "cy" }, zone: "lab" },
  }, 409);
  assert.equal(outside.error.code, "zone_refused");
  assert.match(outside.error.message, /^Cannot send a task into zone "lab": .*cy/);
  const nowhere = await ann.json(
    "/api/v1/group/tasks",
    { body: { content: "x", zone: "ops" } },
    409,
  );
  assert.equal(nowhere.error.message, 'Cannot send a task into zone "ops": there is no such zone');
  assert.equal(queued(), before, "nothing queued for a refused task");
});

Deno.test("a dispatch into a zone goes to a node below that is its member, on the zone's topics", async () => {
  await using lab = await labGroup("gzdisp");
  const { ann } = lab;
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const dispatched = await ann.json("/api/v1/orchestrator/dispatch", {
      body: { content: `Lab job ${i}`, zone: "lab" },
    }, 202);
    assert.equal(dispatched.to, "ben", "cy is no member of lab");
    ids.push(dispatched.task_id);
  }
  // Queued, then sent by ann's requester: into lab's inbox, addressed to ben.
  await waitFor(() => ids.every((id) => lab.inLab().includes(id)), "the requests on lab's inbox", {
    state: () => lab.inLab(),
  });
  const nowhere = await ann.json("/api/v1/orchestrator/dispatch", {
    body: { content: "x", zone: "ops" },
  }, 409);
  assert.equal(nowhere.error.message, 'Cannot dispatch to zone "ops": no such zone');
});
