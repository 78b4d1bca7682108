/**
 * The dashboard's side of the front door: the API answers CORS for the dashboard's origin alone
 * (a preflight without the token, the origin named on every answer, any other origin refused),
 * the page names the API's port and allows no script or connection elsewhere, a login code is
 * traded for the token once and only on the dashboard's own origin, and the served bundle is the
 * one built from the current sources.
 */
import assert from "node:assert/strict";
import { apiApp, dashboardApp, LoginCodes, originsOf } from "../../../web/mod.ts";
import { hostNames } from "../../../web/mod.ts";
import type { GatewayStatus } from "../../../web/mod.ts";
import { builtDigest, sourcesDigest } from "../../../scripts/dashboard.ts";

const TOKEN = "dashboard-test-token-0123456789abcdefgh";
const API = "127.0.0.1:18790";
const DASH = "127.0.0.1:18791";
const STATUS = { mode: "standalone" } as unknown as GatewayStatus;
const dashboardHosts = hostNames("127.0.0.1", 18791);
const api = apiApp({
  token: TOKEN,
  hosts: hostNames("127.0.0.1", 18790),
  origins: originsOf(dashboardHosts),
  status: () => STATUS,
});

Deno.test("a preflight from the dashboard's origin is answered without the token; others are not", async () => {
  const preflight = (origin: string, host = API) =>
    api.request(`http://${API}/api/v1/status`, {
      method: "OPTIONS",
      headers: {
        host,
        origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
  for (const origin of ["http://127.0.0.1:18791", "http://localhost:18791", "http://[::1]:18791"]) {
    const ok = await preflight(origin);
    assert.equal(ok.status, 204, origin);
    assert.equal(ok.headers.get("access-control-allow-origin"), origin);
    assert.match(ok.headers.get("access-control-allow-headers") ?? "", /authorization/i);
  }
  for (const origin of ["http://evil.example:18791", "http://127.0.0.1:18792", "null"]) {
    const refused = await preflight(origin);
    assert.equal(refused.status, 403, origin);
    assert.equal(refused.headers.get("access-control-allow-origin"), null, origin);
  }
  assert.equal((await preflight("http://127.0.0.1:18791", "evil.example:18790")).status, 403);
});

Deno.test("the dashboard's origin reads the API with the token, and reads its refusals too", async () => {
  const origin = `http://${DASH}`;
  const ok = await api.request(`http://${API}/api/v1/status`, {
    headers: { host: API, origin, authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), origin);
  assert.deepEqual(await ok.json(), STATUS);
  const wrong = await api.request(`http://${API}/api/v1/status`, {
    headers: { host: API, origin, authorization: `Bearer ${TOKEN}x` },
  });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("access-control-allow-origin"), origin);
  const foreign = await api.request(`http://${API}/api/v1/status`, {
    headers: { host: API, origin: "http://evil.example", authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);
});

Deno.test("the page names the API's port and its policy allows nothing from elsewhere", async () => {
  const app = dashboardApp({ token: TOKEN, hosts: dashboardHosts, apiPort: 18790 });
  const page = await app.request(`http://${DASH}/`, { headers: { host: DASH } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<meta name="kafclaw-api-port" content="18790">/);
  const policy = page.headers.get("content-security-policy") ?? "";
  assert.match(policy, /script-src 'self';/);
  assert.match(policy, /default-src 'none'/);
  const connect = /connect-src ([^;]*)/.exec(policy)![1]!.split(" ").sort();
  assert.deepEqual(connect, [
    "'self'",
    "http://127.0.0.1:18790",
    "http://[::1]:18790",
    "http://localhost:18790",
  ]);
  const script = await app.request(`http://${DASH}/app.js`, { headers: { host: DASH } });
  assert.match(script.headers.get("content-type") ?? "", /^text\/javascript/);
  // Preact names the SVG and MathML namespaces by their URIs; nothing else names a place.
  const places = (await script.text()).match(/https?:\/\/[^"'\\\s)]+/g) ?? [];
  assert.deepEqual(places.filter((url) => !url.startsWith("http://www.w3.org/")), []);
});

Deno.test("a login code is traded for the token once, in its lifetime, on the dashboard's origin", async () => {
  let now = 1_000_000;
  const codes = new LoginCodes({ ttlMs: 60_000, now: () => now });
  const app = dashboardApp({ token: TOKEN, hosts: dashboardHosts, apiPort: 18790, codes });
  const trade = (code: unknown, origin = `http://${DASH}`) =>
    app.request(`http://${DASH}/login/code`, {
      method: "POST",
      headers: { host: DASH, origin, "content-type": "application/json" },
      body: JSON.stringify({ code }),
    });
  const code = codes.issue();
  assert.equal((await trade(code, "http://evil.example")).status, 403);
  const first = await trade(code);
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { token: TOKEN });
  const again = await trade(code);
  assert.equal(again.status, 401);
  assert.equal((await again.json()).error.code, "bad_code");
  const late = codes.issue();
  now += 60_001;
  assert.equal((await trade(late)).status, 401);
  assert.equal((await trade(`${codes.issue()}x`)).status, 401);
  assert.equal((await trade(42)).status, 400);
  assert.equal((await trade("x".repeat(2000))).status, 413);
  const withoutCodes = dashboardApp({ token: TOKEN, hosts: dashboardHosts, apiPort: 18790 });
  const refused = await withoutCodes.request(`http://${DASH}/login/code`, {
    method: "POST",
    headers: { host: DASH },
    body: JSON.stringify({ code }),
  });
  assert.equal(refused.status, 401);
});

Deno.test("the served bundle is built from the current sources (`deno task dashboard`)", async () => {
  assert.equal(await builtDigest(), await sourcesDigest());
});
