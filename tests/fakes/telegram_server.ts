/**
 * A fake Telegram Bot API: a real HTTP server on 127.0.0.1 (port 0) speaking the Bot API's wire
 * format, for tests that drive the Telegram channel through grammY (`client.apiRoot` = `url`).
 *
 * Methods at `/bot<token>/<method>`, parameters as JSON, form or query, answers
 * `{"ok": true, "result": …}` or `{"ok": false, "error_code": …, "description": …}`:
 * `getMe`, `getUpdates` (long polling: waits up to `timeout` seconds for an update; an `offset`
 * confirms every update below it, which is then never returned again), `sendMessage` (with
 * `parse_mode: "Markdown"` a text whose `*`, `_` or `` ` `` do not pair is refused with 400
 * "can't parse entities", as Telegram does), `sendChatAction`, `getFile` and the file download at
 * `/file/bot<token>/<file_path>`, `setWebhook`, `deleteWebhook`, `getWebhookInfo`. A wrong token
 * is 401 Unauthorized.
 *
 * Tests push updates ({@link FakeTelegram.pushMessage}), read what the bot sent
 * ({@link FakeTelegram.sent}, {@link FakeTelegram.actions}, {@link FakeTelegram.calls}), add
 * files, take methods down ({@link FakeTelegram.down}, {@link FakeTelegram.refuse}: they answer
 * 502 Bad Gateway), and have a chat refuse the bot for good ({@link FakeTelegram.forbidden}: 403).
 *
 * @module
 */
import { countedBody } from "./_counted_body.ts";

/** A message the bot sent. */
export interface SentMessage {
  readonly chatId: string;
  readonly text: string;
  readonly parseMode: string | undefined;
  /** The message it replies to. */
  readonly replyTo: number | undefined;
}

/** One API call as the fake received it. */
export interface ApiCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly status: number;
}

/** What a pushed message may carry besides text. */
export interface MessageExtras {
  readonly chatId?: number;
  readonly messageId?: number;
  readonly voice?: { readonly fileId: string; readonly mime?: string };
  readonly photo?: { readonly fileId: string };
  readonly document?: { readonly fileId: string; readonly name: string };
  readonly caption?: string;
}

/** A running fake; see the module documentation. */
export interface FakeTelegram extends AsyncDisposable {
  /** The API root for grammY's `client.apiRoot`: `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly token: string;
  readonly sent: readonly SentMessage[];
  readonly actions: readonly { chatId: string; action: string }[];
  readonly calls: readonly ApiCall[];
  /** Methods that answer 502 Bad Gateway while listed. */
  readonly down: Set<string>;
  /**
   * Chats (by id) that refuse the bot's messages and chat actions with 403 and `Forbidden: ` plus
   * the reason given (`bot was blocked by the user`, `user is deactivated`), as Telegram does.
   */
  readonly forbidden: Map<string, string>;
  /** Answers 502 Bad Gateway to a call for which it returns true. */
  refuse: ((method: string, params: Record<string, unknown>) => boolean) | undefined;
  /** The webhook setWebhook registered, if any. */
  readonly webhook: { url: string; secret: string | undefined } | undefined;
  /** Queues a private-chat message from user `from`; returns the update (also for webhooks). */
  pushMessage(from: number, text: string, extras?: MessageExtras): Record<string, unknown>;
  /** Queues an update as it is (the same update again: a redelivery). */
  pushUpdate(update: Record<string, unknown>): void;
  /** Stores a file for getFile and the download; returns its file_id. */
  addFile(bytes: Uint8Array, path: string): string;
  /** Bytes of files the downloads gave so far (a client that stops reading stops it). */
  fileBytesServed: number;
  /**
   * Forgets every confirmation, as when a bot stopped before confirming: every update is
   * delivered again, with its own update_id.
   */
  redeliver(): void;
  /** Updates not yet confirmed by a getUpdates offset. */
  unconfirmed(): number;
}

