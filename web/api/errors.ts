/**
 * The API's errors: every refusal a client gets is `{error: {code, message}}`. A handler throws
 * an {@link ApiError} (or one of its kinds below) and the app's one `onError` ({@link onApiError})
 * turns it into its status; anything else thrown is an internal error whose message stays in this
 * process: the client learns only that it failed, never a stack or a path.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The JSON body of every error the API answers. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** The body of an error answer. */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** An answer other than success, with its HTTP status and a stable code clients branch on. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    /** Headers the answer carries (Retry-After, WWW-Authenticate …). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** 400: the request's body, query or path is not what the endpoint takes. */
export class BadRequest extends ApiError {
  constructor(message: string) {
    super(400, "bad_request", message);
  }
}

/** 404: no such thing (an approval, a session, a job, a task …). */
export class NotFound extends ApiError {
  constructor(message: string) {
    super(404, "not_found", message);
  }
}

/** `value`, or a 404 saying `message` when there is none. */
export function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new NotFound(message);
  return value;
}

/** 409: the request cannot be done in this gateway's state (a group call in standalone mode). */
export class Conflict extends ApiError {
  constructor(message: string, code = "conflict") {
    super(409, code, message);
  }
}

/** 413: the body is larger than the API takes. */
export class TooLarge extends ApiError {
  constructor(limit: number) {
    super(413, "too_large", `The request body is larger than ${limit} bytes`);
  }
}

/** 429: this client sent too many requests; `Retry-After` says in how many seconds to retry. */
export class TooMany extends ApiError {
  constructor(retryAfterSeconds: number) {
    super(429, "rate_limited", `Too many requests; retry in ${retryAfterSeconds} s`, {
      "Retry-After": String(retryAfterSeconds),
    });
  }
}

/** Answers `error` as an {@link ErrorBody} response. */
export function errorResponse(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(errorBody(error.code, error.message), error.status);
}

/**
 * The app's one error handler: an {@link ApiError} is answered as it says; anything else is a 500
 * whose cause goes to `warn` (the gateway's stderr), never to the client.
 */
export function onApiError(warn?: (line: string) => void) {
  return function apiErrorHandler(error: Error, c: Context): Response {
    if (error instanceof ApiError) return errorResponse(c, error);
    const known = knownFailure(error);
    if (known !== undefined) return errorResponse(c, known);
    const status = httpStatus(error);
    if (status !== undefined && status < 500) {
      return errorResponse(c, new ApiError(status, "bad_request", "The request is malformed"));
    }
    warn?.(`API ${c.req.method} ${c.req.path} failed: ${firstLine(error)}`);
    return errorResponse(c, new ApiError(500, "internal", "Internal error"));
  };
}

/**
 * A failure of core's that a client can act on, told without its detail (which may hold a
 * provider's text): the model failed (502), or the disk is full (507, nothing was written).
 */
export function knownFailure(error: Error): ApiError | undefined {
  if (error.name === "ProviderError") {
    const { kind, provider, model, status } = error as Error & {
      kind?: string;
      provider?: string;
      model?: string;
      status?: number | null;
    };
    const code = status ? `, HTTP ${status}` : "";
    return new ApiError(
      502,
      "llm_failed",
      `The model ${provider}/${model} failed (${kind}${code})`,
    );
  }
  if (error.name === "DiskFullError") {
    return new ApiError(507, "disk_full", "The disk is full: nothing was written");
  }
  return undefined;
}

/** The status of one of Hono's own HTTPExceptions (a malformed request it refused). */
function httpStatus(error: Error): ContentfulStatusCode | undefined {
  const status = (error as { status?: unknown }).status;
  return error.name === "HTTPException" && typeof status === "number"
    ? status as ContentfulStatusCode
    : undefined;
}

function firstLine(error: Error): string {
  return `${error.name}: ${(error.message ?? "").split("\n")[0]}`;
}
