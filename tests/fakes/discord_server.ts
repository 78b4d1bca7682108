/**
 * A fake Discord: a real HTTP server on 127.0.0.1 (port 0) speaking the REST API's wire format
 * under `/api/v10`, and the gateway's websocket protocol on `/gateway`, for tests that drive the
 * Discord channel through discord.js (`rest.api` = `url + "/api"`).
 *
 * REST: `GET /gateway/bot` (points discord.js at the fake gateway), `GET /users/@me`,
 * `POST /users/@me/channels` (a DM channel per user), `POST /channels/{id}/messages`,
 * `POST /channels/{id}/typing`. A wrong `Authorization: Bot <token>` is 401; a route listed in
 * {@link FakeDiscord.down}, or a message {@link FakeDiscord.refuse} picks, answers 502 Bad Gateway;
 * a message over 2000 characters is refused with 400, and one to a user in
 * {@link FakeDiscord.closedDms} with 403 and error 50007, as Discord does.
 *
 * Attachments of pushed messages are served at `/attachments/...`, as Discord's CDN serves them.
 *
 * Gateway: HELLO, then READY on IDENTIFY (one guild, unavailable), then that guild's GUILD_CREATE
 * (a text channel and a thread), RESUMED on RESUME, heartbeats acknowledged;
 * {@link FakeDiscord.drop} closes the connections, {@link FakeDiscord.gatewayDown} refuses new
 * ones; {@link FakeDiscord.pushMessage}
 * dispatches a MESSAGE_CREATE to every connected client, as Discord does.
 *
 * @module
 */

/** The bot's user id. */
export const BOT_ID = "900000000000000001";
/** The guild the bot is in, its text channel and a thread under it. */
export const GUILD_ID = "900000000000000010";
export const TEXT_CHANNEL_ID = "900000000000000011";
export const THREAD_ID = "900000000000000012";

/** A message the bot sent. */
export interface SentMessage {
  readonly channelId: string;
  readonly content: string;
  /** The message it replies to (`message_reference.message_id`). */
  readonly replyTo: string | undefined;
}

/** One REST call as the fake received it. */
export interface ApiCall {
  readonly method: string;
  readonly route: string;
  readonly status: number;
}

/** Where a pushed message is written. */
export interface PushOptions {
  /** A guild channel (or thread) id; absent, the message is a DM to the bot. */
  readonly channelId?: string;
  /** Mention the bot at the start (`<@BOT_ID> text`). */
  readonly mention?: boolean;
  /** Reuse a message id (a redelivery). */
  readonly id?: string;
  /** Files attached, served by the fake as Discord's CDN serves them. */
  readonly attachments?: readonly {
    readonly name: string;
    readonly bytes: Uint8Array;
    readonly contentType: string;
    /** Where the attachment says it is, instead of the fake's own URL. */
    readonly url?: string;
  }[];
}

