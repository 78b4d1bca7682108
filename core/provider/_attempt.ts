/**
 * One model, tried until it answers or its retries run out: each attempt gets a signal that
 * aborts when the caller aborts or when the attempt makes no progress for `timeoutMs`.
 *
 * @module
 */
import {
  authError,
  exhaustedError,
  interruptedError,
  type ProviderError,
  type ProviderFailure,
  redact,
  rejectedError,
} from "./errors.ts";
import { keyVariables, type ModelEndpoint } from "./models.ts";
import {
  AttemptTimeoutError,
  backoffDelay,
  type Classified,
  classify,
  InterruptedStreamError,
  type ResolvedRetry,
  type Verdict,
} from "./retry.ts";

/** What every call of the provider layer shares. */
export interface CallSettings {
  readonly retry: ResolvedRetry;
  /** An attempt without progress for this long is aborted and retried. */
  readonly timeoutMs: number;
  /** Every configured key, removed from error texts. */
  readonly secrets: readonly string[];
}

/** One attempt: `signal` aborts it; `progress()` tells the watchdog it is alive (per chunk). */
export type Attempt<T> = (signal: AbortSignal, progress: () => void) => Promise<T>;

/** The result of trying one model. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
    readonly ok: false;
    readonly verdict: Exclude<Verdict, "retry">;
    readonly failure: ProviderFailure;
  };

/**
 * Runs `attempt` against one endpoint, retrying what is worth retrying after a backoff. Rethrows
 * the caller's abort reason as soon as `signal` aborts, and any error that is not a provider
 * failure (a bug).
 */
export async function tryModel<T>(
  endpoint: ModelEndpoint,
  attempt: Attempt<T>,
  settings: CallSettings,
  signal?: AbortSignal,
): Promise<Outcome<T>> {
  for (let n = 1;; n++) {
    signal?.throwIfAborted();
    const watchdog = new Watchdog(settings.timeoutMs);
    const attemptSignal = signal ? AbortSignal.any([signal, watchdog.signal]) : watchdog.signal;
    let classified: Classified | null;
    try {
      return { ok: true, value: await attempt(attemptSignal, watchdog.progress) };
    } catch (error) {
      signal?.throwIfAborted();
      classified = watchdog.fired && !(error instanceof InterruptedStreamError)
        ? classify(new AttemptTimeoutError(settings.timeoutMs))
        : classify(error);
      if (classified === null) throw error;
    } finally {
      watchdog.stop();
    }
    if (classified.verdict === "retry" && n <= settings.retry.retries) {
      await settings.retry.sleep(backoffDelay(n, settings.retry, classified.retryAfterMs), signal);
      continue;
    }
    return {
      ok: false,
      verdict: classified.verdict === "retry" ? "next" : classified.verdict,
      failure: {
        provider: endpoint.provider,
        model: endpoint.model,
        status: classified.status,
        detail: redact(classified.detail, settings.secrets),
        attempts: n,
      },
    };
  }
}

/** Aborts its signal when `progress()` is not called for `ms`. */
class Watchdog {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout>;
  fired = false;

  constructor(ms: number) {
    this.#ms = ms;
    this.#timer = this.#arm();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  readonly progress = (): void => {
    clearTimeout(this.#timer);
    if (!this.fired) this.#timer = this.#arm();
  };

  stop(): void {
    clearTimeout(this.#timer);
  }

  #arm(): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      this.fired = true;
      this.#controller.abort(new AttemptTimeoutError(this.#ms));
    }, this.#ms);
  }
}

/**
 * The error that ends a call after `failure`: a refused key or request, a broken stream, or (for
 * `next`) the end of the chain. `earlier` are the models that failed before.
 */
export function failureError(
  endpoint: ModelEndpoint,
  verdict: Exclude<Verdict, "retry">,
  failure: ProviderFailure,
  earlier: readonly ProviderFailure[] = [],
): ProviderError {
  switch (verdict) {
    case "auth": {
      const keyNames = [
        `providers.${endpoint.provider}.apiKey`,
        ...keyVariables(endpoint.provider),
      ];
      return authError(failure, { keyNames, hadKey: endpoint.apiKey !== null });
    }
    case "fail":
      return rejectedError(failure, earlier);
    case "interrupted":
      return interruptedError(failure, earlier);
    case "next":
      return exhaustedError([...earlier, failure]);
  }
}
