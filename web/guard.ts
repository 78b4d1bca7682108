/**
 * The front door's checks, done before any route but `/healthz`: the Host header must name this
 * server (a loopback server is reachable from a browser through DNS rebinding, where the page's
 * own name is sent), an Origin, when a browser sends one, must be this server's, and the request
 * must carry the gateway's token as `Authorization: Bearer <token>`, compared in constant time.
 * A refusal is a short JSON error (403 for Host and Origin, 401 for the token) that never repeats
 * the token or the header given.
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
  /**
   * Origins besides this server's own whose pages may call it (the dashboard's, on the API port:
   * cors.ts), exactly as a browser sends them (`http://127.0.0.1:18791`).
   */
  readonly origins?: ReadonlySet<string>;
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

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether `given` is `expected`, in a time that does not depend on where they differ. */
export function sameToken(given: string, expected: string): boolean {
  // Equal-length digests: timingSafeEqual needs them, and the length of the token stays hidden.
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether an Origin header (absent, or this server's own) is allowed for a request to `host`. */
export function originAllowed(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return true;
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
  if (!options.hosts.has(host)) return c.json({ error: "host not allowed" }, 403);
  const origin = c.req.header("origin");
  if (!originAllowed(origin, host) && !options.origins?.has(origin!)) {
    return c.json({ error: "origin not allowed" }, 403);
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
      return c.json({ error: match === null ? "token required" : "wrong token" }, 401);
    }
    return await next();
  };
}
