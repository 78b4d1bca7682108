/**
 * Group and full mode on the real broker, started by their deno.json tasks (`run` with the group
 * enabled, `run-full`) as a checkout runs them: each answers `/api/v1/status` with its mode, the
 * group's health turns `ok` once the agent's own heartbeats come back through the broker, and
 * full mode reports that no orchestrator is active yet, with the reason. Headless (`run-headless`)
 * runs under its narrowed permission set: its network is its two ports, the broker and the fake
 * LLM, and it reaches both, answering a task another home sends it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Child } from "../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand } from "../../_support/cli.ts";
import { gateway, tails } from "../../_support/gateway_group.ts";
import { testBrokers } from "../../_support/broker.ts";
import { processArgs } from "../../_support/gateway_env.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../../", import.meta.url).pathname;
const TASKS = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).tasks as Record<
  string,
  string
>;

/** `/api/v1/status` of the gateway whose API is on `port`, asked with `token`. */
async function statusOf(port: number, token: string) {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

/** Waits until `status` says the group is healthy: the agent's heartbeats came back. */
async function healthy(
  status: () => Promise<{ group: { health: string } }>,
  gateways: Parameters<typeof tails>[0],
) {
  await waitFor(async () => (await status()).group.health === "ok", "the group's health ok", {
    timeoutMs: 30_000,
    intervalMs: 200,
    state: () => tails(gateways),
  });
}

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
    const started = jsonOf(ann.child, { line: "first", what: "ann's gateway" });
    assert.equal(started.mode, mode);
    assert.equal(started.kafka, true);
    const token = (await Deno.readTextFile(join(ann.home, "gateway.token"))).trim();
    const status = () => statusOf(started.port, token);
    await healthy(status, [ann]);
    const body = await status();
    assert.equal(body.mode, mode);
    assert.equal(body.agent_id, "ann");
    assert.deepEqual(body.group, { enabled: true, name: group, health: "ok", members: 1, live: 1 });
    assert.deepEqual(
      body.orchestrator,
      orchestrator
        ? {
          enabled: true,
          active: false,
          reason: "orchestrator.enabled is false (KAFCLAW_ORCHESTRATOR_ENABLED)",
        }
        : { enabled: false, active: false, reason: `${mode} mode runs no orchestrator` },
    );
    const cli = jsonOf(await kafclaw(["status", "--json"], ann.env));
    assert.equal(cli.running, true);
    assert.equal(cli.mode, mode);
    assert.equal(cli.group.health, "ok");
    assert.equal(await ann.child.stop(), 0, ann.child.stderr);
  });
}

Deno.test(
  "deno task run-headless on the broker runs under its narrowed set and reaches the broker and the LLM",
  opts,
  async () => {
    const group = uniqueName("headless").replaceAll("-", "");
    const token = "headless-token-0123456789abcdefghij";
    const open = { KAFCLAW_GROUP_SECURITY: "open" };
    // Headless would listen on every interface; the tests bind loopback alone.
    await using ann = await gateway(group, "ann", {
      ...open,
      KAFCLAW_GATEWAY_AUTH_TOKEN: token,
      KAFCLAW_GATEWAY_HOST: "127.0.0.1",
    });
    await using bob = await gateway(group, "bob", open);
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    const [launcher, ...args] = TASKS["run-headless"]!.split(" ");
    assert.equal(launcher, "scripts/kafclaw");
    ann.child = new Child(kafclawCommand([...args, "--json"], ann.env, { relative: true }));
    await ann.child.until(/"event":"started"/);
    const started = jsonOf(ann.child, { line: "first", what: "ann's gateway" });
    assert.equal(started.mode, "headless");
    // Headless runs the orchestrator whatever orchestrator.enabled says.
    await waitFor(
      async () => (await statusOf(started.port, token)).orchestrator.nodes === 1,
      "ann's node in its own orchestrator table",
      { timeoutMs: 30_000, intervalMs: 200, state: () => tails([ann]) },
    );
    assert.deepEqual((await statusOf(started.port, token)).orchestrator, {
      enabled: true,
      active: true,
      role: "worker",
      nodes: 1,
    });
    // The process the launcher became holds exactly the headless set's network.
    const argv = await processArgs(ann.child.process.pid);
    const llm = new URL(ann.llm.url).host;
    assert.deepEqual(argv.filter((a) => a.startsWith("--allow-net")), [
      `--allow-net=127.0.0.1:0,${testBrokers().join(",")},${llm}`,
    ]);
    assert.ok(argv.some((a) => a.startsWith(`--allow-write=${ann.home}`)), argv.join(" "));
    await healthy(() => statusOf(started.port, token), [ann]);
    const asked = await kafclaw(
      ["task", "submit", "Say hello", "--to", "ann", "--wait", "--deadline", "90s", "--json"],
      bob.env,
    );
    assert.equal(asked.code, 0, `${asked.stderr}\n${JSON.stringify(tails([ann]))}`);
    assert.equal(jsonOf(asked).answer, "answered by ann");
    assert.ok(ann.llm.requests.length > 0, "ann's turn asked its LLM");
    assert.equal(await ann.child.stop(), 0, ann.child.stderr);
  },
);
