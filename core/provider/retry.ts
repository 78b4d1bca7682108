/**
 * Retries: which failures are worth another try, and how long to wait before it (exponential
 * backoff with jitter, bounded, honouring a short `Retry-After`). Waiting is injectable so tests
 * run without real delays. npm:openai's own retries are off: these are the only ones.
 *
 * @module
 */
import { loadedSdk } from "./_client.ts";
import {
  connectionDetail,
  STALL_HINT,
  statusDetail,
  statusHint,
  TIMEOUT_HINT,
  UNREADABLE_HINT,
  UnreadableAnswerError,
} from "./_describe.ts";

/** How a model is retried. Every field is optional; see {@link resolveRetry} for defaults. */
export interface RetryOptions {
  /** Retries of one model after its first attempt (default 2). */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each next one (default 500 ms). */
  readonly baseDelayMs?: number;
  /** Longest delay, also the cap of a server's Retry-After (default 8000 ms). */
  readonly maxDelayMs?: number;
  /** Waits, or rejects with the signal's reason when it aborts (default: a timer). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter (default Math.random). */
  readonly random?: () => number;
}

/** {@link RetryOptions} with every field filled in. */
export type ResolvedRetry = Required<RetryOptions>;

/** Fills in the defaults. Throws RangeError for a negative or non-integer count or delay. */
export function resolveRetry(options: RetryOptions = {}): ResolvedRetry {
  const resolved = {
    retries: options.retries ?? 2,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 8000,
    sleep: options.sleep ?? sleep,
    random: options.random ?? Math.random,
  };
  for (const key of ["retries", "baseDelayMs", "maxDelayMs"] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`Cannot use retry.${key} ${value}: expected an integer >= 0`);
    }
  }
  return resolved;
}

/**
 * The wait before retry number `retry` (1 for the first): `baseDelayMs * 2^(retry-1)`, capped at
 * `maxDelayMs`, with "equal jitter" (between half and all of it), and at least the server's
 * Retry-After when that is within the cap.
 *
 * @example
 * ```ts
 * import { backoffDelay, resolveRetry } from "./retry.ts";
 * const retry = resolveRetry({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
 * console.assert(backoffDelay(1, retry) === 75 && backoffDelay(3, retry) === 300);
 * ```
 */
export function backoffDelay(
  retry: number,
  options: ResolvedRetry,
  retryAfterMs: number | null = null,
): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const jittered = exponential / 2 + options.random() * exponential / 2;
  return Math.round(Math.min(options.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0)));
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * What to do after a failure: try the same model again, go to the next model, give up because
 * the request is wrong, give up because the key is, or give up because part of the answer was
 * already streamed.
 */
export type Verdict = "retry" | "next" | "fail" | "auth" | "interrupted";

/** A failure, classified. `detail` is the server's text, not yet redacted. */
export interface Classified {
  readonly verdict: Verdict;
  readonly status: number | null;
  readonly detail: string;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | null;
  /** What the user can do about it, when there is something general to say. */
  readonly hint?: string;
}

/** An attempt that did not begin to answer (`first`) or did not finish (`total`) in time. */
export class AttemptTimeoutError extends Error {
  override readonly name = "AttemptTimeoutError";
  /** Which limit ran out. */
  readonly kind: "first" | "stall" | "total";
  constructor(kind: "first" | "stall" | "total", ms: number) {
    super(
      kind === "first"
        ? `no answer within ${duration(ms)}`
        : kind === "stall"
        ? `the answer stopped for ${duration(ms)} mid-stream`
        : `the answer took longer than ${duration(ms)}`,
    );
    this.kind = kind;
  }
}

/** `60 s`, `1.5 s`, `250 ms`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** A stream that closed before its last chunk (no finish reason). */
export class StreamEndedEarlyError extends Error {
  override readonly name = "StreamEndedEarlyError";
  constructor() {
    super("the stream ended before the answer was complete");
  }
}

/** A failure after part of the answer was already given to `onText`. */
export class InterruptedStreamError extends Error {
  override readonly name = "InterruptedStreamError";
  readonly inner: Classified;
  constructor(inner: Classified) {
    super(inner.detail);
    this.inner = inner;
  }
}

/**
 * Classifies an error of npm:openai (or of our own attempt bookkeeping). Returns null for
 * anything else, which the caller rethrows: a bug is not a provider failure.
 */
export function classify(error: unknown): Classified | null {
  if (error instanceof InterruptedStreamError) {
    return { ...error.inner, verdict: "interrupted" };
  }
  if (error instanceof AttemptTimeoutError) {
    const detail = error.message;
    const hint = error.kind === "stall" ? STALL_HINT : TIMEOUT_HINT;
    return { verdict: "retry", status: null, detail, retryAfterMs: null, hint };
  }
  if (error instanceof StreamEndedEarlyError) {
    return { verdict: "retry", status: null, detail: error.message, retryAfterMs: null };
  }
  if (error instanceof UnreadableAnswerError) {
    const detail = error.message;
    return { verdict: "next", status: 200, detail, retryAfterMs: null, hint: UNREADABLE_HINT };
  }
  const sdk = loadedSdk();
  if (sdk === undefined) return null;
  if (error instanceof sdk.APIUserAbortError) {
    return { verdict: "retry", status: null, detail: "request aborted", retryAfterMs: null };
  }
  if (error instanceof sdk.APIConnectionError) {
    const { detail, hint } = connectionDetail(error);
    return {
      verdict: "retry",
      status: null,
      detail,
      retryAfterMs: null,
      ...(hint ? { hint } : {}),
    };
  }
  if (error instanceof sdk.APIError) {
    const status = error.status ?? null;
    const detail = statusDetail(error);
    const retryAfterMs = parseRetryAfter(error.headers?.get("retry-after") ?? null);
    const hint = statusHint(status);
    return { verdict: verdictOf(status), status, detail, retryAfterMs, ...(hint ? { hint } : {}) };
  }
  if (error instanceof sdk.OpenAIError) {
    return { verdict: "fail", status: null, detail: error.message, retryAfterMs: null };
  }
  return null;
}

function verdictOf(status: number | null): Verdict {
  if (status === null) return "retry"; // an error event inside a stream
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "next"; // this provider does not have the model
  if (status === 408 || status === 409 || status === 429 || status >= 500) return "retry";
  return "fail";
}

/** Retry-After as milliseconds: a number of seconds or an HTTP date; null when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
