/**
 * The API's middleware, in the order a request meets it: the per-client rate limit, CORS for the
 * dashboard's origin, the front door's guard (Host, Origin, token), the body size limit; then the
 * routes, and the one `onError` and not-found answer, all as `{error: {code, message}}`.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { clientKey } from "./client_key.ts";
import { guard, type GuardOptions } from "../guard.ts";
import { dashboardCors } from "./cors.ts";
import { errorBody, onApiError } from "./errors.ts";
import { type ApiLimits, rateLimit, sizeLimit } from "./limits.ts";

/** What {@link apiSetup} needs. */
export interface SetupOptions extends GuardOptions {
  readonly limits: ApiLimits;
  readonly warn?: ((line: string) => void) | undefined;
}

/**
 * The client a request comes from, as the rate limit counts it: its address as the server put it
 * in the app's env (`{remoteAddr}`, serve.ts), an IPv6 one by its /64 (client_key.ts); requests
 * made without a socket (`app.request`) share one.
 */
export function clientOf(c: Context): string {
  const addr = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return clientKey(addr?.hostname ?? "local");
}

/** Puts the API's middleware and error answers on `app`. */
export function apiSetup(app: Hono, options: SetupOptions): void {
  app.use("*", rateLimit(options.limits, { client: clientOf }));
  app.use("*", dashboardCors(options.origins ?? new Set(), options.hosts));
  app.use("*", guard(options));
  app.use("*", sizeLimit(options.limits.bodyBytes));
  app.notFound((c) =>
    c.json(errorBody("not_found", `No endpoint ${c.req.method} ${c.req.path}`), 404)
  );
  app.onError(onApiError(options.warn));
}
