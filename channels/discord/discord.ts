/**
 * Discord through discord.js: the gateway websocket in, the REST API out, pointed at `apiBase`
 * (`channels.discord.apiBase`, `https://discord.com/api/v10`).
 *
 * - Intents: exactly Guilds, GuildMessages, DirectMessages and MessageContent (a privileged
 *   intent the bot's application must have switched on), with the Channel partial so a DM from a
 *   user whose DM channel is not cached still arrives.
 * - What the agent reads: every DM, and in guild channels (and threads) only messages that
 *   mention the bot, with the mention taken out. Bots, the bot itself included, are never read.
 *   Attachments are downloaded from Discord's CDN only (attachments.ts): audio transcribed by the
 *   agent's speech provider, other files saved into the workspace under `inbox/discord/`.
 * - Chats: a DM's chat is the user's id (so `policy.owners` entries `discord:<user id>` reach
 *   the owner, and the `message` tool reaches a person by `discord:<user id>`); a guild channel's
 *   is `channel/<channel id>`, a thread's is its own channel id, so the answer lands in the
 *   thread the mention was in. Answers reply to the message they answer.
 * - Sending splits at Discord's 2000 characters without breaking code blocks (split.ts); when a
 *   piece fails, a retry of the same delivery (`id`) starts at that piece, while this process
 *   runs. A user or channel that can never be reached (50007: the bot blocked or DMs closed;
 *   `UNREACHABLE`) throws an {@link UndeliverableError}, so the delivery fails at once with that
 *   reason instead of being retried for hours. The typing indicator is renewed while the agent
 *   works.
 * - Every failure is the channel's last error, with no token in it; a gateway that drops shows
 *   as disconnected until it is back.
 *
 * @module
 */
import {
  type APIChannel,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  type Message,
  Partials,
  Routes,
} from "discord.js";
import { UndeliverableError } from "../../core/timeline/mod.ts";
import { splitMessage } from "../split.ts";
import { type Attachment, downloadAttachment, saveAttachment } from "./attachments.ts";
import type { Channel, ChannelStatus, InboundMessage, Inbox, OutboundMessage } from "../types.ts";

/** Discord's longest message. */
export const DISCORD_TEXT_LIMIT = 2000;
/** How often the typing indicator is renewed (Discord shows it for about 10 s). */
const TYPING_EVERY_MS = 8000;
/** The prefix of a guild channel's chat id. */
const GUILD_CHAT = "channel/";

/** The gateway intents the channel asks for, and no others. */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
] as const;

/** What a start refused for the privileged intent says. */
export const DISALLOWED_INTENTS = "Discord refused the Message Content intent: switch on " +
  "Message Content Intent on the application's Bot page in the Developer Portal";

/** What the Discord channel needs. */
export interface DiscordOptions {
  /** The bot token from the Developer Portal. */
  readonly token: string;
  /** The REST API's base with its version (default https://discord.com/api/v10). */
  readonly apiBase?: string;
  /** The agent's workspace, where attachments are saved; absent, they are not read. */
  readonly workspace?: string | undefined;
  /** Speech to text for audio attachments; absent, they are saved like any file. */
  readonly transcribe?: ((audio: Uint8Array, mime: string) => Promise<string>) | undefined;
}

/** The Discord channel; see the module documentation. */
export class DiscordChannel implements Channel {
  readonly name = "discord";
  readonly #token: string;
  readonly #o: DiscordOptions;
  readonly #apiOrigin: string;
  readonly #client: Client;
  #status: { connected: boolean; lastError?: string; lastErrorAt?: string } = { connected: false };
  /** Users' DM channel ids, and pieces of a delivery (`id`) already sent, for a retry. */
  readonly #dms = new Map<string, string>();
  readonly #piecesSent = new Map<string, number>();
  #receiving = Promise.resolve();

