/**
 * What every quota, rate limit and budget answers: go ahead, or a refusal with a plain sentence
 * for the user and when to try again. Limits never throw. Also the UTC calendar they reset on.
 *
 * @module
 */

/** Stable codes of refusals. */
export type LimitCode =
  | "daily_tokens"
  | "daily_tokens_sender"
  | "rate_limited"
  | "daily_budget"
  | "monthly_budget";

/** A limit's answer. */
export type LimitResult =
  | { readonly ok: true }
  | {
    readonly ok: false;
    readonly code: LimitCode;
    /** A sentence for the user, e.g. `You have used today's 100000 tokens; ...`. */
    readonly message: string;
    /** Milliseconds until the limit lets the next request through. */
    readonly retryAfterMs: number;
  };

/** The answer "go ahead". */
export const OK: LimitResult = Object.freeze({ ok: true });

/** The start of `now`'s day, UTC. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** The next UTC midnight after `now`. */
export function nextUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** The start of `now`'s month, UTC. */
export function startOfUtcMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** The first day of the month after `now`'s, UTC. */
export function nextUtcMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/**
 * A duration for people, rounded up: `5 s`, `12 min`, `3 h 12 min`, `4 d 6 h`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./limits.ts";
 * formatDuration((3 * 60 + 12) * 60_000); // "3 h 12 min"
 * ```
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** `$5.00` */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

/** `2026-08-01` */
export function formatUtcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
