/**
 * The API's kit through `app.request()`: every error is `{error: {code, message}}`, bodies and
 * queries are checked by their zod schemas (400 naming the field), an oversize body is a 413, a
 * client over its rate gets a 429 with Retry-After, CORS answers the dashboard's origin only, a
 * group route is a 409 in standalone mode, and the OpenAPI document is made of the same schemas.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { z } from "zod";
import {
  type ApiLimits,
  ApiRoutes,
  apiSetup,
  DEFAULT_LIMITS,
  NotFound,
  openApiRoute,
} from "../../../../web/api/mod.ts";
import { apiApp, hostNames, originsOf } from "../../../../web/mod.ts";
import type { Mode } from "../../../../core/config/mod.ts";

const TOKEN = "kit-test-token-0123456789abcdefghijklmn";
const HOST = "127.0.0.1:18790";
const DASHBOARD = "http://127.0.0.1:18791";
const AUTH = { host: HOST, authorization: `Bearer ${TOKEN}` };

function kitApp(
  options: { limits?: ApiLimits; mode?: Mode; agents?: number; warn?: (line: string) => void } = {},
) {
  const app = new Hono();
  apiSetup(app, {
    token: TOKEN,
    hosts: hostNames("127.0.0.1", 18790),
    origins: originsOf(hostNames("127.0.0.1", 18791)),
    limits: options.limits ?? DEFAULT_LIMITS,
    warn: options.warn,
  });
  const routes = new ApiRoutes(app, { mode: options.mode ?? "group", agents: options.agents });
  routes.add({
    method: "post",
    path: "/api/v1/things/:name",
    summary: "Makes a thing",
    tag: "test",
    body: z.object({ size: z.number().int().min(1), label: z.string().optional() }),
    query: z.object({ dry: z.enum(["yes", "no"]).default("no") }),
  }, (c, { body, query }) => c.json({ name: c.req.param("name"), ...body, dry: query.dry }));
  routes.add(
    { method: "get", path: "/api/v1/gone", summary: "Throws", tag: "test" },
    () => {
      throw new NotFound("No thing gone-1");
    },
  );
  routes.add({ method: "get", path: "/api/v1/broken", summary: "Fails", tag: "test" }, () => {
    throw new Error(`disk at /secret/path failed with ${TOKEN}`);
  });
  routes.add(
    { method: "get", path: "/api/v1/members", summary: "Group", tag: "group", group: true },
    (c) => c.json([]),
  );
  openApiRoute(routes);
  return app;
}

const post = (app: Hono, body: string, headers: Record<string, string> = {}, query = "") =>
  app.request(`http://${HOST}/api/v1/things/box${query}`, {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json", ...headers },
    body,
  });

Deno.test("a valid body and query reach the handler, checked and defaulted", async () => {
  const response = await post(kitApp(), JSON.stringify({ size: 3 }));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { name: "box", size: 3, dry: "no" });
});

Deno.test("a bad body or query is a 400 naming the field", async () => {
  const app = kitApp();
  for (
    const [body, query, field] of [
      [JSON.stringify({ size: 0 }), "", 'body field "size"'],
      [JSON.stringify({ size: 2, label: 5 }), "", 'body field "label"'],
      [JSON.stringify({}), "", 'body field "size"'],
      ["[1]", "", "body"],
      ["", "", "body"],
      ["{not json", "", "body: it is not JSON"],
      [JSON.stringify({ size: 1 }), "?dry=maybe", 'query parameter "dry"'],
    ] as const
  ) {
    const response = await post(app, body, {}, query);
    assert.equal(response.status, 400, body);
    const { error } = await response.json();
    assert.equal(error.code, "bad_request");
    assert.ok(error.message.startsWith(`Invalid ${field}`), error.message);
  }
});

Deno.test("a body over the limit is a 413, by its length or by what arrives", async () => {
  const app = kitApp({ limits: { ...DEFAULT_LIMITS, bodyBytes: 64 } });
  const big = JSON.stringify({ size: 1, label: "x".repeat(100) });
  const response = await post(app, big);
  assert.equal(response.status, 413);
  assert.equal((await response.json()).error.code, "too_large");
  const streamed = await app.request(`http://${HOST}/api/v1/things/box`, {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: new Blob([big]).stream(),
  });
  assert.equal(streamed.status, 413);
  assert.equal((await post(app, JSON.stringify({ size: 1 }))).status, 200);
});

Deno.test("a client over its rate gets 429 with Retry-After; another client does not", async () => {
  const app = kitApp({ limits: { ...DEFAULT_LIMITS, burst: 3, perSecond: 0.5 } });
  const get = (hostname: string) =>
    app.request(`http://${HOST}/api/v1/gone`, { headers: AUTH }, { remoteAddr: { hostname } });
  for (let i = 0; i < 3; i++) assert.equal((await get("10.0.0.1")).status, 404);
  const refused = await get("10.0.0.1");
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "2");
  assert.equal((await refused.json()).error.code, "rate_limited");
  assert.equal((await get("10.0.0.2")).status, 404);
});

Deno.test("an IPv6 client's /64 shares one rate; another /64 has its own", async () => {
  const app = kitApp({ limits: { ...DEFAULT_LIMITS, burst: 3, perSecond: 0.5 } });
  const get = (hostname: string) =>
    app.request(`http://${HOST}/api/v1/gone`, { headers: AUTH }, { remoteAddr: { hostname } });
  // A new address of the same /64 for every request gets no new budget.
  for (const n of [1, 2, 3]) assert.equal((await get(`2001:db8:aa:bb::${n}`)).status, 404);
  assert.equal((await get("2001:db8:aa:bb:1234:5678:9abc:def0")).status, 429);
  assert.equal((await get("2001:db8:aa:bc::1")).status, 404);
  // An IPv4-mapped address is its IPv4 client.
  for (let i = 0; i < 3; i++) assert.equal((await get("192.0.2.1")).status, 404);
  assert.equal((await get("::ffff:192.0.2.1")).status, 429);
});

Deno.test("a request without the token counts against the rate too", async () => {
  const app = kitApp({ limits: { ...DEFAULT_LIMITS, burst: 2, perSecond: 0.1 } });
  const guess = () =>
    app.request(`http://${HOST}/api/v1/gone`, {
      headers: { host: HOST, authorization: "Bearer guess-0123456789" },
    });
  assert.equal((await guess()).status, 401);
  assert.equal((await guess()).status, 401);
  assert.equal((await guess()).status, 429);
});

Deno.test("CORS answers the dashboard's origin only", async () => {
  const app = kitApp();
  const preflight = (origin: string) =>
    app.request(`http://${HOST}/api/v1/things/box`, {
      method: "OPTIONS",
      headers: { host: HOST, origin, "access-control-request-method": "POST" },
    });
  const own = await preflight(DASHBOARD);
  assert.equal(own.status, 204);
  assert.equal(own.headers.get("access-control-allow-origin"), DASHBOARD);
  assert.match(own.headers.get("access-control-allow-headers") ?? "", /Authorization/);
  const foreign = await preflight("http://evil.example:18791");
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  assert.equal((await foreign.json()).error.code, "origin_not_allowed");
  const call = await post(kitApp(), JSON.stringify({ size: 1 }), { origin: DASHBOARD });
  assert.equal(call.status, 200);
  assert.equal(call.headers.get("access-control-allow-origin"), DASHBOARD);
  // The dashboard's origin still needs the token.
  const bare = await app.request(`http://${HOST}/api/v1/gone`, {
    headers: { host: HOST, origin: DASHBOARD },
  });
  assert.equal(bare.status, 401);
});

Deno.test("errors are {error: {code, message}}; a failure says nothing of its cause", async () => {
  const lines: string[] = [];
  const app = kitApp({ warn: (line) => lines.push(line) });
  const gone = await app.request(`http://${HOST}/api/v1/gone`, { headers: AUTH });
  assert.deepEqual(await gone.json(), { error: { code: "not_found", message: "No thing gone-1" } });
  const broken = await app.request(`http://${HOST}/api/v1/broken`, { headers: AUTH });
  assert.equal(broken.status, 500);
  const text = await broken.text();
  assert.deepEqual(JSON.parse(text), { error: { code: "internal", message: "Internal error" } });
  assert.ok(!text.includes("secret") && !text.includes("at "));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /GET \/api\/v1\/broken failed/);
  const none = await app.request(`http://${HOST}/api/v1/nothing`, { headers: AUTH });
  assert.equal(none.status, 404);
  assert.equal((await none.json()).error.message, "No endpoint GET /api/v1/nothing");
});

Deno.test("a group route is a 409 in standalone mode, saying how to get a group", async () => {
  const standalone = await kitApp({ mode: "standalone" }).request(
    `http://${HOST}/api/v1/members`,
    { headers: AUTH },
  );
  assert.equal(standalone.status, 409);
  const { error } = await standalone.json();
  assert.equal(error.code, "standalone");
  assert.match(error.message, /standalone mode.*--mode group/);
  const grouped = await kitApp().request(`http://${HOST}/api/v1/members`, { headers: AUTH });
  assert.equal(grouped.status, 200);
});

Deno.test("a group route answers in standalone mode when the gateway runs several agents", async () => {
  const members = (agents: number) =>
    kitApp({ mode: "standalone", agents }).request(`http://${HOST}/api/v1/members`, {
      headers: AUTH,
    });
  assert.equal((await members(2)).status, 200);
  assert.equal((await members(1)).status, 409);
});

Deno.test("the OpenAPI document is made of the routes' own schemas", async () => {
  const response = await kitApp().request(`http://${HOST}/api/v1/openapi.json`, { headers: AUTH });
  const doc = await response.json();
  assert.equal(doc.openapi, "3.1.0");
  const op = doc.paths["/api/v1/things/{name}"].post;
  assert.deepEqual(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), [
    "path:name",
    "query:dry",
  ]);
  const body = op.requestBody.content["application/json"].schema;
  assert.deepEqual(body.required, ["size"]);
  assert.equal(body.properties.size.minimum, 1);
  assert.equal(
    doc.paths["/api/v1/members"].get.responses["409"].$ref,
    "#/components/responses/Error",
  );
  assert.ok(doc.paths["/api/v1/openapi.json"]);
});

Deno.test("the gateway's API without its parts serves status, auth verify and the document", async () => {
  const status = { mode: "standalone" } as unknown as Parameters<typeof apiApp>[0] extends
    { status: () => infer S } ? S : never;
  const app = apiApp({ token: TOKEN, hosts: hostNames("127.0.0.1", 18790), status: () => status });
  const verify = await app.request(`http://${HOST}/api/v1/auth/verify`, { headers: AUTH });
  assert.deepEqual(await verify.json(), { valid: true });
  const wrong = await app.request(`http://${HOST}/api/v1/auth/verify`, {
    headers: { host: HOST, authorization: `Bearer ${TOKEN}x` },
  });
  assert.equal(wrong.status, 401);
  const doc = await (await app.request(`http://${HOST}/api/v1/openapi.json`, { headers: AUTH }))
    .json();
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    "/api/v1/auth/verify",
    "/api/v1/openapi.json",
    "/api/v1/status",
  ]);
});
