/**
 * The gateway's front door (ARCHITECTURE.md, Modes): the HTTP API and the dashboard's port, Hono
 * on `Deno.serve`, started by `kafclaw gateway` in every mode. `/healthz` is open; everything
 * else needs the gateway's token (guard.ts) and a Host and Origin that name this server. The
 * token and where the gateway listens are kept in KAFCLAW_HOME (local.ts) for `kafclaw status`.
 *
 * @module
 */
export { apiApp, type AppOptions, dashboardApp } from "./app.ts";
export { eventJson, type StreamOptions, timelineApi, type TimelineSource } from "./api/timeline.ts";
export { dashboardCors, originsOf } from "./cors.ts";
export { type DashboardOptions, LoginCodes } from "./dashboard/mod.ts";
export {
  guard,
  type GuardOptions,
  hostNames,
  originAllowed,
  placeGuard,
  sameToken,
} from "./guard.ts";
export {
  localToken,
  readRunFile,
  readToken,
  removeRunFile,
  RUN_FILE,
  type RunFile,
  TOKEN_FILE,
  writeRunFile,
} from "./local.ts";
export { type FrontDoor, type FrontDoorOptions, ListenError, startFrontDoor } from "./serve.ts";
export {
  type GatewayStatus,
  type GroupHealth,
  NO_ORCHESTRATOR,
  type OrchestratorState,
  statusOf,
  type StatusSource,
} from "./status.ts";
