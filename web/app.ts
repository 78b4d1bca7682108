/**
 * The two Hono apps of the front door: the API (`gateway.port`) and the dashboard
 * (`gateway.dashboardPort`). Both answer `/healthz` to anyone (liveness: it says nothing but
 * that the process serves). The API puts everything else behind the same guard (guard.ts): it is
 * the kit of web/api (limits, CORS for the dashboard's origin, one `onError`, the routes with
 * their schemas and the OpenAPI document made of them) and one line per area of endpoints. The
 * dashboard serves its single-page app (web/dashboard), whose every call for data goes to the
 * API with the token.
 *
 * @module
 */
import { Hono } from "hono";
import { swarmAgents } from "../core/config/mod.ts";
import type { GuardOptions } from "./guard.ts";
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
  mountKshark,
  mountMemory,
  mountMetrics,
  mountOrchestrator,
  mountScheduler,
  mountSessions,
  mountSettings,
  mountStatus,
  mountTasks,
  mountTimeline,
  onApiError,
  openApiRoute,
  type StreamOptions,
  type TimelineSource,
} from "./api/mod.ts";
import { type DashboardOptions, dashboardRoutes, ReportViews } from "./dashboard/mod.ts";
import { ksharkReportsDir } from "../core/config/mod.ts";

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
  /**
   * The timeline's events, for `/api/v1/timeline` (default: the gateway's, from `parts`; with
   * neither, that path is not served).
   */
  readonly events?: TimelineSource | undefined;
  /** How `/api/v1/timeline/stream` behaves (tests make it quick; the server ends it at close). */
  readonly stream?: StreamOptions | undefined;
  /** The view codes of kshark reports, shared with the dashboard's app (default: its own). */
  readonly reportViews?: ReportViews | undefined;
}

/** The app of the API port. */
export function apiApp(options: AppOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  apiSetup(app, { ...options, limits: options.limits ?? DEFAULT_LIMITS });
  const routes = new ApiRoutes(app, {
    mode: options.parts?.gateway.mode,
    // The agents of agents.list that a standalone gateway runs are a group in its process.
    agents: options.parts === undefined ? 1 : swarmAgents(options.parts.config).length,
    warn: options.warn,
  });
  mountStatus(routes, options.status);
  const parts = options.parts;
  const events = options.events ?? parts?.gateway.runtime.timeline.events;
  if (events !== undefined) mountTimeline(routes, { events, stream: options.stream });
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
    mountKshark(routes, {
      dir: ksharkReportsDir(parts.config.home),
      views: options.reportViews ?? new ReportViews(),
    });
    mountMetrics(routes, parts);
  }
  openApiRoute(routes);
  return app;
}

/** The app of the dashboard port: the dashboard's page and scripts, Host- and Origin-checked. */
export function dashboardApp(options: DashboardOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route("/", dashboardRoutes(options));
  app.notFound((c) => c.json(errorBody("not_found", `No page ${c.req.path}`), 404));
  app.onError(onApiError());
  return app;
}
