/**
 * Group and full mode on the real broker, started by their deno.json tasks (`run` with the group
 * enabled, `run-full`) as a checkout runs them: each answers `/api/v1/status` with its mode, the
 * group's health turns `ok` once the agent's own heartbeats come back through the broker, and
 * full mode reports that no orchestrator is active yet, with the reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Child } from "../../_support/child.ts";
import { kafclaw, kafclawCommand } from "../../_support/cli.ts";
import { gateway } from "../../_support/gateway_group.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../../", import.meta.url).pathname;
const TASKS = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).tasks as Record<
  string,
  string
>;

for (
  const [name, mode, orchestrator] of [["run", "group", false], ["run-full", "full", true]] as const
) {
  Deno.test(`deno task ${name} on the broker answers /api/v1/status as ${mode}`, opts, async () => {
    const group = uniqueName("modes").replaceAll("-", "");
    await using ann = await gateway(group, "ann", { KAFCLAW_GROUP_SECURITY: "open" });
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    const [launcher, ...args] = TASKS[name]!.split(" ");
    assert.equal(launcher, "scripts/kafclaw");
    ann.child = new Child(kafclawCommand([...args, "--json"], ann.env, { relative: true }));
    await ann.child.until(/"event":"started"/);
    const started = JSON.parse(ann.child.stdout.split("\n")[0]!);
    assert.equal(started.mode, mode);
    assert.equal(started.kafka, true);
    const token = (await Deno.readTextFile(join(ann.home, "gateway.token"))).trim();
    const status = async () => {
      const response = await fetch(`http://127.0.0.1:${started.port}/api/v1/status`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      return await response.json();
    };
    await waitFor(async () => (await status()).group.health === "ok", "the group's health ok", {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const body = await status();
    assert.equal(body.mode, mode);
    assert.equal(body.agent_id, "ann");
    assert.deepEqual(body.group, { enabled: true, name: group, health: "ok", members: 1, live: 1 });
    assert.deepEqual(
      body.orchestrator,
      orchestrator
        ? { enabled: true, active: false, reason: "the orchestrator is not part of this build yet" }
        : { enabled: false, active: false, reason: `${mode} mode runs no orchestrator` },
    );
    const cli = JSON.parse((await kafclaw(["status", "--json"], ann.env)).stdout);
    assert.equal(cli.running, true);
    assert.equal(cli.mode, mode);
    assert.equal(cli.group.health, "ok");
    assert.equal(await ann.child.stop(), 0, ann.child.stderr);
  });
}
