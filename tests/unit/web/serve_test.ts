/**
 * The front door on real sockets: port 0 gives each server a free port of its own, the Host a
 * request carries on the wire is checked, and a port that is taken is one line naming it.
 */
import assert from "node:assert/strict";
import { ListenError, startFrontDoor } from "../../../web/mod.ts";
import type { GatewayStatus } from "../../../web/mod.ts";
import { Timeline } from "../../../core/timeline/mod.ts";
import { settles } from "../../_support/wait.ts";
import { postEndless } from "../../_support/endless_body.ts";

const TOKEN = "serve-test-token-0123456789abcdefghijkl";
const STATUS = { mode: "standalone" } as unknown as GatewayStatus;
const gatewayOn = (port: number, dashboardPort: number) =>
  ({
    gateway: { host: "127.0.0.1", port, dashboardPort },
  }) as Parameters<typeof startFrontDoor>[0];

/** One HTTP/1.1 GET with exactly these headers, as a client that sets any Host sends it. */
async function rawGet(port: number, path: string, headers: Record<string, string>) {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\nConnection: close\r\n\r\n`));
  let text = "";
  const buffer = new Uint8Array(4096);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return { status: Number(text.split(" ")[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

Deno.test("port 0 binds each server to a free port of its own, and both answer", async () => {
  await using door = await startFrontDoor(gatewayOn(0, 0), { token: TOKEN, status: () => STATUS });
  assert.ok(door.port > 0 && door.dashboardPort > 0 && door.port !== door.dashboardPort);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const status = await fetch(`http://127.0.0.1:${door.port}/api/v1/status`, { headers: auth });
  assert.deepEqual(await status.json(), STATUS);
  const page = await fetch(`http://localhost:${door.dashboardPort}/`, { headers: auth });
  assert.equal(page.status, 200);
  await page.body?.cancel();
  const health = await fetch(`http://127.0.0.1:${door.dashboardPort}/healthz`);
  assert.deepEqual(await health.json(), { ok: true });
});

Deno.test("a Host naming another server is refused on the wire, with the token", async () => {
  await using door = await startFrontDoor(gatewayOn(0, 0), { token: TOKEN, status: () => STATUS });
  for (const port of [door.port, door.dashboardPort]) {
    const path = port === door.port ? "/api/v1/status" : "/";
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const rebound = await rawGet(port, path, { Host: `attacker.example:${port}`, ...auth });
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).error.code, "host_not_allowed");
    const own = await rawGet(port, path, { Host: `127.0.0.1:${port}`, ...auth });
    assert.equal(own.status, 200);
  }
});

Deno.test("a port in use is one line naming the address and the server", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = taken.addr;
  const start = (api: number, dashboard: number) =>
    startFrontDoor(gatewayOn(api, dashboard), { token: TOKEN, status: () => STATUS });
  await assert.rejects(start(port, 0), (error: Error) => {
    assert.ok(error instanceof ListenError);
    assert.equal(
      error.message,
      `Cannot listen on 127.0.0.1:${port} for the API: the port is in use`,
    );
    return true;
  });
  await assert.rejects(start(0, port), {
    message: `Cannot listen on 127.0.0.1:${port} for the dashboard: the port is in use`,
  });
});

Deno.test("the API lets in the dashboard's own origin, on whatever port it got", async () => {
  await using door = await startFrontDoor(gatewayOn(0, 0), { token: TOKEN, status: () => STATUS });
  const api = `http://127.0.0.1:${door.port}/api/v1/status`;
  const dashboard = `http://localhost:${door.dashboardPort}`;
  const preflight = await fetch(api, {
    method: "OPTIONS",
    headers: { origin: dashboard, "access-control-request-method": "GET" },
  });
  await preflight.body?.cancel();
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), dashboard);
  const call = await fetch(api, {
    headers: { origin: dashboard, authorization: `Bearer ${TOKEN}` },
  });
  assert.deepEqual(await call.json(), STATUS);
  assert.equal(call.headers.get("access-control-allow-origin"), dashboard);
  const other = await fetch(api, {
    headers: { origin: `http://localhost:${door.port + 7}`, authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(other.status, 403);
  await other.body?.cancel();
});

Deno.test("a stopping front door ends its live streams instead of waiting for them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-serve-" });
  using timeline = Timeline.open(`${dir}/timeline.db`);
  const door = await startFrontDoor(gatewayOn(0, 0), {
    token: TOKEN,
    status: () => STATUS,
    events: timeline.events,
  });
  const response = await fetch(`http://127.0.0.1:${door.port}/api/v1/timeline/stream`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const reader = response.body!.getReader();
  await reader.read();
  const ended = (async () => {
    for (;;) if ((await reader.read()).done) return "ended";
  })();
  // Without the end of the streams, close waits out its whole time and the stream stays open.
  await door.close(10_000);
  assert.equal(await settles(ended, "the stream's end", 10_000), "ended");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a login-code body sent without end is cut at the limit, before the client stops", async () => {
  await using door = await startFrontDoor(gatewayOn(0, 0), {
    token: TOKEN,
    status: () => STATUS,
  });
  // Anyone who can reach the dashboard may post a login code: its body must be bounded too.
  const login = await postEndless(door.dashboardPort, "/login/code", {
    Host: `127.0.0.1:${door.dashboardPort}`,
  });
  assert.equal(login.status, 413, login.body);
  assert.equal(JSON.parse(login.body).error.code, "too_large");
  assert.ok(login.sent < 32 * 1024 * 1024, `the dashboard read ${login.sent} bytes first`);
});
