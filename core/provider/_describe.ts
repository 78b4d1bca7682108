/**
 * What came back from a server, in a few words: a refused connection, a failed DNS lookup, an
 * HTTP status with the server's reason (never a whole HTML page), or an answer that is not the
 * OpenAI format; and for each, what the user can do about it.
 *
 * @module
 */
import type { APIConnectionError, APIError } from "openai";
import { chainMessages } from "../errors/mod.ts";

/** The longest reason quoted from a server. */
const REASON_CHARS = 100;

/** A 200 whose body is not a chat completion, an embedding list or an event stream of them. */
export class UnreadableAnswerError extends Error {
  override readonly name = "UnreadableAnswerError";
}

/** One connection failure, described, with its hint. */
export interface Described {
  readonly detail: string;
  readonly hint?: string;
}

/** The messages of an error and its causes, outermost first. */
function causes(error: unknown): string {
  // URLs in these texts can carry a key in their query: the message names the URL itself.
  return chainMessages(error).join(": ").replace(/https?:\/\/[^\s)]+/g, "<url>");
}

/** A connection that failed before any HTTP status: refused, unknown host, TLS, reset. */
export function connectionDetail(error: APIConnectionError): Described {
  const text = causes(error.cause ?? error);
  if (/connection refused/i.test(text)) {
    return { detail: "connection refused", hint: "is the server running on that port?" };
  }
  if (
    /dns error|failed to lookup|name or service not known|nodename nor servname|no such host|getaddrinfo/i
      .test(text)
  ) {
    return { detail: "DNS lookup failed (no such host)", hint: "check the host name of the URL" };
  }
  if (/certificate|tls|ssl/i.test(text)) {
    return {
      detail: `TLS failed (${short(lastPart(text))})`,
      hint: "check the URL's scheme and the server's certificate",
    };
  }
  if (/timed out/i.test(text)) return { detail: "the connection timed out" };
  if (/reset|closed|broken pipe|eof/i.test(text)) {
    return { detail: "the server closed the connection without an answer" };
  }
  return { detail: `connection failed (${short(lastPart(text))})` };
}

/** `HTTP 502: Bad Gateway`: the status and the server's own reason, a page's title at most. */
export function statusDetail(error: APIError): string {
  const status = error.status;
  const body = error.error as { message?: unknown } | undefined;
  let reason: string;
  if (body && typeof body === "object" && typeof body.message === "string") {
    reason = body.message;
  } else {
    const raw = error.message.replace(/^\d{3}\s*/, "");
    reason = raw === "status code (no body)" ? "" : pageReason(raw);
  }
  reason = short(reason);
  return status === undefined ? reason : `HTTP ${status}${reason ? `: ${reason}` : ""}`;
}

/** What to do about an HTTP status; undefined when there is nothing general to say. */
export function statusHint(status: number | null): string | undefined {
  if (status === 404) {
    return "check the model name and the URL (an OpenAI-compatible API, often …/v1)";
  }
  if (status === 429) {
    return "the server limits requests: wait and try again, or add model.fallbacks";
  }
  if (status !== null && status >= 500) {
    return "the server failed: try again later, or add model.fallbacks";
  }
  return undefined;
}

/** The hint of an answer that is not the OpenAI format. */
export const UNREADABLE_HINT = "is the URL an OpenAI-compatible API (often …/v1)?";

/** The hint of an attempt that timed out. */
export const TIMEOUT_HINT =
  "raise model.firstTokenTimeoutMs or model.timeoutMs if the model is only slow";

/** The hint of a streamed answer that stopped mid-way. */
export const STALL_HINT =
  "raise model.stallTimeoutMs if the model pauses that long while it answers";

/** A 200 that is not what was asked for, described by its type and first characters. */
export function unreadable(
  contentType: string | null,
  body: string,
  what: string,
): UnreadableAnswerError {
  const type = contentType?.split(";")[0]?.trim() || "no content type";
  const start = body.trim() === "" ? "an empty body" : `"${short(pageReason(body), 60)}"`;
  return new UnreadableAnswerError(`HTTP 200 with ${type} that is not ${what}: ${start}`);
}

/** The title of an HTML page, or the text itself when it is not one. */
function pageReason(text: string): string {
  if (!/<(?:!doctype|html|head|body|title)\b/i.test(text)) return text;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  return title ? `${title.replace(/^\d{3}\s+/, "")} (an HTML page)` : "an HTML page";
}

function lastPart(text: string): string {
  const parts = text.split(": ").filter((p) => p.trim() !== "");
  return parts.at(-1) ?? text;
}

function short(text: string, max = REASON_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}
