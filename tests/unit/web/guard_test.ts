/**
 * The front door's checks through the Hono apps, without a socket (`app.request`): `/healthz`
 * is open; on both ports everything else needs a Host naming this server and no foreign Origin,
 * and on the API the token too (the dashboard's page and scripts hold no data and need none);
 * refusals are short JSON errors that never echo the token.
 */
import assert from "node:assert/strict";
import { apiApp, dashboardApp, hostNames, originAllowed, sameToken } from "../../../web/mod.ts";
import type { GatewayStatus } from "../../../web/mod.ts";

const TOKEN = "t0ken-of-the-gateway-0123456789abcdef";
const HOST = "127.0.0.1:18790";
const STATUS = { mode: "standalone", agent_id: "local" } as unknown as GatewayStatus;
const options = { token: TOKEN, hosts: hostNames("127.0.0.1", 18790), status: () => STATUS };
const apps = { api: apiApp(options), dashboard: dashboardApp({ ...options, apiPort: 18789 }) };
const PATHS = { api: "/api/v1/status", dashboard: "/" };

function call(app: keyof typeof apps, headers: Record<string, string>, path = PATHS[app]) {
  return apps[app].request(`http://${HOST}${path}`, { headers });
}

Deno.test("a loopback server answers to its address and the loopback names with its port only", () => {
  assert.deepEqual(
    [...hostNames("127.0.0.1", 8080)].sort(),
    ["127.0.0.1:8080", "[::1]:8080", "localhost:8080"],
  );
  assert.deepEqual([...hostNames("192.168.1.5", 80)], ["192.168.1.5:80"]);
  assert.deepEqual(
    [...hostNames("0.0.0.0", 9, { names: ["Box", "10.0.0.2", "fe80::1"] })].sort(),
    ["10.0.0.2:9", "127.0.0.1:9", "[::1]:9", "[fe80::1]:9", "box:9", "localhost:9"],
  );
});

Deno.test("tokens match only when equal, whatever their lengths", () => {
  assert.equal(sameToken(TOKEN, TOKEN), true);
  assert.equal(sameToken(TOKEN.slice(0, -1), TOKEN), false);
  assert.equal(sameToken(`${TOKEN}x`, TOKEN), false);
  assert.equal(sameToken("", TOKEN), false);
});

Deno.test("an Origin is allowed when absent or this server's own", () => {
  assert.equal(originAllowed(undefined, HOST), true);
  assert.equal(originAllowed(`http://${HOST}`, HOST), true);
  assert.equal(originAllowed("http://evil.example:18790", HOST), false);
  assert.equal(originAllowed("http://127.0.0.1:18791", HOST), false);
  assert.equal(originAllowed("null", HOST), false);
  assert.equal(originAllowed(`file://${HOST}`, HOST), false);
});

for (const app of ["api", "dashboard"] as const) {
  Deno.test(`the ${app} port answers /healthz to anyone, from any Host`, async () => {
    for (const host of [HOST, "evil.example"]) {
      const response = await call(app, { host }, "/healthz");
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true });
    }
  });

  Deno.test(`the ${app} port refuses a foreign Host or Origin even with the token`, async () => {
    const authorization = `Bearer ${TOKEN}`;
    for (
      const [headers, error] of [
        [{ host: "evil.example:18790" }, "host_not_allowed"],
        [{ host: "127.0.0.1:18791" }, "host_not_allowed"],
        [{ host: "" }, "host_not_allowed"],
        [{ host: HOST, origin: "http://evil.example" }, "origin_not_allowed"],
      ] as const
    ) {
      const response = await call(app, { authorization, ...headers });
      assert.equal(response.status, 403, JSON.stringify(headers));
      assert.equal((await response.json()).error.code, error);
    }
  });
}

Deno.test("the API port refuses a call without the token, or with a wrong one", async () => {
  for (
    const [authorization, error] of [
      [undefined, "token_required"],
      [`Basic ${btoa(`x:${TOKEN}`)}`, "token_required"],
      [`Bearer ${TOKEN}x`, "wrong_token"],
      ["Bearer ", "token_required"],
    ] as const
  ) {
    const response = await call("api", {
      host: HOST,
      ...(authorization === undefined ? {} : { authorization }),
    });
    assert.equal(response.status, 401, authorization);
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="kafclaw"');
    const text = await response.text();
    assert.equal(JSON.parse(text).error.code, error);
    assert.ok(!text.includes(TOKEN.slice(4)));
  }
});

Deno.test("the dashboard's page and scripts need no token, and never carry it", async () => {
  for (const path of ["/", "/app.js", "/app.css"]) {
    const response = await call("dashboard", { host: HOST }, path);
    assert.equal(response.status, 200, path);
    assert.ok(!(await response.text()).includes(TOKEN), path);
  }
});

Deno.test("with the token, a right Host and no foreign Origin, both ports serve", async () => {
  const authorization = `Bearer ${TOKEN}`;
  const status = await call("api", { host: "localhost:18790", authorization });
  assert.equal(status.status, 200);
  assert.deepEqual(await status.json(), STATUS);
  const page = await call("dashboard", { host: HOST, authorization, origin: `http://${HOST}` });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>KafClaw<\/title>/);
  const missing = await call("api", { host: HOST, authorization }, "/api/v1/nothing");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
});

Deno.test("a failing handler answers 500 with no detail", async () => {
  const app = apiApp({
    ...options,
    status: () => {
      throw new Error(`secret ${TOKEN}`);
    },
  });
  const response = await app.request(`http://${HOST}/api/v1/status`, {
    headers: { host: HOST, authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), {
    error: { code: "internal", message: "Internal error" },
  });
});
