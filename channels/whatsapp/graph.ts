/**
 * The WhatsApp Cloud API's side of the Graph API, as the channel uses it: messages out
 * (`POST /{version}/{phone-number-id}/messages` with a bearer access token), the read receipt
 * with the typing indicator (the same endpoint, `status: "read"`), and inbound media (its URL from
 * `GET /{version}/{media-id}`, then the bytes from that URL, with the same token).
 *
 * A refusal is a {@link GraphError} carrying Meta's error code, except for the codes no retry can
 * change ({@link unreachable}), which are {@link UndeliverableError}s that the timeline records as
 * failed at once: a closed customer-service window (131047: the person last wrote more than 24
 * hours ago, so only a template may reach them) is an {@link OutsideWindowError}; a number
 * WhatsApp cannot deliver to (131026: not on WhatsApp, terms not accepted, an app too old) and the
 * business's own number (131021) are the others. No error text ever holds the access token.
 *
 * @module
 */
import { UndeliverableError } from "../../core/timeline/mod.ts";
import { readUpTo } from "../body.ts";

/** Meta's code for a free-form message outside the 24-hour customer-service window. */
export const OUTSIDE_WINDOW_CODE = 131047;
/** The largest inbound file the channel downloads (WhatsApp's documents go up to 100 MB). */
export const MAX_MEDIA_BYTES = 25 * 1024 * 1024;

/** What a text refused for the closed customer-service window is recorded with. */
export function outsideWindow(detail: string): string {
  return `outside WhatsApp's 24-hour customer-service window: the person last wrote more than 24 ` +
    `hours ago, so only a message template can reach them until they write again [${detail}]`;
}

/**
 * Meta's error codes that no retry can change, with why: the one place WhatsApp's permanent
 * refusals are named, for a send the Graph API refuses and for a failed status Meta reports later.
 */
const UNREACHABLE: Readonly<Record<number, (detail: string) => string>> = {
  [OUTSIDE_WINDOW_CODE]: outsideWindow,
  131026: (detail) =>
    "WhatsApp cannot deliver to this number: it has no WhatsApp account, has not accepted " +
    `WhatsApp's current terms, or runs a version too old for business messages [${detail}]`,
  131021: (detail) => `the recipient is the business's own number [${detail}]`,
};

/** Why no retry can deliver, for Meta's error `code` that says so; undefined for the rest. */
export function unreachable(code: number | undefined, detail: string): string | undefined {
  return code === undefined ? undefined : UNREACHABLE[code]?.(detail);
}

/** A call the Graph API refused or could not answer. */
export class GraphError extends Error {
  override name = "GraphError";
  constructor(message: string, readonly status: number, readonly code?: number) {
    super(message);
  }
}

/** A text refused because the chat's 24-hour customer-service window is closed. */
export class OutsideWindowError extends UndeliverableError {
  override name = "OutsideWindowError";
}

/** Where and as whom the client calls. */
export interface GraphOptions {
  /** `https://graph.facebook.com`, without a trailing `/`. */
  readonly apiBase: string;
  /** `v21.0`. */
  readonly apiVersion: string;
  readonly phoneNumberId: string;
  readonly accessToken: string;
}

/** A small client of the endpoints the channel needs; see the module documentation. */
export class GraphClient {
  readonly #o: GraphOptions;
  readonly #base: string;

  constructor(options: GraphOptions) {
    this.#o = options;
    this.#base = `${options.apiBase.replace(/\/+$/, "")}/${options.apiVersion}`;
  }

  /**
   * The business number's name as WhatsApp shows it: a call that checks the access token and the
   * phone number id before the channel starts.
   */
  async phoneNumber(): Promise<string> {
    const id = encodeURIComponent(this.#o.phoneNumberId);
    const answer = await this.#call(
      "GET",
      `${this.#base}/${id}?fields=display_phone_number,verified_name`,
    ) as { display_phone_number?: string; verified_name?: string };
    return answer.verified_name ?? answer.display_phone_number ?? this.#o.phoneNumberId;
  }

