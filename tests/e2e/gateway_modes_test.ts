/**
 * The run tasks of deno.json as a user runs them from a checkout (the task's command line, through
 * a shell in the checkout's root), without a broker: each starts its gateway and answers
 * `/api/v1/status` with its mode on the port it reports; headless refuses to start without a
 * token, naming the variable, and with one refuses every API call without it or with a wrong one,
 * and every call with a foreign Host or Origin on both ports, while `/healthz` answers. Group and
 * full mode, which need Kafka, are in tests/integration/gateway_modes_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewaySetting, processArgs, startedGateway } from "../_support/gateway_env.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../", import.meta.url).pathname;
const TASKS = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).tasks as Record<
  string,
  string
>;
const TOKEN = "headless-token-0123456789abcdefghij";

/** `deno task NAME --json` as the task runs it: its command line, from the checkout's root. */
function task(name: string, env: Record<string, string>): Deno.Command {
  const [launcher, ...args] = TASKS[name]!.split(" ");
  assert.equal(launcher, "scripts/kafclaw", `the ${name} task runs the launcher`);
  return kafclawCommand([...args, "--json"], env, { relative: true });
}

/** Starts task `name`; resolves with the child and the ports of its started line. */
const started = (name: string, env: Record<string, string>) => startedGateway(task(name, env));

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

for (const [name, mode] of [["run-standalone", "standalone"], ["run", "standalone"]] as const) {
  Deno.test(
    `deno task ${name} answers /api/v1/status as ${mode} with the home's token`,
    opts,
    async () => {
      await using s = await gatewaySetting();
      const gateway = await started(name, s.env);
      await using _ = gateway.child;
      const token = (await Deno.readTextFile(join(s.home, "gateway.token"))).trim();
      assert.equal((await Deno.stat(join(s.home, "gateway.token"))).mode! & 0o777, 0o600);
      assert.ok(!gateway.child.stdout.includes(token) && !gateway.child.stderr.includes(token));
      const status = await get(gateway.port, "/api/v1/status", {
        authorization: `Bearer ${token}`,
      });
      assert.equal(status.status, 200);
      assert.equal(status.body.mode, mode);
      assert.equal(status.body.agent_id, "local");
      assert.deepEqual(status.body.group, {
        enabled: false,
        name: "kafclaw",
        health: "local",
        members: 1,
        live: 1,
      });
      assert.equal((await get(gateway.port, "/api/v1/status")).status, 401);
      assert.equal(await gateway.child.stop(), 0, gateway.child.stderr);
    },
  );
}

Deno.test("deno task run-headless without a token exits 2 naming the variable, listening nowhere", async () => {
  await using s = await gatewaySetting();
  const r = new Child(task("run-headless", s.env));
  assert.equal(await r.exit(), 2);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("kafclaw:"));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /headless mode \(--mode headless\) requires gateway\.authToken: set KAFCLAW_GATEWAY_AUTH_TOKEN/,
  );
  assert.deepEqual(
    [...Deno.readDirSync(s.home)].map((e) => e.name).filter((n) => n.startsWith("gateway")),
    [],
    "no token generated, no gateway recorded",
  );
});

Deno.test("a non-loopback gateway.host is headless for every task, refused without a token", async () => {
  await using s = await gatewaySetting({ KAFCLAW_GATEWAY_HOST: "0.0.0.0" });
  const run = await kafclaw(["gateway"], s.env);
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /^kafclaw: Invalid config: headless mode \(gateway\.host 0\.0\.0\.0 is not a loopback address\) requires gateway\.authToken: set KAFCLAW_GATEWAY_AUTH_TOKEN/,
  );
  const standalone = await kafclaw(["gateway", "--mode", "standalone"], s.env);
  assert.equal(standalone.code, 2, standalone.stderr);
  assert.match(standalone.stderr, /a non-loopback address is headless mode/);
});

