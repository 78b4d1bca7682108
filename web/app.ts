/**
 * The two Hono apps of the front door: the API (`gateway.port`) and the dashboard
 * (`gateway.dashboardPort`). Both answer `/healthz` to anyone (liveness: it says nothing but
 * that the process serves) and put everything else behind the same guard (guard.ts). The API
 * is the kit of web/api (limits, CORS for the dashboard's origin, one `onError`, the routes with
 * their schemas and the OpenAPI document made of them) and one line per area of endpoints; the
 * dashboard is a placeholder page until the dashboard step.
 *
 * @module
 */
import { Hono } from "hono";
import { guard, type GuardOptions } from "./guard.ts";
import type { GatewayStatus } from "./status.ts";
import {
  type ApiLimits,
  type ApiParts,
  ApiRoutes,
  apiSetup,
  DEFAULT_LIMITS,
  errorBody,
  mountApprovals,
  mountChat,
  mountDecisions,
  mountGroup,
  mountMemory,
  mountMetrics,
  mountOrchestrator,
  mountScheduler,
  mountSessions,
  mountSettings,
  mountStatus,
  mountTasks,
  onApiError,
  openApiRoute,
} from "./api/mod.ts";

/** What the apps serve, besides the guard's settings. */
export interface AppOptions extends GuardOptions {
  /** The body of `/api/v1/status`, computed at each call. */
  readonly status: () => GatewayStatus;
  /** The running gateway behind the API's endpoints; without it only status and auth answer. */
  readonly parts?: ApiParts | undefined;
  /** The API's limits (default {@link DEFAULT_LIMITS}). */
  readonly limits?: ApiLimits | undefined;
  /** Where a handler's failure is told (the gateway's stderr); the client never sees it. */
  readonly warn?: ((line: string) => void) | undefined;
}

/** The app of the API port. */
export function apiApp(options: AppOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  apiSetup(app, { ...options, limits: options.limits ?? DEFAULT_LIMITS });
  const routes = new ApiRoutes(app, { mode: options.parts?.gateway.mode, warn: options.warn });
  mountStatus(routes, options.status);
  const parts = options.parts;
  if (parts !== undefined) {
    mountChat(routes, parts);
    mountSessions(routes, parts);
    mountApprovals(routes, parts);
    mountDecisions(routes, parts);
    mountMemory(routes, parts);
    mountScheduler(routes, parts);
    mountSettings(routes, parts);
    mountTasks(routes, parts);
    mountGroup(routes, parts);
    mountOrchestrator(routes, parts);
    mountMetrics(routes, parts);
  }
  openApiRoute(routes);
  return app;
}

/** The app of the dashboard port: the placeholder page, behind the same guard as the API. */
export function dashboardApp(options: GuardOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.use("*", guard(options));
  app.notFound((c) => c.json(errorBody("not_found", "Not found"), 404));
  app.onError(onApiError());
  app.get("/", (c) => c.html(PLACEHOLDER));
  return app;
}

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>KafClaw</title></head>
<body><h1>KafClaw</h1><p>The gateway runs. The dashboard arrives in a later version;
the API answers on the gateway's API port (<code>/api/v1/status</code>).</p></body>
</html>
`;
