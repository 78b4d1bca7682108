/**
 * The front door's checks, done before any route but `/healthz`: the Host header must name this
 * server (a loopback server is reachable from a browser through DNS rebinding, where the page's
 * own name is sent), an Origin, when a browser sends one, must be this server's, and the request
 * must carry the gateway's token as `Authorization: Bearer <token>`, compared in constant time.
 * The API also lets in the dashboard's own origin (another port, so another origin), named in
 * `origins`. A refusal is a short JSON error `{error: {code, message}}` (403 for Host and Origin,
 * 401 for the token) that never repeats the token or the header given. The dashboard's public
 * shell (its page and scripts, which hold nothing of the agent's) gets the Host and Origin checks
 * alone ({@link placeGuard}).
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { isLoopback } from "../core/config/mod.ts";

/** What {@link guard} lets in. */
export interface GuardOptions {
  /** The token every request but `/healthz` must carry. */
  readonly token: string;
  /** The Host header values (lower case, with the port) that name this server. */
  readonly hosts: ReadonlySet<string>;
  /** Origins of other servers let in as well (the dashboard's, on the API), as `http://host:port`. */
  readonly origins?: ReadonlySet<string> | undefined;
}

/** The origins (`http://` and `https://`) of a server named by `hosts` (see {@link hostNames}). */
export function originsOf(hosts: Iterable<string>): Set<string> {
  return new Set([...hosts].flatMap((h) => [`http://${h}`, `https://${h}`]));
}

/** The Host values of a server bound to `host` on `port`, given the names the machine has. */
export function hostNames(
  host: string,
  port: number,
  machine: { readonly names?: readonly string[] } = {},
): Set<string> {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const wildcard = bare === "0.0.0.0" || bare === "::";
  const names = new Set<string>();
  if (!wildcard) names.add(bare);
  if (wildcard || isLoopback(bare)) {
    for (const name of ["localhost", "127.0.0.1", "::1"]) names.add(name);
  }
  if (wildcard) { for (const name of machine.names ?? []) names.add(name.toLowerCase()); }
  return new Set([...names].map((name) => `${name.includes(":") ? `[${name}]` : name}:${port}`));
}

/** A refusal in the API's error shape (web/api/errors.ts), which the API's kit builds on. */
const errorBody = (code: string, message: string) => ({ error: { code, message } });

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether `given` is `expected`, in a time that does not depend on where they differ. */
export function sameToken(given: string, expected: string): boolean {
  // Equal-length digests: timingSafeEqual needs them, and the length of the token stays hidden.
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether an Origin header (absent, or this server's own) is allowed for a request to `host`. */
export function originAllowed(
  origin: string | undefined,
  host: string,
  others: ReadonlySet<string> = new Set(),
): boolean {
  if (origin === undefined) return true;
  if (others.has(origin.toLowerCase().replace(/\/$/, ""))) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.host === host &&
    origin.replace(/\/$/, "") === url.origin;
}

/** The refusal of a request whose Host or Origin does not name this server, if it is one. */
function misplaced(c: Context, options: Omit<GuardOptions, "token">): Response | undefined {
  const host = (c.req.header("host") ?? "").toLowerCase();
  if (!options.hosts.has(host)) {
    return c.json(errorBody("host_not_allowed", "Host not allowed"), 403);
  }
  if (!originAllowed(c.req.header("origin"), host, options.origins)) {
    return c.json(errorBody("origin_not_allowed", "Origin not allowed"), 403);
  }
  return undefined;
}

/**
 * The Host and Origin checks alone: what guards the dashboard's public shell (its page and
 * scripts, which hold nothing of the agent's; every answer with data needs the token).
 */
export function placeGuard(options: Omit<GuardOptions, "token">): MiddlewareHandler {
  return async function frontDoorPlace(c, next) {
    return misplaced(c, options) ?? await next();
  };
}

/** The middleware that refuses what the front door does not let in; see the module doc. */
export function guard(options: GuardOptions): MiddlewareHandler {
  const expected = options.token;
  if (expected.length === 0) throw new TypeError("the gateway's token is empty");
  return async function frontDoorGuard(c, next) {
    const refused = misplaced(c, options);
    if (refused !== undefined) return refused;
    const match = /^Bearer +(\S+) *$/i.exec(c.req.header("authorization") ?? "");
    if (match === null || !sameToken(match[1]!, expected)) {
      c.header("WWW-Authenticate", 'Bearer realm="kafclaw"');
      const body = match === null
        ? errorBody("token_required", "Token required")
        : errorBody("wrong_token", "Wrong token");
      return c.json(body, 401);
    }
    return await next();
  };
}
