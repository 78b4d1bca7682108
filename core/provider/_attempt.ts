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
  shownUrl,
} from "./errors.ts";
import { keyVariables, type ModelEndpoint } from "./models.ts";
import { openaiSdk } from "./_client.ts";
import {
  AttemptTimeoutError,
  backoffDelay,
  type Classified,
  classify,
  type ResolvedRetry,
  type Verdict,
} from "./retry.ts";

/** An attempt that waits, as progress lines show it. */
export interface WaitEvent {
  /** `provider/model`. */
  readonly ref: string;
  /** The base URL, without credentials or query (see {@link shownUrl}). */
  readonly url: string;
  /** This attempt's number, from 1. */
  readonly attempt: number;
  /** How many attempts the model gets. */
  readonly attempts: number;
  /** Why the attempt before failed (redacted); absent for the first. */
  readonly after?: string;
}

/** Receives {@link WaitEvent}s; it must not throw. */
export type WaitSink = (event: WaitEvent) => void;

/** What every call of the provider layer shares. */
export interface CallSettings {
  readonly retry: ResolvedRetry;
  /** The longest one attempt may take, to its last token. */
  readonly timeoutMs: number;
  /** An attempt that has not begun to answer by then is aborted and retried. */
  readonly firstTokenTimeoutMs: number;
  /** A streamed answer silent this long between two chunks is aborted. */
  readonly stallTimeoutMs: number;
  /** Every configured key, removed from error texts. */
  readonly secrets: readonly string[];
  readonly onWait?: WaitSink;
}

/**
 * One attempt: `signal` aborts it; `progress()` says the answer has begun; `chunk()` says a
 * streamed chunk came (the answer has begun and goes on), which restarts the stall limit.
 */
export type Attempt<T> = (
  signal: AbortSignal,
  progress: () => void,
  chunk: () => void,
) => Promise<T>;

/** The result of trying one model. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
    readonly ok: false;
    readonly verdict: Exclude<Verdict, "retry">;
    readonly failure: ProviderFailure;
  };

/** The longest silence of a first attempt before a progress line says what it waits for. */
const NOTICE_MS = 5000;

/**
 * Runs `attempt` against one endpoint, retrying what is worth retrying after a backoff (npm:openai
 * is loaded first, outside every attempt's time). Rethrows the caller's abort reason as soon as
 * `signal` aborts, and any error that is not a provider failure (a bug).
 */
export async function tryModel<T>(
  endpoint: ModelEndpoint,
  attempt: Attempt<T>,
  settings: CallSettings,
  signal?: AbortSignal,
): Promise<Outcome<T>> {
  // The first call of a process imports npm:openai here, before any attempt's clock starts: the
  // model's time limits are the model's, not the time it takes to load the client.
  await openaiSdk();
  const attempts = settings.retry.retries + 1;
  // Shown only in a wait line or a failure: most calls need it never.
  let shown: string | undefined;
  const url = () => shown ??= shownUrl(endpoint.baseUrl, settings.secrets);
  let after: string | undefined;
  for (let n = 1;; n++) {
    signal?.throwIfAborted();
    const before = after;
    const notify = () =>
      settings.onWait?.({
        ref: endpoint.ref,
        url: url(),
        attempt: n,
        attempts,
        ...(before ? { after: before } : {}),
      });
    if (n > 1) notify();
    const watchdog = new Watchdog(settings, n === 1 ? notify : undefined);
    const attemptSignal = signal ? AbortSignal.any([signal, watchdog.signal]) : watchdog.signal;
    let classified: Classified | null;
    try {
      return {
        ok: true,
        value: await attempt(attemptSignal, watchdog.progress, watchdog.chunk),
      };
    } catch (error) {
      signal?.throwIfAborted();
      classified = classify(error);
      if (watchdog.fired) {
        const timedOut = classify(watchdog.fired)!;
        classified = classified?.verdict === "interrupted"
          ? { ...classified, detail: timedOut.detail }
          : timedOut;
      }
      if (classified === null) throw error;
    } finally {
      watchdog.stop();
    }
    after = redact(classified.detail, settings.secrets);
    if (classified.verdict === "retry" && n < attempts) {
      await settings.retry.sleep(backoffDelay(n, settings.retry, classified.retryAfterMs), signal);
      continue;
    }
    return {
      ok: false,
      verdict: classified.verdict === "retry" ? "next" : classified.verdict,
      failure: {
        provider: endpoint.provider,
        model: endpoint.model,
        url: url(),
        status: classified.status,
        detail: after,
        attempts: n,
        ...(classified.hint ? { hint: classified.hint } : {}),
      },
    };
  }
}

/**
 * Aborts its signal when the answer has not begun within the first-token limit, when a streamed
 * answer stops between two chunks for the stall limit, or when it has not ended within the
 * attempt's limit; calls `notice` after a few silent seconds.
 */
class Watchdog {
  readonly #controller = new AbortController();
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  #first: ReturnType<typeof setTimeout> | undefined;
  #stall: ReturnType<typeof setTimeout> | undefined;
  #lastChunk = 0;
  readonly #stallMs: number;
  /** The timeout that fired, if one did. */
  fired: AttemptTimeoutError | undefined;

  constructor(settings: CallSettings, notice: (() => void) | undefined) {
    const { firstTokenTimeoutMs: first, timeoutMs: total } = settings;
    this.#stallMs = settings.stallTimeoutMs;
    this.#first = this.#arm(first, () => new AttemptTimeoutError("first", first));
    this.#timers.push(this.#arm(total, () => new AttemptTimeoutError("total", total)));
    if (notice) {
      const ms = Math.min(NOTICE_MS, Math.floor(first / 2));
      const timer = setTimeout(() => this.#first !== undefined && notice(), ms);
      this.#timers.push(timer);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  readonly progress = (): void => {
    if (this.#first === undefined) return;
    clearTimeout(this.#first);
    this.#first = undefined;
  };

  /** A chunk came: one timer per stall limit, re-armed for what is left of it when it fires. */
  readonly chunk = (): void => {
    this.progress();
    this.#lastChunk = performance.now();
    this.#stall ??= this.#armStall(this.#stallMs);
  };

  #armStall(ms: number): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      const idle = performance.now() - this.#lastChunk;
      if (idle < this.#stallMs) {
        this.#stall = this.#armStall(this.#stallMs - idle);
        return;
      }
      if (this.fired) return;
      this.fired = new AttemptTimeoutError("stall", this.#stallMs);
      this.#controller.abort(this.fired);
    }, ms);
  }

  stop(): void {
    clearTimeout(this.#first);
    clearTimeout(this.#stall);
    for (const timer of this.#timers) clearTimeout(timer);
  }

  #arm(ms: number, error: () => AttemptTimeoutError): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      if (this.fired) return;
      this.fired = error();
      this.#controller.abort(this.fired);
    }, ms);
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
