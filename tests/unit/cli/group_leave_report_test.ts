/**
 * `group leave` through a running gateway: what it prints after the gateway's API answered, here a
 * real HTTP server on 127.0.0.1 answering as the gateway does, that the group was told or not.
 */
import assert from "node:assert/strict";
import { changeReport, leaveThrough } from "../../../cli/_group_gateway.ts";

/** A gateway's API whose leave answers `told`; the gateway as `group leave` finds it. */
function gatewayAnswering(told: boolean) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || path !== "/api/v1/group/leave") {
      return new Response("not found", { status: 404 });
    }
    return Response.json({ left: "g1", agent_id: "ann", told });
  });
  const port = server.addr.port;
  return {
    gateway: {
      pid: 4242,
      port,
      api: `http://127.0.0.1:${port}`,
      token: "t".repeat(32),
      agentId: "ann",
      group: "g1",
      member: true,
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("a leave the group was told of prints as left", async () => {
  await using api = gatewayAnswering(true);
  const left = await leaveThrough(api.gateway);
  assert.deepEqual([left.changed, left.told], [true, true]);
  assert.match(changeReport("left", left, false), /^"ann" left group "g1" through this home's/);
  assert.equal(JSON.parse(changeReport("left", left, true)).told, true);
});

Deno.test("a leave that could not be sent says the group was not told", async () => {
  await using api = gatewayAnswering(false);
  const left = await leaveThrough(api.gateway);
  assert.deepEqual([left.changed, left.told], [true, false]);
  assert.match(
    changeReport("left", left, false),
    /^"ann" left group "g1" \(the group was not told: its members take it for gone once it has been silent for 6 of its intervals\) through this home's gateway \(pid 4242, port \d+\)/,
  );
  assert.equal(JSON.parse(changeReport("left", left, true)).told, false);
});
