/**
 * Telegram through grammY's Bot API client, pointed at `apiRoot` (`channels.telegram.apiBase`).
 *
 * - Updates arrive by long polling (`getUpdates`), or on a webhook: a listener of its own on
 *   `webhookHost:webhookPort` takes Telegram's POSTs, answers 401 and handles nothing when the
 *   `X-Telegram-Bot-Api-Secret-Token` header is not the configured secret (which webhook mode
 *   requires, at least 16 characters; compared before the body is read), reads the body up to 1 MiB as it streams in
 *   (more is a 413, a body that is not JSON a 400: body.ts), and registers `webhookUrl`
 *   with `setWebhook` when one is configured.
 * - Text, captions, voice notes and audio (transcribed by the agent's speech provider), photos and
 *   documents (saved into the workspace, media.ts) become {@link InboundMessage}s with the id
 *   `<chat>:<message>`, replies to the message they answer.
 * - Sending splits at Telegram's 4096 characters without breaking Markdown (split.ts) and sends
 *   Markdown; a piece Telegram cannot parse as Markdown is sent again as plain text. When a piece
 *   fails, a retry of the same delivery (`id`) starts at that piece, while this process runs. A
 *   chat that can never be reached (the bot blocked, the account deleted: `unreachable`)
 *   throws an {@link UndeliverableError}, so the delivery fails at once with that reason instead
 *   of being retried for hours.
 * - Every API call that fails is the channel's last error (with no token in it); polling that
 *   fails shows as disconnected until a call succeeds again.
 *
 * @module
 */
import { Bot, type Context, GrammyError, webhookCallback } from "grammy";
import { shortSecret } from "../../core/config/mod.ts";
import { UndeliverableError } from "../../core/timeline/mod.ts";
import { splitMessage } from "../split.ts";
import { readWebhookBody, sameSecret } from "../body.ts";
import { parsedUpdate, type Update } from "./parsed_update.ts";
import { serveWebhook } from "../webhook_listener.ts";
import type { Channel, ChannelStatus, InboundMessage, Inbox, OutboundMessage } from "../types.ts";
import { downloadFile, saveToWorkspace } from "./media.ts";

/** Telegram's longest text message. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** How often the typing indicator is renewed (Telegram shows it for 5 s). */
const TYPING_EVERY_MS = 4000;
/** The header Telegram sends the webhook's secret in. */
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** What the Telegram channel needs. */
export interface TelegramOptions {
  /** The bot token from BotFather. */
  readonly token: string;
  /** The Bot API's root, without a trailing `/` (default https://api.telegram.org). */
  readonly apiRoot?: string;
  readonly mode: "polling" | "webhook";
  /** Webhook mode: the secret Telegram sends with every update (required). */
  readonly webhookSecret?: string | undefined;
  /** Webhook mode: the public URL to register with setWebhook; absent, it is left as it is. */
  readonly webhookUrl?: string | undefined;
  readonly webhookHost?: string;
  /** 0: any free port. */
  readonly webhookPort?: number;
  /** The agent's workspace, where photos and documents are saved. */
  readonly workspace: string;
  /** Speech to text for voice notes; absent, a voice note says it could not be heard. */
  readonly transcribe?: ((audio: Uint8Array, mime: string) => Promise<string>) | undefined;
  /** Seconds a getUpdates call waits for updates (default 30). */
  readonly pollTimeoutSeconds?: number;
}

