/**
 * Requests a minute per sender and channel, as token buckets: each holds up to `requestsPerMinute`
 * requests (the burst) and refills continuously at that rate. A bucket left alone for a minute is
 * full again, the same as a new one, so it is dropped: memory holds only the buckets of the last
 * minute, and never more than `maxKeys` (past that the least recently used are dropped, which lets
 * their senders start afresh: a flood of that many identities is a job for the allowlist).
 *
 * @module
 */
import { formatDuration, type LimitResult, OK } from "./limits.ts";
import type { PolicySettings } from "./settings.ts";

const MINUTE = 60_000;

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Most buckets kept at once; default 10000. */
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A rate limiter per `channel:sender`.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limit.ts";
 * let now = 0;
 * const limiter = new RateLimiter({ requestsPerMinute: 1 }, { now: () => now });
 * limiter.take({ channel: "slack", sender: "u1" }).ok; // true
 * const second = limiter.take({ channel: "slack", sender: "u1" });
 * second.ok || second.message; // "You are sending requests too fast: the limit is 1 a minute; try again in 1 min"
 * ```
 */
export class RateLimiter {
  readonly #rpm: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  /** Least recently used first. */
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    settings: Pick<PolicySettings, "requestsPerMinute">,
    options: RateLimiterOptions = {},
  ) {
    this.#rpm = settings.requestsPerMinute;
    this.#now = options.now ?? Date.now;
    this.#maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  }

  /** How many buckets are held. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one request from the sender's bucket, or answers how long to wait. */
  take(source: { readonly channel: string; readonly sender: string }): LimitResult {
    if (!(this.#rpm > 0)) return OK;
    const now = this.#now();
    this.#evict(now);
    const key = `${source.channel}:${source.sender}`;
    const perMs = this.#rpm / MINUTE;
    const bucket = this.#buckets.get(key) ?? { tokens: this.#rpm, at: now };
    this.#buckets.delete(key);
    bucket.tokens = Math.min(this.#rpm, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return OK;
    }
    const retryAfterMs = Math.ceil((1 - bucket.tokens) / perMs);
    return {
      ok: false,
      code: "rate_limited",
      message: `You are sending requests too fast: the limit is ${this.#rpm} a minute; ` +
        `try again in ${formatDuration(retryAfterMs)}`,
      retryAfterMs,
    };
  }

  /** Drops the buckets idle for a minute (they are full again). */
  #evict(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.at < MINUTE) return;
      this.#buckets.delete(key);
    }
  }
}
