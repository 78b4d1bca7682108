/**
 * Leaving the group and joining it again through the API, on an in-process broker: a leave takes
 * the gateway's whole group side down (the others see it go, its group tools are gone, nothing more
 * is shared, the status says it left), a second leave and a join while a member are 409s, and a
 * join brings a new membership that the status, the group endpoints and the requester use: a task
 * sent after it is answered again. A join that fails leaves the gateway out, saying why; a leave
 * that cannot be sent takes it out too, saying the group was not told; joins, leaves and the stop
 * take turns.
 */
import assert from "node:assert/strict";
import { apiOf, groupTaskAnswered } from "../../../_support/api.ts";
import { gatewayOf, inProcessEnv, inProcessGroup } from "../../../_support/gateway_memory.ts";
import { waitFor } from "../../../_support/wait.ts";

const GROUP_TOOLS = ["delegate_task", "group_members", "share_memory"];

Deno.test("a gateway leaves its group and joins it again through the API; tasks work again", async () => {
  const { group, more } = await inProcessGroup("gjoin");
  await using ann = await apiOf(inProcessEnv(group, "ann"), { more });
  await using ben = await gatewayOf(inProcessEnv(group, "ben"), {
    answer: { text: "answered by ben" },
    more,
  });
  const live = (on: typeof ben) => on.gateway.membership.live().map((m) => m.agentId).sort();
  await waitFor(() => live(ann).length === 2 && live(ben).length === 2, "ann and ben to meet");
  const tools = () => ann.gateway.runtime.tools.names().filter((n) => GROUP_TOOLS.includes(n));
  assert.deepEqual(tools().sort(), GROUP_TOOLS);
  const before = ann.gateway.membership;

  const left = await ann.json("/api/v1/group/leave", { method: "POST" });
  assert.deepEqual(left, { left: group, agent_id: "ann", told: true });
  assert.equal(ann.gateway.told, true);
  await waitFor(() => live(ben).join() === "ben", "ben to see ann go", { state: () => live(ben) });
  assert.deepEqual(tools(), [], "no group tool while out of the group");
  const out = await ann.json("/api/v1/group");
  assert.deepEqual([out.left, out.told, out.members, out.live], [true, true, 0, 0]);
  assert.deepEqual((await ann.json("/api/v1/group/members")).items, [], "no roster followed");
  const status = await ann.json("/api/v1/status");
  assert.deepEqual([status.group.health, status.group.members], ["left", 0]);
  const node = await ann.json("/api/v1/orchestrator/hierarchy", {}, 409);
  assert.equal(node.error.code, "not_member");
  const again = await ann.json("/api/v1/group/leave", { method: "POST" }, 409);
  assert.deepEqual(again.error, {
    code: "not_member",
    message: `ann is not a member of group "${group}": it has left it`,
  });
  const share = await ann.json("/api/v1/group/memory", {
    body: { title: "Note", content: "not while out" },
  }, 409);
  assert.match(share.error.message, /not a member of group/);
  // Skills offered while out are kept for the join.
  assert.deepEqual(await ann.gateway.offerSkills(["translate"]), {
    added: ["translate"],
    removed: [],
  });

  const joined = await ann.json("/api/v1/group/join", { method: "POST" });
  assert.deepEqual(joined, { joined: group, agent_id: "ann" });
  assert.notEqual(ann.gateway.membership, before, "a new membership");
  const twice = await ann.json("/api/v1/group/join", { method: "POST" }, 409);
  assert.deepEqual(twice.error, {
    code: "member",
    message: `ann is a member of group "${group}" already`,
  });
  assert.deepEqual(tools().sort(), GROUP_TOOLS);
  const state = await ann.json("/api/v1/group");
  assert.deepEqual([state.left, state.skills], [false, ["translate"]]);
  assert.equal((await ann.json("/api/v1/status")).group.health, "ok");
  await waitFor(
    () => ben.gateway.membership.live("translate").some((m) => m.agentId === "ann"),
    "ben to see ann back, offering translate",
    { state: () => live(ben) },
  );
  const members = await ann.json("/api/v1/group/members");
  assert.deepEqual(members.items.map((m: { agent_id: string }) => m.agent_id).sort(), [
    "ann",
    "ben",
  ]);

  const task = await groupTaskAnswered(ann, "ben", "Say hi after the join");
  assert.equal(task.response_content, "answered by ben");
});

