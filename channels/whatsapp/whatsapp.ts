/**
 * WhatsApp through the official Cloud API (no unofficial client).
 *
 * - In: Meta calls a webhook, which this channel serves on a listener of its own
 *   (`webhookHost:webhookPort`, path {@link WEBHOOK_PATH}; put a TLS proxy in front). The
 *   subscription check echoes the challenge only for the right verify token (else 403); a
 *   notification's body is read up to 1 MiB as it streams in (more is a 413: body.ts),
 *   and handled only when its `X-Hub-Signature-256` signs the raw body under the app secret
 *   (else 401, and nothing is handled). The listener serves nothing else: every other path
 *   is 404, other methods 405, and it never sees the gateway's API or token.
 * - Text, voice notes and audio (downloaded through the Graph API's media endpoint, transcribed by
 *   the agent's speech provider), images, videos and documents (saved into the workspace under
 *   `inbox/whatsapp/`) become {@link InboundMessage}s whose id is the message's `wamid`.
 * - Out: texts split at WhatsApp's 4096 characters (split.ts), the first replying to the message
 *   it answers; a retry of the same delivery (`id`) starts at the piece that failed, while this
 *   process runs. While the agent works, the message it answers is marked read with the typing
 *   indicator. A text refused for good (the 24-hour customer-service window closed, a number not
 *   on WhatsApp: graph.ts's `unreachable`) throws an `UndeliverableError`, which fails the
 *   delivery at once with that reason on the task.
 * - Statuses Meta reports for sent messages: a `failed` one is the channel's last error, and the
 *   failed delivery of the task the message was sent for ({@link Inbox.undelivered}), with the
 *   same reason when its code is one no retry can change.
 *
 * @module
 */
import { saveInbound } from "../media.ts";
import { readWebhookBody } from "../body.ts";
import { serveWebhook } from "../webhook_listener.ts";
import { splitMessage } from "../split.ts";
import type { Channel, ChannelStatus, InboundMessage, Inbox, OutboundMessage } from "../types.ts";
import { GraphClient, unreachable } from "./graph.ts";
import {
  parseNotification,
  signatureValid,
  verifyChallenge,
  type WhatsAppMessage,
  type WhatsAppStatus,
} from "./webhook.ts";

/** WhatsApp's longest text message. */
export const WHATSAPP_TEXT_LIMIT = 4096;
/** Where the webhook listener takes Meta's calls. */
export const WEBHOOK_PATH = "/whatsapp/webhook";
/** How often the typing indicator is renewed (WhatsApp shows it for about 25 s). */
const TYPING_EVERY_MS = 20_000;

/** The keys WhatsApp cannot run without, with what each is. */
const REQUIRED = [
  ["phoneNumberId", "the id of the business phone number, from the app's WhatsApp set-up"],
  ["accessToken", "a system user's access token with the whatsapp_business_messaging permission"],
  ["appSecret", "the app's secret, which checks that webhook calls come from Meta"],
  ["verifyToken", "any secret text, given again to Meta when subscribing the webhook"],
] as const;

/** What the WhatsApp channel needs. */
export interface WhatsAppOptions {
  readonly phoneNumberId: string;
  readonly accessToken: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  /** The Graph API's root (default https://graph.facebook.com). */
  readonly apiBase?: string;
  /** Default v21.0. */
  readonly apiVersion?: string;
  readonly webhookHost?: string;
  /** 0: any free port. */
  readonly webhookPort?: number;
  /** The agent's workspace, where images and documents are saved. */
  readonly workspace: string;
  /** Speech to text for voice notes; absent, a voice note says it could not be heard. */
  readonly transcribe?: ((audio: Uint8Array, mime: string) => Promise<string>) | undefined;
}

