/**
 * A fake of Meta's side of the WhatsApp Cloud API: a real HTTP server on 127.0.0.1 (port 0)
 * speaking the Graph API's wire format, and Meta's calls to a webhook, signed as Meta signs them.
 *
 * Graph API (`url` is the channel's `apiBase`), every call needing `Authorization: Bearer
 * <accessToken>` (else 401 with Graph error 190):
 * - `POST /{version}/{phone-number-id}/messages`: a text (`type: "text"`, at most 4096
 *   characters, else 400 with error 100) answers `{messaging_product, contacts, messages: [{id}]}`;
 *   `status: "read"` (with `typing_indicator`) answers `{success: true}`. A recipient in
 *   {@link FakeWhatsApp.outsideWindow} gets 400 with error 131047 (Re-engagement message), as a
 *   chat whose 24-hour window has closed does; one in {@link FakeWhatsApp.notOnWhatsApp} gets 400
 *   with error 131026 (Message undeliverable), as a number without WhatsApp does.
 * - `GET /{version}/{phone-number-id}`: the number's `verified_name` and `display_phone_number`.
 * - `GET /{version}/{media-id}`: the medium's `{url, mime_type, sha256, file_size, id}`, its url
 *   on this server (`/media/<id>`), whose download needs the same token.
 *
 * Meta's side: {@link FakeWhatsApp.deliver} posts a notification to a webhook with
 * `X-Hub-Signature-256` over the raw body under the app secret; {@link textMessage} and friends
 * build the messages Meta notifies.
 *
 * @module
 */
import { createHash, createHmac } from "node:crypto";
import { countedBody } from "./_counted_body.ts";

/** The fake's phone number id, app secret and token. */
export const PHONE_NUMBER_ID = "106540352242922";
export const APP_SECRET = "fake-app-secret-0123";
export const VERIFY_TOKEN = "fake-verify-token-4567";
export const GRAPH_VERSION = "v21.0";

/** A text the business sent. */
export interface SentText {
  readonly to: string;
  readonly text: string;
  /** The message it replies to (`context.message_id`). */
  readonly replyTo: string | undefined;
  readonly id: string;
}

/** One Graph API call as the fake received it. */
export interface GraphCall {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown> | undefined;
  readonly status: number;
}

/** A running fake; see the module documentation. */
export interface FakeWhatsApp extends AsyncDisposable {
  /** The Graph API's root for the channel's `apiBase`: `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly accessToken: string;
  readonly sent: readonly SentText[];
  /** The message ids marked read with the typing indicator. */
  readonly typing: readonly string[];
  readonly calls: readonly GraphCall[];
  /** While true, every messages call answers 502 Bad Gateway. */
  down: boolean;
  /** Recipients whose customer-service window has closed. */
  readonly outsideWindow: Set<string>;
  /** Recipients WhatsApp cannot deliver to (no WhatsApp account): error 131026. */
  readonly notOnWhatsApp: Set<string>;
  /** Where media metadata says a medium is downloaded from (default: this server). */
  mediaOrigin: string;
  /** Stores a medium; returns its id. */
  addMedia(bytes: Uint8Array, mime: string): string;
  /** Whether media metadata gives `file_size` (default true). */
  mediaSizeKnown: boolean;
  /** Bytes of media the downloads gave so far (a client that stops reading stops it). */
  mediaBytesServed: number;
  /** Posts `notification` to `webhook` signed with `secret` (default the app secret). */
  deliver(webhook: string, notification: unknown, secret?: string): Promise<Response>;
}

let nextId = 1;

/** A `wamid` as Meta makes them (opaque, unique). */
export function wamid(): string {
  return `wamid.HBgLFAKE${Date.now().toString(36)}${(nextId++).toString(36)}AA==`;
}

/** A notification carrying `messages` (and `statuses`) for the fake's number. */
export function notification(
  messages: readonly Record<string, unknown>[],
  statuses: readonly Record<string, unknown>[] = [],
  phoneNumberId = PHONE_NUMBER_ID,
): Record<string, unknown> {
  const value: Record<string, unknown> = {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: "15550001111", phone_number_id: phoneNumberId },
  };
  if (messages.length > 0) {
    value.contacts = messages.map((m) => ({ profile: { name: "Someone" }, wa_id: m.from }));
    value.messages = messages;
  }
  if (statuses.length > 0) value.statuses = statuses;
  return {
    object: "whatsapp_business_account",
    entry: [{ id: "102290129340398", changes: [{ value, field: "messages" }] }],
  };
}

/** A text message from `from` as Meta notifies it. */
export function textMessage(from: string, body: string, id = wamid()): Record<string, unknown> {
  return {
    from,
    id,
    timestamp: String(Math.floor(Date.now() / 1000)),
    type: "text",
    text: { body },
  };
}

