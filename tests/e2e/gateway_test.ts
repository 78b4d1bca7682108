/**
 * `kafclaw gateway` as a user runs it, without a broker: standalone (a group of one inside the
 * process) it starts, and stops on SIGTERM or SIGINT with exit 0; a group without an agent id is
 * refused with the setting named. Groups of gateway processes on the real broker are in
 * tests/integration/core/gateway.
 */
import assert from "node:assert/strict";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewaySetting } from "../_support/gateway_env.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`a standalone gateway starts, and stops on ${signal} with exit 0`, opts, async () => {
    await using s = await gatewaySetting();
    await using gateway = new Child(kafclawCommand(["gateway", "--json"], s.env));
    await gateway.until(/"event":"started"/);
    const { port, dashboard_port, ...started } = jsonOf(gateway, {
      line: "first",
      what: "kafclaw gateway",
    });
    assert.ok(
      port > 0 && dashboard_port > 0 && port !== dashboard_port,
      `${port} ${dashboard_port}`,
    );
    assert.deepEqual(started, {
      event: "started",
      mode: "standalone",
      group: "kafclaw",
      agent_id: "local",
      agents: ["local"],
      kafka: false,
      members: 1,
      sponsoring: false,
      skills: [],
      host: "127.0.0.1",
    });
    assert.equal(await gateway.stop(signal), 0, gateway.stderr);
    const stopped = jsonOf(gateway, { line: "last", what: "kafclaw gateway" });
    assert.equal(stopped.event, "stopped");
    assert.equal(stopped.signal, signal);
    assert.deepEqual([stopped.late, stopped.untold], [[], []]);
    assert.ok(stopped.ms < 10_000, `stopping took ${stopped.ms} ms`);
  });
}

Deno.test("a gateway in a group without an agent id is refused, naming the setting", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["gateway"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr.trim(),
    "kafclaw: this agent has no id in the group: set group.agentId (KAFCLAW_GROUP_AGENT_ID)",
  );
});

Deno.test("a gateway whose lease is shorter than 3 heartbeat intervals is refused in one line", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["gateway"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9",
    KAFCLAW_GROUP_AGENT_ID: "ann",
    KAFCLAW_GROUP_LEASE_MS: "5000",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr.trim(),
    "kafclaw: Cannot use group.leaseMs 5000: it must be at least 3 heartbeat intervals " +
      "(30000 ms with group.heartbeatIntervalMs 10000), because a silent worker stops itself " +
      "only after 2 of them",
  );
});
