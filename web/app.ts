/**
 * The two Hono apps of the front door: the API (`gateway.port`) and the dashboard
 * (`gateway.dashboardPort`). Both answer `/healthz` to anyone (liveness: it says nothing but
 * that the process serves) and put everything else behind the same guard (guard.ts). The API
 * has `/api/v1/status`; the dashboard is a placeholder page until the dashboard step.
 *
 * @module
 */
import { Hono } from "hono";
import { guard, type GuardOptions } from "./guard.ts";
import type { GatewayStatus } from "./status.ts";

/** What the apps serve, besides the guard's settings. */
export interface AppOptions extends GuardOptions {
  /** The body of `/api/v1/status`, computed at each call. */
  readonly status: () => GatewayStatus;
}

/** The app of the API port. */
export function apiApp(options: AppOptions): Hono {
  const app = guarded(options);
  app.get("/api/v1/status", (c) => c.json(options.status()));
  return app;
}

/** The app of the dashboard port: the placeholder page, behind the same guard as the API. */
export function dashboardApp(options: GuardOptions): Hono {
  const app = guarded(options);
  app.get("/", (c) => c.html(PLACEHOLDER));
  return app;
}

/** An app with `/healthz` open, the guard before every other route, and JSON errors. */
function guarded(options: GuardOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.use("*", guard(options));
  app.notFound((c) => c.json({ error: "not found" }, 404));
  // A handler's error stays in this process: the caller learns only that it failed.
  app.onError((_error, c) => c.json({ error: "internal error" }, 500));
  return app;
}

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>KafClaw</title></head>
<body><h1>KafClaw</h1><p>The gateway runs. The dashboard arrives in a later version;
the API answers on the gateway's API port (<code>/api/v1/status</code>).</p></body>
</html>
`;
