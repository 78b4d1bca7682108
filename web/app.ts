/**
 * The two Hono apps of the front door: the API (`gateway.port`) and the dashboard
 * (`gateway.dashboardPort`). Both answer `/healthz` to anyone (liveness: it says nothing but
 * that the process serves). The API puts everything else behind the guard (guard.ts), after the
 * CORS answers for the dashboard's origin (cors.ts); it has `/api/v1/status` and
 * `/api/v1/timeline`. The dashboard serves its single-page app (web/dashboard), whose every
 * call for data goes to the API with the token.
 *
 * @module
 */
import { Hono } from "hono";
import { dashboardCors } from "./cors.ts";
import { guard, type GuardOptions } from "./guard.ts";
import type { GatewayStatus } from "./status.ts";
import { type StreamOptions, timelineApi, type TimelineSource } from "./api/timeline.ts";
import { type DashboardOptions, dashboardRoutes } from "./dashboard/mod.ts";

/** What the apps serve, besides the guard's settings. */
export interface AppOptions extends GuardOptions {
  /** The body of `/api/v1/status`, computed at each call. */
  readonly status: () => GatewayStatus;
  /** The timeline's events, for `/api/v1/timeline` (absent: that path is not served). */
  readonly events?: TimelineSource;
  /** How `/api/v1/timeline/stream` polls (tests make it quick). */
  readonly stream?: StreamOptions;
}

/** The app of the API port. */
export function apiApp(options: AppOptions): Hono {
  const app = guarded(options);
  app.get("/api/v1/status", (c) => c.json(options.status()));
  if (options.events) app.route("/api/v1/timeline", timelineApi(options.events, options.stream));
  return app;
}

/** The app of the dashboard port: the dashboard's page and scripts, Host-checked. */
export function dashboardApp(options: DashboardOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route("/", dashboardRoutes(options));
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((_error, c) => c.json({ error: "internal error" }, 500));
  return app;
}

/** An app with `/healthz` open, the guard before every other route, and JSON errors. */
function guarded(options: GuardOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  if (options.origins) {
    app.use("*", dashboardCors({ hosts: options.hosts, origins: options.origins }));
  }
  app.use("*", guard(options));
  app.notFound((c) => c.json({ error: "not found" }, 404));
  // A handler's error stays in this process: the caller learns only that it failed.
  app.onError((_error, c) => c.json({ error: "internal error" }, 500));
  return app;
}