const BOT = { id: 7000001, is_bot: true, first_name: "KafClaw", username: "kafclaw_test_bot" };

/** Starts a fake; `token` is the only one it accepts. */
export function startFakeTelegram(token = "123456:TEST-token"): Promise<FakeTelegram> {
  const sent: SentMessage[] = [];
  const actions: { chatId: string; action: string }[] = [];
  const calls: ApiCall[] = [];
  const down = new Set<string>();
  const forbidden = new Map<string, string>();
  const queue: Record<string, unknown>[] = [];
  const files = new Map<string, { path: string; bytes: Uint8Array }>();
  let webhook: { url: string; secret: string | undefined } | undefined;
  let nextUpdate = 1;
  let nextMessage = 1000;
  let confirmed = 0;
  let wake = Promise.withResolvers<void>();
  let closed = false;

  const ok = (result: unknown) => Response.json({ ok: true, result });
  const fail = (status: number, description: string) =>
    Response.json({ ok: false, error_code: status, description }, { status });

  async function params(request: Request, url: URL): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const type = request.headers.get("content-type") ?? "";
    if (type.includes("application/json")) Object.assign(out, await request.json());
    else if (type.includes("form")) {
      for (const [k, v] of await request.formData()) {
        out[k] = typeof v === "string" && /^[[{]/.test(v) ? JSON.parse(v) : v;
      }
    }
    return out;
  }

  async function getUpdates(p: Record<string, unknown>, signal: AbortSignal) {
    const offset = Number(p.offset ?? 0);
    if (offset > 0) confirmed = Math.max(confirmed, offset - 1);
    const until = Date.now() + Number(p.timeout ?? 0) * 1000;
    while (true) {
      const ready = queue.filter((u) => (u.update_id as number) > confirmed);
      if (ready.length > 0 || Date.now() >= until || signal.aborted || closed) {
        return ready.slice(0, Number(p.limit ?? 100));
      }
      const timer = Promise.withResolvers<void>();
      const t = setTimeout(timer.resolve, Math.max(0, until - Date.now()));
      await Promise.race([wake.promise, timer.promise]);
      clearTimeout(t);
    }
  }

  function sendMessage(p: Record<string, unknown>): Response {
    const text = String(p.text ?? "");
    if (text === "") return fail(400, "Bad Request: message text is empty");
    if (text.length > 4096) return fail(400, "Bad Request: message is too long");
    const parseMode = p.parse_mode === undefined ? undefined : String(p.parse_mode);
    if (parseMode === "Markdown" && !markdownPairs(text)) {
      return fail(400, "Bad Request: can't parse entities: can't find end of the entity");
    }
    const reply = p.reply_parameters as { message_id?: number } | undefined;
    const replyTo = reply?.message_id ?? (p.reply_to_message_id as number | undefined);
    sent.push({ chatId: String(p.chat_id), text, parseMode, replyTo });
    return ok({
      message_id: nextMessage++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: Number(p.chat_id), type: "private" },
      from: BOT,
      text,
    });
  }

  async function api(method: string, request: Request, url: URL): Promise<Response> {
    const p = await params(request, url);
    const answer = async (): Promise<Response> => {
      if (down.has(method) || fake.refuse?.(method, p)) return fail(502, "Bad Gateway");
      const refusal = forbidden.get(String(p.chat_id));
      if (refusal !== undefined && (method === "sendMessage" || method === "sendChatAction")) {
        return fail(403, `Forbidden: ${refusal}`);
      }
      switch (method) {
        case "getMe":
          return ok({ ...BOT, can_join_groups: true, can_read_all_group_messages: false });
        case "getUpdates":
          return ok(await getUpdates(p, request.signal));
        case "sendMessage":
          return sendMessage(p);
        case "sendChatAction":
          actions.push({ chatId: String(p.chat_id), action: String(p.action) });
          return ok(true);
        case "getFile": {
          const file = files.get(String(p.file_id));
          if (!file) return fail(400, "Bad Request: invalid file_id");
          return ok({
            file_id: p.file_id,
            file_unique_id: `u${p.file_id}`,
            file_size: file.bytes.length,
            file_path: file.path,
          });
        }
        case "setWebhook":
          webhook = { url: String(p.url), secret: p.secret_token as string | undefined };
          return ok(true);
        case "deleteWebhook":
          webhook = undefined;
          return ok(true);
        case "getWebhookInfo":
          return ok({ url: webhook?.url ?? "", pending_update_count: queue.length - confirmed });
        default:
          return fail(404, "Not Found");
      }
    };
    const response = await answer();
    calls.push({ method, params: p, status: response.status });
    return response;
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) {
      if (file[1] !== token) return fail(401, "Unauthorized");
      const found = [...files.values()].find((f) => f.path === file[2]);
      return found
        ? new Response(countedBody(found.bytes, (n) => fake.fileBytesServed += n))
        : new Response("Not Found", { status: 404 });
    }
    const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!call) return fail(404, "Not Found");
    if (call[1] !== token) return fail(401, "Unauthorized");
    return api(call[2]!, request, url);
  });
  const { port } = server.addr as Deno.NetAddr;

  function pushUpdate(update: Record<string, unknown>): void {
    // Update ids only grow, as Telegram's do.
    nextUpdate = Math.max(nextUpdate, (update.update_id as number) + 1);
    queue.push(update);
    wake.resolve();
    wake = Promise.withResolvers<void>();
  }

  const fake: FakeTelegram = {
    refuse: undefined,
    fileBytesServed: 0,
    url: `http://127.0.0.1:${port}`,
    token,
    sent,
    actions,
    calls,
    down,
    forbidden,
    get webhook() {
      return webhook;
    },
    pushMessage(from, text, extras = {}) {
      const chatId = extras.chatId ?? from;
      const message: Record<string, unknown> = {
        message_id: extras.messageId ?? nextMessage++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: chatId === from ? "private" : "group" },
        from: { id: from, is_bot: false, first_name: `User ${from}` },
      };
      if (text !== "") message.text = text;
      if (extras.caption) message.caption = extras.caption;
      if (extras.voice) {
        message.voice = {
          file_id: extras.voice.fileId,
          file_unique_id: `u${extras.voice.fileId}`,
          duration: 2,
          mime_type: extras.voice.mime ?? "audio/ogg",
        };
      }
      if (extras.photo) {
        message.photo = [{
          file_id: extras.photo.fileId,
          file_unique_id: `u${extras.photo.fileId}`,
          width: 90,
          height: 90,
        }];
      }
      if (extras.document) {
        message.document = {
          file_id: extras.document.fileId,
          file_unique_id: `u${extras.document.fileId}`,
          file_name: extras.document.name,
        };
      }
      const update = { update_id: nextUpdate++, message };
      pushUpdate(update);
      return update;
    },
    pushUpdate,
    addFile(bytes, path) {
      const id = `file-${files.size + 1}`;
      files.set(id, { path, bytes });
      return id;
    },
    unconfirmed: () => queue.filter((u) => (u.update_id as number) > confirmed).length,
    redeliver() {
      confirmed = 0;
      wake.resolve();
      wake = Promise.withResolvers<void>();
    },
    async [Symbol.asyncDispose]() {
      closed = true;
      wake.resolve();
      await server.shutdown();
    },
  };
  return Promise.resolve(fake);
}

/** Whether Telegram's legacy Markdown would parse `text`: its markers pair up outside code. */
function markdownPairs(text: string): boolean {
  const outside = text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  if (outside.includes("```") || outside.includes("`")) return false;
  const count = (c: string) => outside.split(c).length - 1;
  return count("*") % 2 === 0 && count("_") % 2 === 0;
}