  /** Sends a text to `to`; resolves with its message id. */
  async sendText(to: string, body: string, replyTo?: string): Promise<string> {
    const answer = await this.#messages({
      recipient_type: "individual",
      to,
      type: "text",
      text: { body, preview_url: false },
      ...(replyTo === undefined ? {} : { context: { message_id: replyTo } }),
    }) as { messages?: { id?: string }[] };
    return answer.messages?.[0]?.id ?? "";
  }

  /** Marks `messageId` read and shows the typing indicator (about 25 s, or until a reply). */
  async typing(messageId: string): Promise<void> {
    await this.#messages({
      status: "read",
      message_id: messageId,
      typing_indicator: { type: "text" },
    });
  }

  /** Downloads an inbound medium by its id; resolves with its bytes and type. */
  async media(mediaId: string): Promise<{ bytes: Uint8Array; mime: string }> {
    const meta = await this.#call("GET", `${this.#base}/${encodeURIComponent(mediaId)}`) as {
      url?: string;
      mime_type?: string;
      file_size?: number;
    };
    if (typeof meta.url !== "string") throw new GraphError("the media has no URL", 502);
    if ((meta.file_size ?? 0) > MAX_MEDIA_BYTES) {
      throw new GraphError(`a file of ${meta.file_size} bytes is over the 25 MB limit`, 413);
    }
    const url = this.#mediaUrl(meta.url);
    const response = await this.#fetch("GET", url);
    if (!response.ok) {
      await response.body?.cancel();
      throw new GraphError(`media download: HTTP ${response.status}`, response.status);
    }
    const bytes = response.body === null
      ? new Uint8Array()
      : await readUpTo(response.body, MAX_MEDIA_BYTES);
    if (bytes === undefined) throw new GraphError("the file is over the 25 MB limit", 413);
    return { bytes, mime: meta.mime_type ?? response.headers.get("content-type") ?? "" };
  }

  /**
   * The media URL, if the token may go there: the Graph API's own origin, or https on Meta's
   * hosts (lookaside.fbsbx.com serves WhatsApp media). Anything else is refused.
   */
  #mediaUrl(raw: string): string {
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    const own = url?.origin === new URL(this.#o.apiBase).origin;
    const meta = url?.protocol === "https:" &&
      /(^|\.)(fbsbx\.com|facebook\.com|whatsapp\.net)$/.test(url.hostname);
    if (!url || !(own || meta)) {
      throw new GraphError("the media URL is not on a Meta host; the token is not sent there", 502);
    }
    return url.href;
  }

  #messages(body: Record<string, unknown>): Promise<unknown> {
    return this.#call(
      "POST",
      `${this.#base}/${encodeURIComponent(this.#o.phoneNumberId)}/messages`,
      {
        messaging_product: "whatsapp",
        ...body,
      },
    );
  }

  async #call(method: string, url: string, body?: unknown): Promise<unknown> {
    const response = await this.#fetch(method, url, body);
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok && json !== undefined) return json;
    const error = (json as { error?: GraphErrorBody } | undefined)?.error;
    if (!error) {
      throw new GraphError(`HTTP ${response.status} ${response.statusText}`, response.status);
    }
    const details = error.error_data?.details;
    const message = this.#redact(
      `${response.status} (#${error.code}) ${error.message ?? "error"}${
        details ? `: ${details}` : ""
      }`,
    );
    const never = unreachable(error.code, message);
    if (never !== undefined) {
      throw error.code === OUTSIDE_WINDOW_CODE
        ? new OutsideWindowError(never)
        : new UndeliverableError(never);
    }
    throw new GraphError(message, response.status, error.code);
  }

  async #fetch(method: string, url: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#o.accessToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new GraphError(
        this.#redact(`cannot reach the Graph API: ${(error as Error).message}`),
        0,
      );
    }
  }

  #redact(text: string): string {
    return this.#o.accessToken === "" ? text : text.replaceAll(this.#o.accessToken, "<token>");
  }
}

interface GraphErrorBody {
  readonly message?: string;
  readonly code?: number;
  readonly error_data?: { readonly details?: string };
}