Deno.test("a join that fails is a 503 with its reason, the gateway still out; the next one works", async () => {
  const { group, more } = await inProcessGroup("gfail");
  const transport = more.transport;
  const subscribe = transport.subscribe.bind(transport);
  let down = false;
  transport.subscribe = (options) =>
    down ? Promise.reject(new Error("the broker went away\nat somewhere")) : subscribe(options);
  await using ann = await apiOf(inProcessEnv(group, "ann"), { more });
  await ann.json("/api/v1/group/leave", { method: "POST" });
  down = true;
  const failed = await ann.json("/api/v1/group/join", { method: "POST" }, 503);
  assert.deepEqual(failed.error, {
    code: "not_joined",
    message: "Cannot join the group: the broker went away",
  });
  assert.equal(ann.gateway.member, false);
  assert.equal((await ann.json("/api/v1/status")).group.health, "left");
  await ann.json("/api/v1/group/leave", { method: "POST" }, 409);
  down = false;
  await ann.json("/api/v1/group/join", { method: "POST" });
  assert.equal(ann.gateway.member, true);
  assert.ok(ann.gateway.runtime.tools.names().includes("delegate_task"));
});

Deno.test("a leave that cannot be sent still takes the gateway out, and answers that the group was not told", async () => {
  const { group, more } = await inProcessGroup("guntold");
  const transport = more.transport;
  const produce = transport.produce.bind(transport);
  let down = false;
  transport.produce = (records) =>
    down ? Promise.reject(new Error("Cannot reach Kafka")) : produce(records);
  const said: string[] = [];
  await using ann = await apiOf(inProcessEnv(group, "ann"), {
    more: { ...more, say: (line) => void said.push(line) },
  });
  down = true;
  const left = await ann.json("/api/v1/group/leave", { method: "POST" });
  assert.deepEqual(left, { left: group, agent_id: "ann", told: false });
  assert.equal(ann.gateway.member, false);
  // The group's state says so too (the dashboard's group page shows it).
  const out = await ann.json("/api/v1/group");
  assert.deepEqual([out.left, out.told], [true, false]);
  assert.ok(
    said.some((line) =>
      /^Could not tell group "guntold.*" that "ann" leaves \(Cannot reach Kafka\)/.test(line)
    ),
    String(said),
  );
  down = false;
  await ann.json("/api/v1/group/join", { method: "POST" });
  assert.equal(ann.gateway.told, false, "a member: not left");
});

Deno.test("joins, leaves and the stop run one at a time; a join once the stop began is refused", async () => {
  const { group, more } = await inProcessGroup("gturn");
  await using ann = await apiOf(inProcessEnv(group, "ann"), { more });
  const gateway = ann.gateway;
  const results = await Promise.allSettled([gateway.leave(), gateway.join(), gateway.leave()]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "fulfilled"]);
  assert.equal(gateway.member, false);
  const stopping = gateway.stop();
  await assert.rejects(gateway.join(), /The gateway of ann has stopped/);
  assert.deepEqual(await stopping, []);
  assert.equal(gateway.member, false);
});

Deno.test("a stop does not wait past half its time for a join under way, and undoes it after", async () => {
  const { group, more } = await inProcessGroup("gslow");
  const transport = more.transport;
  const subscribe = transport.subscribe.bind(transport);
  let gate: Promise<void> = Promise.resolve();
  transport.subscribe = async (options) => {
    await gate;
    return await subscribe(options);
  };
  await using ann = await apiOf(inProcessEnv(group, "ann"), { more });
  const gateway = ann.gateway;
  await gateway.leave();
  const held = Promise.withResolvers<void>();
  gate = held.promise;
  const joining = gateway.join();
  const started = Date.now();
  assert.deepEqual(await gateway.stop(1000), []);
  assert.ok(Date.now() - started < 5000, `the stop took ${Date.now() - started} ms`);
  held.resolve();
  await assert.rejects(joining, /The gateway of ann has stopped/);
  assert.equal(gateway.member, false);
  assert.ok(!gateway.runtime.tools.names().includes("delegate_task"), "the late side is gone");
});

Deno.test("join and leave are 409 in standalone mode, and need the owner's token", async () => {
  await using api = await apiOf();
  for (const path of ["/api/v1/group/join", "/api/v1/group/leave"]) {
    const refused = await api.json(path, { method: "POST" }, 409);
    assert.equal(refused.error.code, "standalone");
    const response = await api.call(path, {
      method: "POST",
      headers: { authorization: "Bearer wrong-token-0123456789abcdefghijklmnop" },
    });
    await response.body?.cancel();
    assert.equal(response.status, 401);
  }
  assert.equal(api.gateway.member, true);
});