/** A running fake; see the module documentation. */
export interface FakeDiscord extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`; the REST base for discord.js is `${url}/api`. */
  readonly url: string;
  readonly token: string;
  readonly sent: readonly SentMessage[];
  readonly typing: readonly string[];
  readonly calls: readonly ApiCall[];
  /** Route prefixes (`POST /channels`) that answer 502 while listed. */
  readonly down: Set<string>;
  /** Clients that identified (or resumed) and are connected. */
  connected(): number;
  /** The intents of every IDENTIFY received, in order. */
  readonly intents: readonly number[];
  /** The `allowed_mentions` of every message the bot sent, in order. */
  readonly allowedMentions: readonly unknown[];
  /**
   * Users whose DM channel refuses the bot's messages with 403 and Discord's error 50007 (Cannot
   * send messages to this user), as for a user who blocked the bot or closed their DMs.
   */
  readonly closedDms: Set<string>;
  /** Answers 502 Bad Gateway to a message whose content it returns true for. */
  refuse: ((content: string) => boolean) | undefined;
  /**
   * While false, an IDENTIFY asking for the privileged Message Content intent is closed with 4014
   * (Disallowed intents), as for an application whose intent is not switched on.
   */
  messageContentAllowed: boolean;
  /** While true, the gateway refuses new websocket connections (503). */
  gatewayDown: boolean;
  /** Closes every gateway connection with `code` (4000: an unknown error, to be resumed). */
  drop(code: number): void;
  /** The DM channel id the fake gives `userId`. */
  dmChannelOf(userId: string): string;
  /** Dispatches a MESSAGE_CREATE from `userId`; returns the message's id. */
  pushMessage(userId: string, text: string, options?: PushOptions): string;
}

let nextSnowflake = 910000000000000000n;
function snowflake(): string {
  return String(nextSnowflake++);
}

function user(id: string, bot = false) {
  return { id, username: bot ? "kafclaw" : `user${id.slice(-4)}`, discriminator: "0", bot };
}

/** Starts the fake. */
export function startFakeDiscord(token = "discord-test-token"): Promise<FakeDiscord> {
  const sent: SentMessage[] = [];
  const intents: number[] = [];
  const allowedMentions: unknown[] = [];
  const typing: string[] = [];
  const calls: ApiCall[] = [];
  const down = new Set<string>();
  const sockets = new Set<WebSocket>();
  const dms = new Map<string, string>();
  const files = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const dmChannelOf = (userId: string) => {
    let id = dms.get(userId);
    if (id === undefined) dms.set(userId, id = snowflake());
    return id;
  };
  const closedDms = new Set<string>();
  /** Whether `channelId` is the DM channel of a user in {@link FakeDiscord.closedDms}. */
  const closedTo = (channelId: string) => [...closedDms].some((u) => dms.get(u) === channelId);
  let sequence = 0;
  const dispatch = (socket: WebSocket, t: string, d: unknown) => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ op: 0, t, s: ++sequence, d }));
    }
  };

  const gateway = (request: Request): Response => {
    const resume = `ws://${request.headers.get("host")}/gateway`;
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onopen = () =>
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    socket.onmessage = (event) => {
      const payload = JSON.parse(String(event.data)) as { op: number; d: unknown };
      if (payload.op === 1) socket.send(JSON.stringify({ op: 11 }));
      if (payload.op === 6) {
        const resume = payload.d as { token: string };
        if (resume.token !== token) return socket.close(4004, "Authentication failed.");
        dispatch(socket, "RESUMED", {});
        sockets.add(socket);
      }
      if (payload.op !== 2) return;
      const identify = payload.d as { token: string; intents: number };
      if (identify.token !== token) return socket.close(4004, "Authentication failed.");
      intents.push(identify.intents);
      if (!fake.messageContentAllowed && (identify.intents & (1 << 15)) !== 0) {
        return socket.close(4014, "Disallowed intent(s).");
      }
      dispatch(socket, "READY", {
        v: 10,
        user: user(BOT_ID, true),
        guilds: [{ id: GUILD_ID, unavailable: true }],
        session_id: "fake-session",
        resume_gateway_url: resume,
        application: { id: BOT_ID, flags: 0 },
      });
      dispatch(socket, "GUILD_CREATE", {
        id: GUILD_ID,
        name: "Fake guild",
        owner_id: "1",
        unavailable: false,
        member_count: 2,
        roles: [{ id: GUILD_ID, name: "@everyone", permissions: "0", position: 0 }],
        emojis: [],
        stickers: [],
        members: [],
        presences: [],
        voice_states: [],
        stage_instances: [],
        guild_scheduled_events: [],
        channels: [{ id: TEXT_CHANNEL_ID, type: 0, name: "general", guild_id: GUILD_ID }],
        threads: [{
          id: THREAD_ID,
          type: 11,
          name: "a thread",
          guild_id: GUILD_ID,
          parent_id: TEXT_CHANNEL_ID,
          thread_metadata: { archived: false, locked: false, auto_archive_duration: 1440 },
        }],
      });
      sockets.add(socket);
    };
    socket.onclose = () => sockets.delete(socket);
    return response;
  };

  const rest = async (request: Request, path: string): Promise<Response> => {
    const route = `${request.method} ${path}`;
    const record = (status: number) => calls.push({ method: request.method, route: path, status });
    if (request.headers.get("authorization") !== `Bot ${token}`) {
      record(401);
      return Response.json({ message: "401: Unauthorized", code: 0 }, { status: 401 });
    }
    if ([...down].some((prefix) => route.startsWith(prefix))) {
      await request.body?.cancel();
      record(502);
      return new Response("Bad Gateway", { status: 502 });
    }
    const body = request.method === "POST" && request.headers.get("content-type")
      ? await request.json() as Record<string, unknown>
      : {};
    record(200);
    if (route === "GET /gateway/bot") {
      const host = new URL(request.url).host;
      return Response.json({
        url: `ws://${host}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (route === "GET /users/@me") return Response.json(user(BOT_ID, true));
    if (route === "POST /users/@me/channels") {
      const recipient = String(body.recipient_id);
      return Response.json({ id: dmChannelOf(recipient), type: 1, recipients: [user(recipient)] });
    }
    const typingMatch = /^POST \/channels\/(\d+)\/typing$/.exec(route);
    if (typingMatch) {
      typing.push(typingMatch[1]!);
      return new Response(null, { status: 204 });
    }
    const messages = /^POST \/channels\/(\d+)\/messages$/.exec(route);
    if (messages) {
      const content = String(body.content ?? "");
      if (fake.refuse?.(content)) {
        calls.pop();
        record(502);
        return new Response("Bad Gateway", { status: 502 });
      }
      if (closedTo(messages[1]!)) {
        calls.pop();
        record(403);
        return Response.json(
          { message: "Cannot send messages to this user", code: 50007 },
          { status: 403 },
        );
      }
      if (content.length > 2000) {
        calls.pop();
        record(400);
        return Response.json({
          message: "Invalid Form Body",
          code: 50035,
          errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "too long" }] } },
        }, { status: 400 });
      }
      const reference = body.message_reference as { message_id?: string } | undefined;
      sent.push({ channelId: messages[1]!, content, replyTo: reference?.message_id });
      allowedMentions.push(body.allowed_mentions);
      return Response.json(message(snowflake(), messages[1]!, user(BOT_ID, true), content));
    }
    calls.pop();
    record(404);
    return Response.json({ message: "404: Not Found", code: 0 }, { status: 404 });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/gateway") {
      return fake.gatewayDown
        ? new Response("Service Unavailable", { status: 503 })
        : gateway(request);
    }
    if (path.startsWith("/api/v10/")) return rest(request, path.slice("/api/v10".length));
    const file = files.get(path);
    if (file && request.method === "GET") {
      return new Response(file.bytes.slice(), { headers: { "content-type": file.contentType } });
    }
    return new Response("Not Found", { status: 404 });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;

  const fake: FakeDiscord = {
    url,
    token,
    sent,
    intents,
    allowedMentions,
    gatewayDown: false,
    messageContentAllowed: true,
    refuse: undefined,
    drop(code) {
      for (const socket of sockets) socket.close(code);
      sockets.clear();
    },
    typing,
    calls,
    down,
    closedDms,
    connected: () => sockets.size,
    dmChannelOf,
    pushMessage(userId, text, options = {}) {
      const id = options.id ?? snowflake();
      const channelId = options.channelId ?? dmChannelOf(userId);
      const content = options.mention ? `<@${BOT_ID}> ${text}` : text;
      const attachments = (options.attachments ?? []).map((a) => {
        const fileId = snowflake();
        const path = `/attachments/${channelId}/${fileId}/${encodeURIComponent(a.name)}`;
        files.set(path, { bytes: a.bytes, contentType: a.contentType });
        const where = a.url ?? `${url}${path}`;
        return {
          id: fileId,
          filename: a.name,
          size: a.bytes.length,
          url: where,
          proxy_url: where,
          content_type: a.contentType,
        };
      });
      const data = {
        ...message(id, channelId, user(userId), content),
        attachments,
        // Discord names the channel's type on every message (1: a DM, 11: a thread, 0: text).
        channel_type: options.channelId === undefined ? 1 : channelId === THREAD_ID ? 11 : 0,
        ...(options.channelId ? { guild_id: GUILD_ID } : {}),
        mentions: options.mention ? [user(BOT_ID, true)] : [],
      };
      for (const socket of sockets) dispatch(socket, "MESSAGE_CREATE", data);
      return id;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.close(1000);
      await server.shutdown();
    },
  };
  return Promise.resolve(fake);
}

function message(id: string, channelId: string, author: unknown, content: string) {
  return {
    id,
    channel_id: channelId,
    author,
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
  };
}