Deno.test(
  "deno task run-headless with a token refuses API calls without it, and a foreign Host on both ports",
  opts,
  async () => {
    // A host set is kept (a proxy in front); the tests bind loopback alone.
    const loopback = { KAFCLAW_GATEWAY_HOST: "127.0.0.1" };
    await using s = await gatewaySetting({ ...loopback, KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN });
    const gateway = await started("run-headless", s.env);
    await using _ = gateway.child;
    assert.deepEqual([gateway.line.mode, gateway.line.host], ["headless", "127.0.0.1"]);
    const good = { authorization: `Bearer ${TOKEN}` };
    for (
      const [port, path] of [[gateway.port, "/api/v1/status"], [gateway.dashboard, "/"]] as const
    ) {
      assert.deepEqual(await get(port, "/healthz"), { status: 200, body: { ok: true } });
      assert.deepEqual(await get(port, path, { ...good, origin: "http://evil.example" }), {
        status: 403,
        body: { error: { code: "origin_not_allowed", message: "Origin not allowed" } },
      });
      assert.equal((await get(port, path, good)).status, 200);
    }
    // The API needs the token; the dashboard's page holds no data and asks for it itself.
    const api = gateway.port;
    assert.deepEqual(await get(api, "/api/v1/status"), {
      status: 401,
      body: { error: { code: "token_required", message: "Token required" } },
    });
    assert.deepEqual(await get(api, "/api/v1/status", { authorization: `Bearer ${TOKEN}0` }), {
      status: 401,
      body: { error: { code: "wrong_token", message: "Wrong token" } },
    });
    const page = await get(gateway.dashboard, "/");
    assert.equal(page.status, 200);
    assert.ok(!String(page.body).includes(TOKEN));
    // A foreign Host, as a browser sends after DNS rebinding: fetch sets Host from the URL, so it
    // goes over a plain socket.
    for (const port of [gateway.port, gateway.dashboard]) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(
        `GET / HTTP/1.1\r\nHost: rebound.example:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
          "Connection: close\r\n\r\n",
      ));
      const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
      assert.match(reply, /^HTTP\/1\.1 403 /);
      assert.match(reply, /"code":"host_not_allowed"/);
    }
    const status = await get(gateway.port, "/api/v1/status", good);
    assert.equal(status.body.mode, "headless");
    // Headless forces the orchestrator on, though orchestrator.enabled is not set.
    assert.equal(s.env.KAFCLAW_ORCHESTRATOR_ENABLED, undefined);
    assert.deepEqual(
      { ...status.body.orchestrator, nodes: undefined },
      { enabled: true, active: true, role: "worker", nodes: undefined },
    );
    const shown = await kafclaw(["status"], s.env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^mode +headless$/m);
    assert.match(shown.stdout, /^orchestrator +active as worker, \d+ node\(s\) known$/m);
    // A shell without the token (it lives in the server's environment alone) is told that the
    // gateway runs and what it needs to ask it, not that none runs.
    const { KAFCLAW_GATEWAY_AUTH_TOKEN: _token, ...tokenless } = s.env;
    const unasked = await kafclaw(["status"], tokenless);
    assert.equal(unasked.code, 0, unasked.stderr);
    const pid = gateway.child.process.pid;
    assert.match(
      unasked.stdout,
      new RegExp(
        `^gateway +running \\(pid ${pid}\\) at http://127\\.0\\.0\\.1:${gateway.port}, not asked`,
        "m",
      ),
    );
    assert.match(
      unasked.stdout,
      /^problem +a gateway runs at .*, but this home has no token for it: set KAFCLAW_GATEWAY_AUTH_TOKEN to the token it runs with/m,
    );
    const unaskedJson = jsonOf(await kafclaw(["status", "--json"], tokenless));
    assert.deepEqual(unaskedJson.unasked, { pid, api: `http://127.0.0.1:${gateway.port}` });
    assert.ok(!gateway.child.stdout.includes(TOKEN) && !gateway.child.stderr.includes(TOKEN));
    assert.equal(await gateway.child.stop(), 0, gateway.child.stderr);
  },
);

