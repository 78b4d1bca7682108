/**
 * Sessions: one append-only JSONL file per conversation under `$KAFCLAW_HOME/sessions/`, mode 0600.
 * The first line holds metadata; every later line is one message. Lines are added, never rewritten:
 * compaction appends a summary line that says which messages it covers, and the history that the
 * model sees starts after it, so nothing is ever lost.
 *
 * A line written by an untrusted turn says so (`"taint": "untrusted"`), and so does a summary of
 * untrusted lines: a later turn whose history holds one starts untrusted, so instructions planted
 * by a web page or a stranger cannot wait for the owner's next message to be obeyed.
 *
 * @module
 */
import type { Taint } from "../policy/mod.ts";
import type { ChatMessage, ToolCall } from "../provider/mod.ts";

/** One stored message: a chat message with the time it was recorded and its taint. */
export type SessionLine =
  | {
    readonly type: "message";
    readonly message: ChatMessage;
    readonly at: string;
    readonly taint: Taint;
  }
  | {
    readonly type: "summary";
    readonly summary: string;
    /** Number of message lines (counted from the first) that this summary replaces. */
    readonly covers: number;
    readonly at: string;
    readonly taint: Taint;
  };

/** Options of appending: the taint of the turn that writes (default trusted). */
export interface AppendOptions {
  readonly taint?: Taint;
}

/** What the loop needs to continue a conversation. */
export interface SessionHistory {
  /** The latest summary, when the session has been compacted. */
  readonly summary: string | undefined;
  /** The messages after the summary, oldest first. */
  readonly messages: readonly ChatMessage[];
  /** All message lines in the file, summarised or not. */
  readonly totalMessages: number;
  /** Untrusted when the summary or any of the messages is. */
  readonly taint: Taint;
}

const marked = (options: AppendOptions) =>
  options.taint === "untrusted" ? { taint: "untrusted" } : {};

const SAFE = /^[A-Za-z0-9._-]+$/;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The file name of a session key. Keys such as `cli:default` or `telegram:123` are made safe; when
 * anything had to change, a hash of the original key keeps two keys from sharing one file.
 */
export async function sessionFileName(key: string): Promise<string> {
  if (key.length === 0) throw new RangeError("A session key cannot be empty");
  if (SAFE.test(key) && !key.startsWith(".") && key.length <= 100) return `${key}.jsonl`;
  const safe = key.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 80);
  return `${safe || "session"}.${(await sha256Hex(key)).slice(0, 10)}.jsonl`;
}

function encodeMessage(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case "assistant":
      return {
        role: "assistant",
        content: m.content,
        ...(m.toolCalls?.length ? { tool_calls: m.toolCalls } : {}),
      };
    case "tool":
      return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
    default:
      return { role: m.role, content: m.content };
  }
}

function decodeMessage(o: Record<string, unknown>): ChatMessage | undefined {
  const content = o.content;
  switch (o.role) {
    case "system":
    case "user":
      return typeof content === "string" ? { role: o.role, content } : undefined;
    case "assistant": {
      const calls = Array.isArray(o.tool_calls) ? o.tool_calls as ToolCall[] : [];
      if (content !== null && typeof content !== "string") return undefined;
      return calls.length
        ? { role: "assistant", content, toolCalls: calls }
        : { role: "assistant", content };
    }
    case "tool":
      return typeof content === "string" && typeof o.tool_call_id === "string"
        ? { role: "tool", toolCallId: o.tool_call_id, content }
        : undefined;
  }
  return undefined;
}

/** Where sessions live, and how they are read and appended. */
export class SessionStore {
  readonly #dir: string;
  readonly #now: () => Date;

  constructor(dir: string, options: { now?: () => Date } = {}) {
    this.#dir = dir;
    this.#now = options.now ?? (() => new Date());
  }

  /** The path of a session's file. */
  async path(key: string): Promise<string> {
    return `${this.#dir}/${await sessionFileName(key)}`;
  }

  async #append(key: string, lines: readonly Record<string, unknown>[]): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const file = await Deno.open(await this.path(key), { append: true, create: true, mode: 0o600 });
    try {
      // A new (empty) file starts with its metadata line.
      const header = (await file.stat()).size === 0
        ? JSON.stringify({
          _type: "metadata",
          key,
          created_at: this.#now().toISOString(),
          format: "kafclaw-session/1",
        }) + "\n"
        : "";
      const text = header + lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
    } finally {
      file.close();
    }
  }

  /** Appends messages, in order, in one write, marked untrusted when `options.taint` says so. */
  append(
    key: string,
    messages: readonly ChatMessage[],
    options: AppendOptions = {},
  ): Promise<void> {
    const at = this.#now().toISOString();
    return this.#append(
      key,
      messages.map((m) => ({ ...encodeMessage(m), timestamp: at, ...marked(options) })),
    );
  }

  /** Appends a summary that replaces the first `covers` messages in the history the model sees. */
  appendSummary(
    key: string,
    summary: string,
    covers: number,
    options: AppendOptions = {},
  ): Promise<void> {
    return this.#append(key, [{
      _type: "summary",
      summary,
      covers,
      timestamp: this.#now().toISOString(),
      ...marked(options),
    }]);
  }

  /** Every line of a session; unreadable lines are skipped, never fatal. */
  async lines(key: string): Promise<SessionLine[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(await this.path(key));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    const out: SessionLine[] = [];
    for (const raw of text.split("\n")) {
      if (!raw.trim()) continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(raw);
      } catch {
        continue; // a torn last line after a crash: the rest of the session is still good
      }
      const at = typeof o.timestamp === "string" ? o.timestamp : "";
      // Anything but an explicit "trusted" on a marked line fails closed.
      const taint: Taint = o.taint === undefined || o.taint === "trusted" ? "trusted" : "untrusted";
      if (o._type === "metadata") continue;
      if (o._type === "summary") {
        if (typeof o.summary === "string" && typeof o.covers === "number") {
          out.push({ type: "summary", summary: o.summary, covers: o.covers, at, taint });
        }
        continue;
      }
      const message = decodeMessage(o);
      if (message) out.push({ type: "message", message, at, taint });
    }
    return out;
  }

  /**
   * The history to continue from: the latest summary and at most `window` messages after it. The
   * window never starts in the middle of a tool exchange (a tool result without its call).
   */
  async history(key: string, window: number): Promise<SessionHistory> {
    const lines = await this.lines(key);
    const messages = lines.flatMap((l) => l.type === "message" ? [l] : []);
    const summaries = lines.flatMap((l) => l.type === "summary" ? [l] : []);
    const last = summaries.at(-1);
    const after = messages.slice(last?.covers ?? 0);
    let start = Math.max(0, after.length - window);
    while (start < after.length && after[start]!.message.role !== "user") start++;
    const shown = after.slice(start);
    const tainted = last?.taint === "untrusted" || shown.some((l) => l.taint === "untrusted");
    return {
      summary: last?.summary,
      messages: shown.map((l) => l.message),
      totalMessages: messages.length,
      taint: tainted ? "untrusted" : "trusted",
    };
  }
}
