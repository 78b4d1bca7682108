/**
 * CORS on the API port for the dashboard's origin alone: the dashboard is served on
 * `gateway.dashboardPort`, another origin than the API's, and its page calls the API with the
 * token in the Authorization header. A preflight (`OPTIONS` with `Access-Control-Request-Method`)
 * from an allowed origin, to a Host naming this server, is answered here, before the token check
 * (a browser sends no credentials with it); every answer to an allowed origin names that origin.
 * Any other origin gets no CORS header, and the guard refuses it (403).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The origins of pages served on `hosts` (a server's Host names) over plain HTTP. */
export function originsOf(hosts: Iterable<string>): Set<string> {
  return new Set([...hosts].map((host) => `http://${host}`));
}

const METHODS = "GET, POST, PUT, PATCH, DELETE";
const HEADERS = "authorization, content-type, last-event-id";

/** The CORS middleware of the API: see the module doc. */
export function dashboardCors(options: {
  readonly hosts: ReadonlySet<string>;
  readonly origins: ReadonlySet<string>;
}): MiddlewareHandler {
  return async function cors(c, next) {
    const origin = c.req.header("origin");
    if (origin === undefined || !options.origins.has(origin)) return await next();
    const host = (c.req.header("host") ?? "").toLowerCase();
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      if (!options.hosts.has(host)) return c.json({ error: "host not allowed" }, 403);
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": origin,
          "access-control-allow-methods": METHODS,
          "access-control-allow-headers": HEADERS,
          "access-control-max-age": "600",
          "vary": "Origin",
        },
      });
    }
    await next();
    c.res.headers.set("access-control-allow-origin", origin);
    c.res.headers.append("vary", "Origin");
  };
}