Deno.test(
  "kafclaw status asks the running gateway, and says what config does when none runs",
  opts,
  async () => {
    await using s = await gatewaySetting();
    // A headless config runs the orchestrator, and status says so before it starts.
    const exposed = {
      ...s.env,
      KAFCLAW_GATEWAY_HOST: "0.0.0.0",
      KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN,
    };
    const headless = jsonOf(await kafclaw(["status", "--json"], exposed));
    assert.deepEqual([headless.mode, headless.orchestrator], ["headless", { enabled: true }]);
    const before = await kafclaw(["status", "--json"], s.env);
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(jsonOf(before), {
      running: false,
      version: jsonOf(await kafclaw(["version", "--json"], s.env)).version,
      mode: "standalone",
      agent_id: "local",
      group: { enabled: false, name: "kafclaw" },
      orchestrator: { enabled: false },
      agents: [],
    });
    const gateway = await started("run", s.env);
    await using _ = gateway.child;
    const running = await kafclaw(["status", "--json"], s.env);
    assert.equal(running.code, 0, running.stderr);
    const body = jsonOf(running);
    assert.equal(body.running, true);
    assert.equal(body.api, `http://127.0.0.1:${gateway.port}`);
    assert.equal(body.mode, "standalone");
    assert.equal(body.group.health, "local");
    assert.ok(Number.isInteger(body.uptime_seconds));
    const text = await kafclaw(["status"], s.env);
    assert.match(
      text.stdout,
      /^gateway +running \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+, up \d+ s$/m,
    );
    assert.match(text.stdout, /^mode +standalone$/m);
    assert.equal(await gateway.child.stop(), 0, gateway.child.stderr);
    const after = jsonOf(await kafclaw(["status", "--json"], s.env));
    assert.equal(after.running, false);
    assert.equal(after.problem, undefined, "the stopped gateway took its record away");
    // The token is kept: the next start uses the same one.
    const token = await Deno.readTextFile(join(s.home, "gateway.token"));
    const again = await started("run", s.env);
    await using __ = again.child;
    assert.equal(await Deno.readTextFile(join(s.home, "gateway.token")), token);
    assert.equal(
      (await get(again.port, "/api/v1/status", { authorization: `Bearer ${token.trim()}` })).status,
      200,
    );
    assert.equal(await again.child.stop(), 0, again.child.stderr);
  },
);

Deno.test(
  "kafclaw status after a gateway was killed says nothing answers where it listened",
  opts,
  async () => {
    await using s = await gatewaySetting();
    const gateway = await started("run", s.env);
    await using _ = gateway.child;
    await gateway.child.stop("SIGKILL");
    const after = jsonOf(await kafclaw(["status", "--json"], s.env));
    assert.equal(after.running, false);
    assert.match(after.problem, /^no gateway answers at http:\/\/127\.0\.0\.1:\d+ /);
  },
);

Deno.test(
  "a headless gateway keeps to KAFCLAW_HOME: a workspace or a Kafka CA file outside it is refused in one line",
  async () => {
    await using outside = await tempHome();
    const ca = join(outside.path, "ca.pem");
    await Deno.writeTextFile(ca, "-----BEGIN CERTIFICATE-----\n");
    await using s = await gatewaySetting({ KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN });
    const workspace = await kafclaw(["gateway", "--mode", "headless"], {
      ...s.env,
      KAFCLAW_PATHS_WORKSPACE: join(outside.path, "ws"),
    });
    assert.equal(workspace.code, 2, workspace.stderr);
    assert.equal(
      workspace.stderr,
      `kafclaw: Invalid config: headless mode (--mode headless) keeps its files in KAFCLAW_HOME ` +
        `(${s.home}), but paths.workspace is ${join(outside.path, "ws")}: move the workspace ` +
        "inside it, or unset paths.workspace\n",
    );
    const tls = {
      ...s.env,
      KAFCLAW_GROUP_ENABLED: "true",
      KAFCLAW_GROUP_AGENT_ID: "ann",
      KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9",
      KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SSL",
      KAFCLAW_GROUP_KAFKA_TLS_CA_FILE: ca,
    };
    const refused = await kafclaw(["gateway", "--mode", "headless"], tls);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(
      refused.stderr,
      `kafclaw: Cannot read group.kafkaTlsCaFile "${ca}": kafclaw may not read ${ca}: it keeps ` +
        "to KAFCLAW_HOME, the workspace and its own code (a headless gateway to KAFCLAW_HOME " +
        "alone)\n",
    );
    // Out of headless the same settings get past the file (and stop at the broker).
    const group = await kafclaw(["gateway", "--mode", "group"], tls);
    assert.doesNotMatch(group.stderr, /may not read/);
  },
);

