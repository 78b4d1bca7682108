/**
 * CORS for the dashboard's own origin only: the dashboard is served on `gateway.dashboardPort`,
 * so its pages call the API from another origin. A request whose Origin is one of `origins` gets
 * the CORS headers (and a preflight its 204, without a token: a browser sends none there); any
 * other Origin gets none, and the guard refuses it.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

const METHODS = "GET, POST, PUT, PATCH, DELETE";
const HEADERS = "Authorization, Content-Type, Last-Event-ID";

/** The CORS middleware for `origins`, on a server named by `hosts` (the guard's Host check). */
export function dashboardCors(
  origins: ReadonlySet<string>,
  hosts: ReadonlySet<string>,
): MiddlewareHandler {
  return async function dashboardOnlyCors(c, next) {
    const origin = c.req.header("origin")?.toLowerCase().replace(/\/$/, "");
    const own = origin !== undefined && origins.has(origin) &&
      hosts.has((c.req.header("host") ?? "").toLowerCase());
    if (!own) return await next();
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      c.header("Access-Control-Allow-Methods", METHODS);
      c.header("Access-Control-Allow-Headers", HEADERS);
      c.header("Access-Control-Max-Age", "600");
      return c.body(null, 204);
    }
    await next();
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
  };
}