  constructor(options: DiscordOptions) {
    this.#token = options.token;
    this.#o = options;
    const { api, version } = restBase(options.apiBase ?? "https://discord.com/api/v10");
    this.#apiOrigin = new URL(api).origin;
    this.#client = new Client({
      intents: [...DISCORD_INTENTS],
      partials: [Partials.Channel],
      // The delivery worker retries failed sends with backoff; discord.js's own immediate
      // retries of a 5xx would only multiply the calls (rate limits it still waits out).
      rest: { api, version, retries: 0 },
    });
  }

  /** Logs in (the gateway checks the token) and starts receiving into `inbox`. */
  async start(inbox: Inbox): Promise<void> {
    const client = this.#client;
    client.on(Events.MessageCreate, (message) => {
      const inbound = this.#inbound(message);
      if (!inbound) return;
      // One at a time, in the order Discord sent them (the inbox queues each chat's turns).
      this.#receiving = this.#receiving.then(() => inbox.receive(inbound)).catch((error) =>
        this.#failed("receive", errorText(error))
      );
    });
    client.on(Events.ShardDisconnect, (event) => {
      this.#status.connected = false;
      this.#failed("gateway", `closed with code ${event.code}`);
    });
    client.on(Events.ShardReconnecting, () => this.#status.connected = false);
    client.on(Events.ShardReady, () => this.#status.connected = true);
    client.on(Events.ShardResume, () => this.#status.connected = true);
    client.on(Events.Error, (error) => this.#failed("gateway", errorText(error)));
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    try {
      await client.login(this.#token);
    } catch (error) {
      this.#failed("login", errorText(error));
      await client.destroy().catch(() => {});
      // Gateway close 4014: the application has not switched the Message Content intent on.
      if (/disallowed intents/i.test(errorText(error))) throw new Error(DISALLOWED_INTENTS);
      throw new Error(this.#redact(errorText(error)));
    }
    await ready;
    this.#status.connected = true;
  }

  async stop(): Promise<void> {
    this.#status.connected = false;
    this.#client.removeAllListeners();
    // Closes the gateway and the client's timers; the REST client gets its token back, so
    // sending still works (the delivery worker's last retries while the gateway stops).
    await this.#client.destroy();
    this.#client.rest.setToken(this.#token);
    await this.#receiving;
  }

  status(): ChannelStatus {
    return { ...this.#status };
  }

  async send(message: OutboundMessage): Promise<void> {
    const pieces = splitMessage(message.text, DISCORD_TEXT_LIMIT);
    const key = message.id;
    let done = key === undefined ? 0 : this.#piecesSent.get(key) ?? 0;
    try {
      const channelId = await this.#channelOf(message.chatId);
      for (const content of pieces.slice(done)) {
        const reply = done === 0 && message.replyTo !== undefined
          ? { message_reference: { message_id: message.replyTo, fail_if_not_exists: false } }
          : {};
        await this.#client.rest.post(Routes.channelMessages(channelId), {
          body: { content, allowed_mentions: { parse: [] }, ...reply },
        });
        done++;
        if (key !== undefined) remember(this.#piecesSent, key, done);
      }
    } catch (error) {
      this.#failed("send", errorText(error));
      const text = this.#redact(errorText(error));
      const never = unreachable(error);
      throw never === undefined ? new Error(text) : new UndeliverableError(`${never} [${text}]`);
    }
    if (key !== undefined) this.#piecesSent.delete(key);
  }

  typing(chatId: string, signal: AbortSignal): void {
    const tick = async () => {
      if (signal.aborted) return;
      const channelId = await this.#channelOf(chatId);
      await this.#client.rest.post(Routes.channelTyping(channelId));
    };
    const quietly = () => void tick().catch(() => {});
    quietly();
    const timer = setInterval(quietly, TYPING_EVERY_MS);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /** The channel id of a chat: a guild channel's own, or a user's DM channel (opened once). */
  async #channelOf(chatId: string): Promise<string> {
    if (chatId.startsWith(GUILD_CHAT)) return chatId.slice(GUILD_CHAT.length);
    let dm = this.#dms.get(chatId);
    if (dm === undefined) {
      const channel = await this.#client.rest.post(Routes.userChannels(), {
        body: { recipient_id: chatId },
      }) as APIChannel;
      remember(this.#dms, chatId, dm = channel.id);
    }
    return dm;
  }

  /** The message the agent reads, or undefined for one it does not (see the module doc). */
  #inbound(message: Message): InboundMessage | undefined {
    const me = this.#client.user?.id;
    if (message.author.bot || me === undefined) return undefined;
    const inGuild = message.guildId !== null;
    if (inGuild && !message.mentions.users.has(me)) return undefined;
    const text = message.content.replaceAll(new RegExp(`<@!?${me}>`, "g"), "").trim();
    const files: Attachment[] = [...message.attachments.values()].map((a) => ({
      name: `${message.id}-${a.name}`,
      url: a.url,
      size: a.size,
      contentType: a.contentType ?? undefined,
    }));
    const media = files.length > 0 && this.#o.workspace !== undefined
      ? () => Promise.all(files.map((f) => this.#read(f))).then((lines) => lines.join("\n"))
      : undefined;
    if (text === "" && media === undefined) return undefined;
    if (!inGuild) remember(this.#dms, message.author.id, message.channelId);
    return {
      channel: this.name,
      messageId: message.id,
      chatId: inGuild ? `${GUILD_CHAT}${message.channelId}` : message.author.id,
      sender: message.author.id,
      text,
      replyTo: message.id,
      media,
    };
  }

  /** What the agent reads of an attachment: a transcript, or where it was saved. */
  async #read(file: Attachment): Promise<string> {
    const audio = file.contentType?.startsWith("audio/") === true && this.#o.transcribe;
    try {
      const bytes = await downloadAttachment(file, this.#apiOrigin);
      if (audio) return `[voice note] ${await audio(bytes, file.contentType!)}`;
      const path = await saveAttachment(this.#o.workspace!, file.name, bytes);
      return `[file saved in the workspace: ${path}]`;
    } catch (error) {
      return `[an attachment that could not be read: ${this.#redact(errorText(error))}]`;
    }
  }

  #failed(what: string, why: string): void {
    this.#status.lastError = `${what}: ${this.#redact(why)}`;
    this.#status.lastErrorAt = new Date().toISOString();
  }

  #redact(text: string): string {
    return this.#token === "" ? text : text.replaceAll(this.#token, "<token>");
  }
}

/** Sets `key` in `map` as its newest entry; past 1000 entries the oldest is forgotten. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > 1000) map.delete(map.keys().next().value!);
}

/** discord.js takes the API's root and its version apart: `…/api/v10` -> `…/api`, `10`. */
export function restBase(apiBase: string): { api: string; version: string } {
  const trimmed = apiBase.replace(/\/+$/, "");
  const match = /^(.*)\/v(\d+)$/.exec(trimmed);
  return match ? { api: match[1]!, version: match[2]! } : { api: trimmed, version: "10" };
}

/**
 * Discord's JSON error codes that no retry can change, with why: the one place Discord's permanent
 * refusals are named. 50007 is Discord's "Cannot send messages to this user" (the person blocked
 * the bot, closed DMs from server members, or shares no server with it any more).
 */
const UNREACHABLE: Readonly<Record<number, string>> = {
  50007: "Discord will not deliver to this user: they blocked the bot, do not take direct " +
    "messages from server members, or share no server with it any more",
  10003: "Discord knows no such channel (it was deleted, or the bot cannot see it)",
  10013: "Discord knows no such user",
};

/** Why no retry can deliver, for Discord's answers that say so; undefined for the rest. */
function unreachable(error: unknown): string | undefined {
  return error instanceof DiscordAPIError && typeof error.code === "number"
    ? UNREACHABLE[error.code]
    : undefined;
}

function errorText(error: unknown): string {
  // discord.js's DiscordAPIError (Discord's own answer) and HTTPError (a bare 5xx) carry it.
  if (error instanceof DiscordAPIError || error instanceof HTTPError) {
    return `${error.status} ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
