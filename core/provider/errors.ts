/**
 * The two errors callers branch on: {@link ProviderNotConfiguredError} (no usable model; the CLI
 * exits 2 and says how to configure one) and {@link ProviderError} (the model, or every model of
 * the chain, failed). Messages name the provider, model and HTTP status; API keys never appear in
 * them: server texts are redacted before they are kept.
 *
 * @module
 */

/** No model can be used: a key is missing. The message says how to configure one. */
export class ProviderNotConfiguredError extends Error {
  override readonly name = "ProviderNotConfiguredError";
  /** The provider that lacks configuration. */
  readonly provider: string;

  constructor(message: string, provider: string) {
    super(message);
    this.provider = provider;
  }
}

/** One model that failed, as error messages report it. */
export interface ProviderFailure {
  readonly provider: string;
  /** The model as the provider names it. */
  readonly model: string;
  /** The base URL it was asked at, as {@link shownUrl} shows it. */
  readonly url: string;
  /** HTTP status, or null when no response came (connection failure, timeout). */
  readonly status: number | null;
  /** What went wrong, redacted and cut short. */
  readonly detail: string;
  /** Requests made to this model, retries included. */
  readonly attempts: number;
  /** What the user can do about it, when there is something general to say. */
  readonly hint?: string;
}

/**
 * Why a call failed:
 * - `auth`: the provider refused the key (401, 403); fallbacks are not tried;
 * - `rejected`: the provider refused the request itself (400, 422, ...); fallbacks are not tried;
 * - `interrupted`: the answer broke off after part of it was streamed, so it was not retried;
 * - `exhausted`: every model of the chain failed (rate limits, 5xx, timeouts, unknown models).
 */
export type ProviderErrorKind = "auth" | "rejected" | "interrupted" | "exhausted";

/** A call that failed; `provider`, `model` and `status` are those of the last model tried. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly model: string;
  readonly status: number | null;
  /** Every model tried, in order. */
  readonly failures: readonly ProviderFailure[];

  constructor(kind: ProviderErrorKind, message: string, failures: readonly ProviderFailure[]) {
    super(message);
    const last = failures[failures.length - 1];
    if (!last) throw new TypeError("A ProviderError needs at least one failure");
    this.kind = kind;
    this.provider = last.provider;
    this.model = last.model;
    this.status = last.status;
    this.failures = failures;
  }
}

const MAX_DETAIL = 240;

/**
 * Removes every secret from a text (replaced by `****`), and any bearer token, then cuts it to a
 * readable length. Secrets shorter than four characters are not searched for.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.replaceAll(secret, "****");
  }
  out = out.replace(/(Bearer\s+)[^\s"',]+/gi, "$1****").replace(/\s+/g, " ").trim();
  return out.length > MAX_DETAIL ? out.slice(0, MAX_DETAIL - 1) + "…" : out;
}

/**
 * A URL as messages show it: without user, password or query (where keys hide), and with every
 * configured secret masked.
 */
export function shownUrl(url: string, secrets: readonly string[]): string {
  let shown = url;
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    const query = parsed.search !== "";
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    parsed.hash = "";
    shown = parsed.href.replace(/\/$/, "") + (query ? "?…" : "");
  }
  return redact(shown, secrets);
}

/** `openrouter/anthropic/claude-3.5`. */
export function refOf(failure: Pick<ProviderFailure, "provider" | "model">): string {
  return `${failure.provider}/${failure.model}`;
}

/** `openai/gpt-4o at https://api.openai.com/v1`. */
function placeOf(failure: ProviderFailure): string {
  return `${refOf(failure)} at ${failure.url}`;
}

function outcome(failure: ProviderFailure): string {
  const tries = failure.attempts === 1 ? "1 attempt" : `${failure.attempts} attempts`;
  const hint = failure.hint ? ` — ${failure.hint}` : "";
  return `${placeOf(failure)}: ${failure.detail} (${tries})${hint}`;
}

/** The error of a chain where every model failed. */
export function exhaustedError(failures: readonly ProviderFailure[]): ProviderError {
  return new ProviderError(
    "exhausted",
    `No model answered: ${failures.map(outcome).join("; ")}`,
    failures,
  );
}

/**
 * The error of a refused key. `keyNames` are the key and its environment variables; `hadKey`
 * tells a wrong key from a missing one.
 */
export function authError(
  failure: ProviderFailure,
  options: { readonly keyNames: readonly string[]; readonly hadKey: boolean },
): ProviderError {
  const [key, ...vars] = options.keyNames;
  const where = vars.length > 0 ? `${key} (${vars.join(" or ")})` : `${key}`;
  const what = options.hadKey
    ? `refused the API key (${failure.detail}): check ${where}`
    : `needs an API key (${failure.detail}): set ${where}`;
  return new ProviderError(
    "auth",
    `${failure.provider} ${what}; model ${placeOf(failure)}`,
    [failure],
  );
}

/** The error of a request the provider refused. */
export function rejectedError(
  failure: ProviderFailure,
  earlier: readonly ProviderFailure[] = [],
): ProviderError {
  return new ProviderError(
    "rejected",
    `${placeOf(failure)} rejected the request (${failure.detail})`,
    [...earlier, failure],
  );
}

/** The error of an answer that broke off after part of it was streamed. */
export function interruptedError(
  failure: ProviderFailure,
  earlier: readonly ProviderFailure[] = [],
): ProviderError {
  return new ProviderError(
    "interrupted",
    `${
      placeOf(failure)
    } stopped answering after part of the answer was streamed (${failure.detail})`,
    [...earlier, failure],
  );
}