Deno.test(
  "deno task run bound to 0.0.0.0 with a token is headless, under the narrowed set, on both ports",
  opts,
  async () => {
    await using s = await gatewaySetting({
      KAFCLAW_GATEWAY_HOST: "0.0.0.0",
      KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN,
    });
    const gateway = await started("run", s.env);
    await using _ = gateway.child;
    assert.deepEqual([gateway.line.mode, gateway.line.host], ["headless", "0.0.0.0"]);
    const args = await processArgs(gateway.child.process.pid);
    const net = args.filter((a) => a.startsWith("--allow-net"));
    assert.deepEqual(net, [`--allow-net=0.0.0.0:0,${new URL(s.llm.url).host}`]);
    for (const port of [gateway.port, gateway.dashboard]) {
      assert.equal((await get(port, "/healthz")).status, 200);
    }
    assert.equal((await get(gateway.port, "/api/v1/status")).status, 401);
    // The dashboard's page holds no data: it asks for the token and calls the API with it.
    assert.equal((await get(gateway.dashboard, "/")).status, 200);
    const status = await get(gateway.port, "/api/v1/status", { authorization: `Bearer ${TOKEN}` });
    assert.equal(status.body.mode, "headless");
    assert.equal(await gateway.child.stop(), 0, gateway.child.stderr);
    // deno task run-headless with no gateway.host set is the same server, on every interface.
    const { KAFCLAW_GATEWAY_HOST: _host, ...unset } = s.env;
    const server = await started("run-headless", unset);
    await using _server = server.child;
    assert.deepEqual([server.line.mode, server.line.host], ["headless", "0.0.0.0"]);
    const serverArgs = await processArgs(server.child.process.pid);
    assert.deepEqual(serverArgs.filter((a) => a.startsWith("--allow-net")), net);
    assert.equal((await get(server.port, "/healthz")).status, 200);
    assert.equal(await server.child.stop(), 0, server.child.stderr);
  },
);

Deno.test(
  "a headless gateway with the whole network (a compiled binary's set) warns that it is not narrowed",
  opts,
  async () => {
    await using s = await gatewaySetting({
      KAFCLAW_GATEWAY_HOST: "127.0.0.1",
      KAFCLAW_GATEWAY_AUTH_TOKEN: TOKEN,
    });
    const root = new URL("../../", import.meta.url).pathname;
    const whole = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-P=gateway", `${root}main.ts`, "gateway", "--mode", "headless"],
      env: s.env,
      stdout: "piped",
      stderr: "piped",
    });
    await using gateway = new Child(whole);
    await gateway.until(/gateway running/);
    assert.match(
      gateway.stderr,
      /^kafclaw: WARNING: this headless gateway may reach any host: only the launcher \(scripts\/kafclaw, deno task run-headless\) narrows its network/m,
    );
    assert.equal(await gateway.stop(), 0, gateway.stderr);
    // Under the launcher's flags it says nothing of the kind.
    const narrowed = await startedGateway(task("run-headless", s.env));
    await using _ = narrowed.child;
    assert.equal(await narrowed.child.stop(), 0, narrowed.child.stderr);
    assert.doesNotMatch(narrowed.child.stderr, /WARNING/);
  },
);