/** A medium message (`audio`, `image`, `document`, `video`) from `from`. */
export function mediaMessage(
  from: string,
  type: "audio" | "image" | "document" | "video",
  media: { id: string; mime: string; caption?: string; filename?: string },
): Record<string, unknown> {
  const body: Record<string, unknown> = { id: media.id, mime_type: media.mime, sha256: "x" };
  if (media.caption !== undefined) body.caption = media.caption;
  if (media.filename !== undefined) body.filename = media.filename;
  if (type === "audio") body.voice = true;
  return {
    from,
    id: wamid(),
    timestamp: String(Math.floor(Date.now() / 1000)),
    type,
    [type]: body,
  };
}

/** Starts a fake; `accessToken` is the only token it accepts. */
export function startFakeWhatsApp(accessToken = "EAAGfake-access-token"): Promise<FakeWhatsApp> {
  const sent: SentText[] = [];
  const typing: string[] = [];
  const calls: GraphCall[] = [];
  const media = new Map<string, { bytes: Uint8Array; mime: string }>();
  const graphError = (status: number, code: number, message: string, details?: string) =>
    Response.json({
      error: {
        message,
        type: "OAuthException",
        code,
        ...(details ? { error_data: { messaging_product: "whatsapp", details } } : {}),
        fbtrace_id: "AfakeTrace",
      },
    }, { status });

  function messages(body: Record<string, unknown>): Response {
    if (body.messaging_product !== "whatsapp") {
      return graphError(400, 100, "(#100) The parameter messaging_product is required.");
    }
    if (body.status === "read") {
      typing.push(String(body.message_id));
      return Response.json({ success: true });
    }
    if (fake.down) return new Response("Bad Gateway", { status: 502 });
    const to = String(body.to ?? "");
    const text = (body.text as { body?: string } | undefined)?.body ?? "";
    if (body.type !== "text" || text === "") {
      return graphError(400, 100, "(#100) Invalid parameter");
    }
    if (text.length > 4096) {
      return graphError(
        400,
        100,
        "(#100) Param text['body'] must be at most 4096 characters long.",
      );
    }
    if (fake.outsideWindow.has(to)) {
      return graphError(
        400,
        131047,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last " +
          "replied to this number.",
      );
    }
    if (fake.notOnWhatsApp.has(to)) {
      return graphError(
        400,
        131026,
        "(#131026) Message undeliverable",
        "Message failed to send because the recipient is not a WhatsApp user.",
      );
    }
    const id = wamid();
    const context = body.context as { message_id?: string } | undefined;
    sent.push({ to, text, replyTo: context?.message_id, id });
    return Response.json({
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id }],
    });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.headers.get("authorization") !== `Bearer ${accessToken}`) {
      return graphError(401, 190, "Invalid OAuth access token - Cannot parse access token");
    }
    const download = /^\/media\/([^/]+)$/.exec(url.pathname);
    if (download && request.method === "GET") {
      const found = media.get(download[1]!);
      const body = found && countedBody(found.bytes, (n) => fake.mediaBytesServed += n);
      return body
        ? new Response(body, { headers: { "content-type": found.mime } })
        : new Response("Not Found", { status: 404 });
    }
    const send = new RegExp(`^/${GRAPH_VERSION}/${PHONE_NUMBER_ID}/messages$`).exec(url.pathname);
    if (send && request.method === "POST") return messages(await request.json());
    if (url.pathname === `/${GRAPH_VERSION}/${PHONE_NUMBER_ID}` && request.method === "GET") {
      return Response.json({
        verified_name: "KafClaw Test",
        display_phone_number: "+1 555-000-1111",
        id: PHONE_NUMBER_ID,
      });
    }
    const meta = new RegExp(`^/${GRAPH_VERSION}/([^/]+)$`).exec(url.pathname);
    if (meta && request.method === "GET") {
      const found = media.get(meta[1]!);
      if (!found) return graphError(400, 100, "(#100) Invalid media id");
      return Response.json({
        messaging_product: "whatsapp",
        url: `${fake.mediaOrigin}/media/${meta[1]}`,
        mime_type: found.mime,
        sha256: createHash("sha256").update(found.bytes).digest("hex"),
        ...(fake.mediaSizeKnown ? { file_size: found.bytes.length } : {}),
        id: meta[1],
      });
    }
    return graphError(400, 100, "Unsupported request");
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    const url = new URL(r.url);
    const body = r.method === "POST" ? await r.clone().json().catch(() => undefined) : undefined;
    const response = await handle(r);
    calls.push({ method: r.method, path: url.pathname, body, status: response.status });
    return response;
  });
  const { port } = server.addr;

  const fake: FakeWhatsApp = {
    url: `http://127.0.0.1:${port}`,
    accessToken,
    sent,
    typing,
    calls,
    down: false,
    outsideWindow: new Set(),
    notOnWhatsApp: new Set(),
    mediaOrigin: `http://127.0.0.1:${port}`,
    mediaSizeKnown: true,
    mediaBytesServed: 0,
    addMedia(bytes, mime) {
      const id = `${1000000 + media.size}`;
      media.set(id, { bytes, mime });
      return id;
    },
    deliver(webhook, body, secret = APP_SECRET) {
      const raw = JSON.stringify(body);
      const signature = createHmac("sha256", secret).update(raw).digest("hex");
      return fetch(webhook, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": `sha256=${signature}`,
        },
        body: raw,
      });
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
  return Promise.resolve(fake);
}