/** The WhatsApp channel; see the module documentation. */
export class WhatsAppChannel implements Channel {
  readonly name = "whatsapp";
  readonly #o: WhatsAppOptions;
  readonly #graph: GraphClient;
  #status: { connected: boolean; lastError?: string; lastErrorAt?: string; listening?: string } = {
    connected: false,
  };
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #inbox: Inbox | undefined;
  /** The last message of each chat, which the typing indicator marks read. */
  readonly #lastMessage = new Map<string, string>();
  /** Pieces of a delivery (`id`) already sent, for a retry that starts at the one that failed. */
  readonly #piecesSent = new Map<string, number>();
  /** The delivery (`id`) each message WhatsApp took belongs to, for Meta's later statuses. */
  readonly #sentFor = new Map<string, string>();

  constructor(options: WhatsAppOptions) {
    for (const [key, what] of REQUIRED) {
      if (!options[key]) {
        throw new TypeError(`Cannot run WhatsApp without channels.whatsapp.${key} (${what})`);
      }
    }
    this.#o = options;
    this.#graph = new GraphClient({
      apiBase: options.apiBase ?? "https://graph.facebook.com",
      apiVersion: options.apiVersion ?? "v21.0",
      phoneNumberId: options.phoneNumberId,
      accessToken: options.accessToken,
    });
  }

  /**
   * Checks the access token and phone number id with the Graph API (rejecting when they do not
   * work), then starts the webhook listener, handing what arrives to `inbox`.
   */
  async start(inbox: Inbox): Promise<void> {
    try {
      await this.#graph.phoneNumber();
    } catch (error) {
      this.#failed("phone number", error);
      throw error;
    }
    this.#inbox = inbox;
    this.#server = await serveWebhook({
      host: this.#o.webhookHost ?? "127.0.0.1",
      port: this.#o.webhookPort ?? 8444,
      handler: (request) => this.#handle(request),
      onError: (error) => this.#failed("webhook", error),
    });
    const addr = this.#server.addr;
    this.#status.listening = `${addr.hostname}:${addr.port}`;
    this.#status.connected = true;
  }

  async stop(): Promise<void> {
    this.#status.connected = false;
    if (this.#server) {
      await this.#server.shutdown();
      this.#server = undefined;
    }
  }

  status(): ChannelStatus {
    return { ...this.#status };
  }

  /** The webhook listener's address, once listening. */
  get webhookAddress(): Deno.NetAddr | undefined {
    return this.#server?.addr;
  }

  async send(message: OutboundMessage): Promise<void> {
    const pieces = splitMessage(message.text, WHATSAPP_TEXT_LIMIT);
    const key = message.id;
    let done = key === undefined ? 0 : this.#piecesSent.get(key) ?? 0;
    for (const text of pieces.slice(done)) {
      const replyTo = done === 0 ? message.replyTo : undefined;
      try {
        const sent = await this.#graph.sendText(message.chatId, text, replyTo);
        if (key !== undefined && sent !== "") remember(this.#sentFor, sent, key);
      } catch (error) {
        this.#failed("send", error);
        throw error;
      }
      done++;
      if (key !== undefined) remember(this.#piecesSent, key, done);
    }
    if (key !== undefined) this.#piecesSent.delete(key);
  }

  typing(chatId: string, signal: AbortSignal): void {
    const messageId = this.#lastMessage.get(chatId);
    if (messageId === undefined) return;
    const tick = () => {
      if (!signal.aborted) this.#graph.typing(messageId).catch(() => {});
    };
    tick();
    const timer = setInterval(tick, TYPING_EVERY_MS);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== WEBHOOK_PATH) return new Response("Not Found", { status: 404 });
    if (request.method === "GET") {
      const challenge = verifyChallenge(url.searchParams, this.#o.verifyToken);
      return challenge === undefined
        ? new Response("Forbidden", { status: 403 })
        : new Response(challenge, { headers: { "content-type": "text/plain" } });
    }
    if (request.method !== "POST") return new Response("Method Not Allowed", { status: 405 });
    const body = await readWebhookBody(request);
    if (body === undefined) return new Response("Payload Too Large", { status: 413 });
    const signature = request.headers.get("x-hub-signature-256");
    if (!signatureValid(body, signature, this.#o.appSecret)) {
      return new Response("Unauthorized", { status: 401 });
    }
    let notification;
    try {
      notification = parseNotification(new TextDecoder().decode(body), this.#o.phoneNumberId);
    } catch (error) {
      this.#failed("webhook", error);
      return new Response("Bad Request", { status: 400 });
    }
    for (const status of notification.statuses) this.#onStatus(status);
    for (const m of notification.messages) {
      const inbound = this.#inbound(m);
      if (inbound) await this.#inbox?.receive(inbound);
    }
    return new Response("OK");
  }

  /** The message the agent reads, or undefined for what it does not (stickers, reactions, ...). */
  #inbound(m: WhatsAppMessage): InboundMessage | undefined {
    remember(this.#lastMessage, m.from, m.id);
    const base = {
      channel: this.name,
      messageId: m.id,
      chatId: m.from,
      sender: m.from,
      replyTo: m.id,
    };
    if (m.type === "text" && m.text) return { ...base, text: m.text.body };
    if (m.type === "audio" && m.audio) {
      const audio = m.audio;
      return { ...base, text: "", media: () => this.#hear(audio.id, audio.mime_type) };
    }
    const file = m.type === "image" || m.type === "video" || m.type === "document"
      ? m[m.type]
      : undefined;
    if (!file) return undefined;
    const name = `${m.timestamp ?? Date.now()}-${
      file.filename ?? `${m.type}${extension(file.mime_type)}`
    }`;
    return { ...base, text: file.caption ?? "", media: () => this.#save(file.id, name) };
  }

  async #hear(mediaId: string, mime: string | undefined): Promise<string> {
    if (!this.#o.transcribe) return "[a voice note, which this agent cannot transcribe]";
    try {
      const audio = await this.#graph.media(mediaId);
      const text = await this.#o.transcribe(audio.bytes, mime ?? (audio.mime || "audio/ogg"));
      return `[voice note] ${text}`;
    } catch (error) {
      return `[a voice note that could not be transcribed: ${errorText(error)}]`;
    }
  }

  async #save(mediaId: string, name: string): Promise<string> {
    try {
      const file = await this.#graph.media(mediaId);
      const path = await saveInbound(this.#o.workspace, this.name, name, file.bytes);
      return `[file saved in the workspace: ${path}]`;
    } catch (error) {
      return `[a file that could not be saved: ${errorText(error)}]`;
    }
  }

  /** A `failed` status is the last error, and the failed delivery of the task it belongs to. */
  #onStatus(status: WhatsAppStatus): void {
    if (status.status !== "failed") return;
    const e = status.errors?.[0];
    const why = e ? `(#${e.code}) ${e.title ?? e.message ?? ""}` : "no reason given";
    this.#failed(
      "status",
      new Error(`message ${status.id} to ${status.recipient_id} failed: ${why}`),
    );
    const id = this.#sentFor.get(status.id);
    if (id === undefined) return;
    this.#sentFor.delete(status.id);
    const reason = unreachable(e?.code, why) ?? `WhatsApp reported ${why}`;
    this.#inbox?.undelivered?.(id, reason);
  }

  #failed(what: string, error: unknown): void {
    this.#status.lastError = `${what}: ${errorText(error)}`;
    this.#status.lastErrorAt = new Date().toISOString();
  }
}

/** Sets `key` last in `map`, forgetting the oldest entry past 1000. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > 1000) map.delete(map.keys().next().value!);
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/webp": ".webp",
  "video/mp4": ".mp4",
  "application/pdf": ".pdf",
};

function extension(mime: string | undefined): string {
  return EXTENSIONS[(mime ?? "").split(";")[0]!.trim()] ?? "";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