/** The Telegram channel; see the module documentation. */
export class TelegramChannel implements Channel {
  readonly name = "telegram";
  readonly #o: TelegramOptions;
  readonly #apiRoot: string;
  readonly #bot: Bot;
  #status: { connected: boolean; lastError?: string; lastErrorAt?: string; listening?: string } = {
    connected: false,
  };
  #polling: Promise<void> | undefined;
  #server: Deno.HttpServer | undefined;
  #stopping = false;
  readonly #piecesSent = new Map<string, number>();

  constructor(options: TelegramOptions) {
    if (options.mode === "webhook" && !options.webhookSecret) {
      throw new TypeError(
        "Cannot run Telegram in webhook mode without channels.telegram.webhookSecret: anyone " +
          "could post updates to the listener",
      );
    }
    // Whoever has the secret posts updates as any sender, the owner included.
    const short = options.mode === "webhook"
      ? shortSecret("channels.telegram.webhookSecret", options.webhookSecret ?? "")
      : undefined;
    if (short !== undefined) throw new TypeError(`Cannot run Telegram in webhook mode: ${short}`);
    this.#o = options;
    this.#apiRoot = (options.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
    this.#bot = new Bot(options.token, { client: { apiRoot: this.#apiRoot } });
    this.#bot.api.config.use(async (call, method, payload, signal) => {
      try {
        const result = await call(method, payload, signal);
        if (result.ok) {
          const receiving = method === "getUpdates" || method === "getMe";
          if (receiving && !this.#stopping) this.#status.connected = true;
        } else this.#failed(method, `${result.error_code} ${result.description}`);
        return result;
      } catch (error) {
        if (!signal?.aborted) this.#failed(method, errorText(error));
        throw error;
      }
    });
  }

  /** Connects (getMe checks the token) and starts receiving into `inbox`. */
  async start(inbox: Inbox): Promise<void> {
    const bot = this.#bot;
    bot.on("message", async (ctx) => {
      const message = this.#inbound(ctx);
      if (message) await inbox.receive(message);
    });
    bot.catch((error) => this.#failed("update", errorText(error.error)));
    await bot.init();
    if (this.#o.mode === "webhook") return this.#listen();
    const started = Promise.withResolvers<void>();
    this.#polling = bot.start({
      timeout: this.#o.pollTimeoutSeconds ?? 30,
      allowed_updates: ["message"],
      onStart: () => started.resolve(),
    }).catch((error) => {
      this.#status.connected = false;
      this.#failed("getUpdates", errorText(error));
      started.reject(error);
    });
    await started.promise;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#status.connected = false;
    if (this.#server) {
      await this.#server.shutdown();
      this.#server = undefined;
    }
    if (this.#bot.isRunning()) await this.#bot.stop().catch(() => {});
    await this.#polling;
  }

  status(): ChannelStatus {
    return { ...this.#status };
  }

  /** The webhook listener's address, once listening. */
  get webhookAddress(): Deno.NetAddr | undefined {
    return this.#server?.addr as Deno.NetAddr | undefined;
  }

  async send(message: OutboundMessage): Promise<void> {
    const pieces = splitMessage(message.text, TELEGRAM_TEXT_LIMIT);
    const key = message.id;
    let done = key === undefined ? 0 : this.#piecesSent.get(key) ?? 0;
    for (const text of pieces.slice(done)) {
      await this.#sendPiece(message, text, done === 0);
      done++;
      if (key !== undefined) this.#remember(key, done);
    }
    if (key !== undefined) this.#piecesSent.delete(key);
  }

  async #sendPiece(message: OutboundMessage, text: string, first: boolean): Promise<void> {
    const reply = first && message.replyTo !== undefined
      ? {
        reply_parameters: {
          message_id: Number(message.replyTo),
          allow_sending_without_reply: true,
        },
      }
      : {};
    try {
      try {
        await this.#bot.api.sendMessage(message.chatId, text, { parse_mode: "Markdown", ...reply });
      } catch (error) {
        if (!(error instanceof GrammyError && /can't parse entities/i.test(error.description))) {
          throw error;
        }
        await this.#bot.api.sendMessage(message.chatId, text, reply);
      }
    } catch (error) {
      const text = this.#redact(errorText(error));
      const never = unreachable(error);
      throw never === undefined ? new Error(text) : new UndeliverableError(`${never} [${text}]`);
    }
  }

  /** Pieces of `key` already sent, for a retry; the oldest forgotten past a bound. */
  #remember(key: string, sent: number): void {
    this.#piecesSent.delete(key);
    this.#piecesSent.set(key, sent);
    if (this.#piecesSent.size > 1000) {
      this.#piecesSent.delete(this.#piecesSent.keys().next().value!);
    }
  }

  typing(chatId: string, signal: AbortSignal): void {
    const tick = () => {
      if (!signal.aborted) this.#bot.api.sendChatAction(chatId, "typing").catch(() => {});
    };
    tick();
    const timer = setInterval(tick, TYPING_EVERY_MS);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  async #listen(): Promise<void> {
    // The constructor made sure there is a secret.
    const secret = this.#o.webhookSecret ?? "";
    const handle = webhookCallback(this.#bot, parsedUpdate, {
      secretToken: secret,
      onTimeout: "return",
    });
    this.#server = await serveWebhook({
      host: this.#o.webhookHost ?? "127.0.0.1",
      port: this.#o.webhookPort ?? 8443,
      onError: (error) => this.#failed("webhook", errorText(error)),
      handler: async (request) => {
        if (request.method !== "POST") {
          return new Response("Method Not Allowed", { status: 405 });
        }
        // The secret first: a stranger's body is neither read nor judged.
        if (!sameSecret(request.headers.get(SECRET_HEADER) ?? "", secret)) {
          return new Response("Unauthorized", { status: 401 });
        }
        const body = await readWebhookBody(request);
        if (body === undefined) return new Response("Payload Too Large", { status: 413 });
        let update: Update;
        try {
          update = JSON.parse(new TextDecoder().decode(body));
        } catch {
          this.#failed("webhook", "an update that is not JSON");
          return new Response("Bad Request", { status: 400 });
        }
        // Parsed once: grammY gets the value, not the body to parse again.
        return await handle(update, request.headers.get(SECRET_HEADER) ?? undefined);
      },
    });
    const addr = this.#server.addr as Deno.NetAddr;
    this.#status.listening = `${addr.hostname}:${addr.port}`;
    if (this.#o.webhookUrl !== undefined) {
      await this.#bot.api.setWebhook(this.#o.webhookUrl, {
        secret_token: secret,
        allowed_updates: ["message"],
      });
    }
    this.#status.connected = true;
  }

  /** The message of an update, or undefined for what the agent does not read (stickers, ...). */
  #inbound(ctx: Context): InboundMessage | undefined {
    const m = ctx.message;
    if (!m || !m.from) return undefined;
    const base = {
      channel: this.name,
      messageId: `${m.chat.id}:${m.message_id}`,
      chatId: String(m.chat.id),
      sender: String(m.from.id),
      replyTo: String(m.message_id),
    };
    const text = m.text ?? m.caption ?? "";
    const voice = m.voice ?? m.audio;
    if (voice) {
      const mime = voice.mime_type ?? "audio/ogg";
      return { ...base, text, media: () => this.#hear(voice.file_id, mime) };
    }
    const photo = m.photo?.at(-1);
    const file = photo
      ? { id: photo.file_id, name: `${m.message_id}-photo.jpg` }
      : m.document
      ? { id: m.document.file_id, name: `${m.message_id}-${m.document.file_name ?? "document"}` }
      : undefined;
    if (file) return { ...base, text, media: () => this.#save(file.id, file.name) };
    return text === "" ? undefined : { ...base, text };
  }

  async #fetch(fileId: string): Promise<Uint8Array> {
    const file = await this.#bot.api.getFile(fileId);
    if (!file.file_path) throw new Error("Telegram gave no path for the file");
    return await downloadFile(this.#apiRoot, this.#o.token, file.file_path);
  }

  async #hear(fileId: string, mime: string): Promise<string> {
    if (!this.#o.transcribe) return "[a voice note, which this agent cannot transcribe]";
    try {
      return `[voice note] ${await this.#o.transcribe(await this.#fetch(fileId), mime)}`;
    } catch (error) {
      return `[a voice note that could not be transcribed: ${this.#redact(errorText(error))}]`;
    }
  }

  async #save(fileId: string, name: string): Promise<string> {
    try {
      const path = await saveToWorkspace(this.#o.workspace, name, await this.#fetch(fileId));
      return `[file saved in the workspace: ${path}]`;
    } catch (error) {
      return `[a file that could not be saved: ${this.#redact(errorText(error))}]`;
    }
  }

  #failed(what: string, why: string): void {
    if (what === "getUpdates") this.#status.connected = false;
    this.#status.lastError = `${what}: ${this.#redact(why)}`;
    this.#status.lastErrorAt = new Date().toISOString();
  }

  #redact(text: string): string {
    return text.replaceAll(this.#o.token, "<token>");
  }
}

/**
 * Why no retry can deliver to a chat, for Telegram's answers that say so; undefined for the rest.
 * Every 403 is one ("Forbidden: bot was blocked by the user", "user is deactivated", "bot can't
 * initiate conversation with a user", "bot was kicked from the group chat"), and so is a 400 for a
 * chat Telegram does not know. The one place Telegram's permanent refusals are named.
 */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof GrammyError)) return undefined;
  if (error.error_code === 403) {
    return "Telegram will not deliver to this chat: the person blocked the bot, deleted their " +
      "account or never started it, or the bot left the group; they must write to it again";
  }
  if (error.error_code === 400 && /chat not found/i.test(error.description)) {
    return "Telegram knows no such chat";
  }
  return undefined;
}

function errorText(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  return error instanceof Error ? error.message : String(error);
}
