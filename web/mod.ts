/**
 * The gateway's front door (ARCHITECTURE.md, Modes): the HTTP API and the dashboard's port, Hono
 * on `Deno.serve`, started by `kafclaw gateway` in every mode. `/healthz` is open; everything
 * else needs the gateway's token (guard.ts) and a Host and Origin that name this server. The
 * token and where the gateway listens are kept in KAFCLAW_HOME (home/), which `kafclaw status`
 * reads without loading the API.
 *
 * @module
 */
export { apiApp, type AppOptions, dashboardApp } from "./app.ts";
export {
  type ApiLimits,
  apiOwner,
  type ApiParts,
  DEFAULT_LIMITS,
  eventJson,
  type StreamOptions,
  type TimelineSource,
} from "./api/mod.ts";
export { type DashboardOptions, LoginCodes, ReportViews } from "./dashboard/mod.ts";
export {
  guard,
  type GuardOptions,
  hostNames,
  originAllowed,
  originsOf,
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
} from "./home/mod.ts";
export { type FrontDoor, type FrontDoorOptions, ListenError, startFrontDoor } from "./serve.ts";
export {
  type AgentStatus,
  type ChannelState,
  type GatewayStatus,
  type GroupHealth,
  NO_ORCHESTRATOR,
  type OrchestratorState,
  statusOf,
  type StatusSource,
} from "./status.ts";
