/**
 * What keeps one client from taking the gateway: a limit on the size of a request's body (413)
 * and a rate limit per client address (429 with `Retry-After`), a token bucket of `burst` requests
 * refilled at `perSecond`. The rate limit runs before the token check, so guessing tokens is
 * slowed down as much as anything else.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { TooLarge, TooMany } from "./errors.ts";

/** The limits of one API. */
export interface ApiLimits {
  /** The largest body taken, in bytes. */
  readonly bodyBytes: number;
  /** Requests a client may send at once before it must wait. */
  readonly burst: number;
  /** Requests per second a client gets back. */
  readonly perSecond: number;
}

/** The limits of a gateway's API: 1 MiB bodies; 200 requests at once, then 50 per second. */
export const DEFAULT_LIMITS: ApiLimits = { bodyBytes: 1024 * 1024, burst: 200, perSecond: 50 };

/** The middleware that refuses a body over `bytes` with a 413. */
export function sizeLimit(bytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: bytes,
    onError: () => {
      throw new TooLarge(bytes);
    },
  });
}

/** Buckets of clients not seen for this long are forgotten (they are full again by then). */
const IDLE_MS = 10 * 60_000;

/**
 * The per-client rate limit; `client` names the client of a request (its address), `now` is the
 * clock (ms).
 */
export function rateLimit(
  limits: Pick<ApiLimits, "burst" | "perSecond">,
  options: { readonly client: (c: Context) => string; readonly now?: () => number },
): MiddlewareHandler {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let swept = now();
  return async function perClientRateLimit(c, next) {
    const at = now();
    if (at - swept > IDLE_MS) {
      for (const [key, b] of buckets) if (at - b.at > IDLE_MS) buckets.delete(key);
      swept = at;
    }
    const key = options.client(c);
    const bucket = buckets.get(key) ?? { tokens: limits.burst, at };
    bucket.tokens = Math.min(
      limits.burst,
      bucket.tokens + (at - bucket.at) / 1000 * limits.perSecond,
    );
    bucket.at = at;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      throw new TooMany(Math.max(1, Math.ceil((1 - bucket.tokens) / limits.perSecond)));
    }
    bucket.tokens -= 1;
    return await next();
  };
}
