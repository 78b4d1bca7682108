/**
 * The gateway's HTTP API under `/api/v1`: the kit (errors.ts: `{error: {code, message}}` through
 * one `onError`; routes.ts: zod-checked bodies and queries, the declarations the OpenAPI document
 * is made of; limits.ts: body size and per-client rate; cors.ts: the dashboard's origin only) and
 * one file per area of endpoints.
 *
 * @module
 */
export {
  ApiError,
  BadRequest,
  Conflict,
  type ErrorBody,
  errorBody,
  NotFound,
  onApiError,
  TooLarge,
  TooMany,
} from "./errors.ts";
export { type ApiLimits, DEFAULT_LIMITS, rateLimit, sizeLimit } from "./limits.ts";
export { dashboardCors } from "./cors.ts";
export { openApiDocument } from "./openapi.ts";
export { snakeKey, type Wire, wire } from "../../core/wire/mod.ts";
export {
  ApiRoutes,
  checked,
  PAGE_QUERY,
  param,
  readBody,
  type RouteSpec,
  standaloneRefusal,
} from "./routes.ts";
export { apiSetup, clientOf } from "./setup.ts";
export type { ApiParts } from "./parts.ts";
export { mountStatus, openApiRoute } from "./status.ts";
export { mountChat, SESSION_NAME } from "./chat.ts";
export { mountSessions } from "./sessions.ts";
export { apiOwner, mountApprovals } from "./approvals.ts";
export { mountDecisions } from "./policy.ts";
export { mountMemory } from "./memory.ts";
export { mountScheduler } from "./scheduler.ts";
export { mountSettings, notWritable } from "./settings.ts";
export { mountTasks } from "./tasks.ts";
export { mountGroup, NEW_TASK, queueTask } from "./group.ts";
export { mountOrchestrator } from "./orchestrator.ts";
export { mountKshark } from "./kshark.ts";
export { exposition, families, LAG_TIMEOUT_MS, mountMetrics } from "./metrics.ts";
export {
  eventJson,
  mountTimeline,
  type StreamOptions,
  type TimelineParts,
  type TimelineSource,
} from "./timeline.ts";
