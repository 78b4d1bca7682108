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
 * A turn that never finished (its process was stopped or died) is marked with an `interrupted`
 * line; the model sees it as an answer saying so, never as a question still open. How lines reach
 * the disk whole is in session_file.ts.
 *
 * A store keeps the lines of the sessions it last read or wrote in memory, each with its file's
 * look (device, inode, size, modification time): a turn that continues a session this process
 * holds reads none of it from the disk, and one whose file another process changed, or that was
 * removed, reads it again.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Taint } from "../policy/mod.ts";
import type { ChatMessage, ToolCall } from "../provider/mod.ts";
import {
  appendLines,
  lookOf,
  parseSessionText,
  readLooked,
  sizeOfLook,
  SpareFiles,
  tailRecords,
} from "./session_file.ts";

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
  }
  | {
    /** The turn before this line stopped without finishing, for `reason`. */
    readonly type: "interrupted";
    readonly reason: string;
    readonly at: string;
    readonly taint: Taint;
  };

/** A session file with lines that cannot be read (a torn write), for `doctor`. */
export interface DamagedSession {
  readonly file: string;
  /** The unreadable lines, from 1. */
  readonly lines: readonly number[];
}

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

// node:crypto hashes at once; WebCrypto's digest went through a worker thread, and every read
// and append of a session asks for its file name.
function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The file name of a session key. Keys such as `cli:default` or `telegram:123` are made safe; when
 * anything had to change, a hash of the original key keeps two keys from sharing one file.
 */
// deno-lint-ignore require-await
export async function sessionFileName(key: string): Promise<string> {
  if (key.length === 0) throw new RangeError("A session key cannot be empty");
  if (SAFE.test(key) && !key.startsWith(".") && key.length <= 100) return `${key}.jsonl`;
  const safe = key.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 80);
  return `${safe || "session"}.${sha256Hex(key).slice(0, 10)}.jsonl`;
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

/** One session as {@link SessionStore.list} tells it. */
export interface SessionSummary {
  readonly key: string;
  /** When its file was made (ISO 8601), from its metadata line. */
  readonly createdAt: string;
  /** When it last changed (ISO 8601). */
  readonly updatedAt: string;
  readonly bytes: number;
}

/** The first line of a file (at most 64 KiB of it); empty for an empty file. */
async function firstLine(path: string): Promise<string> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(64 * 1024);
  const n = await file.read(buffer);
  if (n === null) return "";
  return new TextDecoder().decode(buffer.subarray(0, n)).split("\n", 1)[0]!;
}

/** The key and creation time a session file's first line holds, or undefined when it is none. */
function sessionMetadata(line: string): { key: string; createdAt: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const m = value as { _type?: unknown; key?: unknown; created_at?: unknown } | null;
  if (typeof m !== "object" || m === null || m._type !== "metadata") return undefined;
  if (typeof m.key !== "string") return undefined;
  return { key: m.key, createdAt: typeof m.created_at === "string" ? m.created_at : "" };
}

/** The lines of one record of a session file, if it is one a session shows. */
function lineOf(o: Record<string, unknown>): SessionLine | undefined {
  const at = typeof o.timestamp === "string" ? o.timestamp : "";
  // Anything but an explicit "trusted" on a marked line fails closed.
  const taint: Taint = o.taint === undefined || o.taint === "trusted" ? "trusted" : "untrusted";
  if (o._type === "metadata") return undefined;
  if (o._type === "summary") {
    return typeof o.summary === "string" && typeof o.covers === "number"
      ? { type: "summary", summary: o.summary, covers: o.covers, at, taint }
      : undefined;
  }
  if (o._type === "interrupted") {
    const reason = typeof o.reason === "string" ? o.reason : "unknown";
    return { type: "interrupted", reason, at, taint };
  }
  const message = decodeMessage(o);
  return message && { type: "message", message, at, taint };
}

/** The lines of a session file's text. */
function linesOf(text: string): SessionLine[] {
  return parseSessionText(text).records.flatMap((o) => lineOf(o) ?? []);
}

/** What a store keeps of a session file: its look, its lines, and its size in bytes. */
interface Kept {
  readonly look: string;
  readonly lines: SessionLine[];
  readonly bytes: number;
}

/** Options of a {@link SessionStore}. */
export interface SessionStoreOptions {
  readonly now?: () => Date;
  /** How many sessions' lines are kept in memory, the least recently used dropped (default 16). */
  readonly keep?: number;
  /** How many bytes of session files, at most, those lines stand for (default 8 MiB). */
  readonly keepBytes?: number;
  /**
   * Whether a new session's file is made ahead, in the background, after a line is added to a
   * session that exists (session_file.ts `SpareFiles`); {@link SessionStore.close} then removes
   * the one not used. Default false.
   */
  readonly spares?: boolean;
}

/** How many session keys' file paths a store keeps. */
const KEPT_PATHS = 256;

/** Where sessions live, and how they are read and appended. */
export class SessionStore {
  readonly #dir: string;
  readonly #now: () => Date;
  readonly #keep: number;
  readonly #keepBytes: number;
  /** By path: the lines of a session file as it looked when last read or written here. */
  readonly #known = new Map<string, Kept>();
  #keptBytes = 0;
  #reads = 0;
  readonly #spares: SpareFiles | undefined;
  /** The file paths of the keys asked for last, at most {@link KEPT_PATHS}. */
  readonly #paths = new Map<string, string>();

  constructor(dir: string, options: SessionStoreOptions = {}) {
    this.#dir = dir;
    this.#now = options.now ?? (() => new Date());
    this.#keep = options.keep ?? 16;
    this.#keepBytes = options.keepBytes ?? 8 * 1024 * 1024;
    this.#spares = options.spares ? new SpareFiles(dir) : undefined;
  }

  /** Removes the spare file not used (see {@link SessionStoreOptions.spares}). */
  async close(): Promise<void> {
    await this.#spares?.close();
  }

  /** How many times a session file was read whole (for tests and benchmarks). */
  get reads(): number {
    return this.#reads;
  }

  /** Keeps `lines` of `path`, dropping the least recently used beyond the count and the bytes. */
  #remember(path: string, look: string, lines: SessionLine[]): void {
    this.#forget(path);
    const bytes = sizeOfLook(look);
    // Too big to keep at all: the others stay.
    if (bytes > this.#keepBytes) return;
    this.#known.set(path, { look, lines, bytes });
    this.#keptBytes += bytes;
    for (const oldest of this.#known.keys()) {
      if (this.#known.size <= this.#keep && this.#keptBytes <= this.#keepBytes) break;
      this.#forget(oldest);
    }
  }

  #forget(path: string): void {
    this.#keptBytes -= this.#known.get(path)?.bytes ?? 0;
    this.#known.delete(path);
  }

  /** The lines kept of `path` while its file still looks as it did, else undefined. */
  #kept(path: string): SessionLine[] | undefined {
    const known = this.#known.get(path);
    if (known === undefined) return undefined;
    let look: string | undefined;
    try {
      look = lookOf(Deno.statSync(path));
    } catch {
      // Gone, or not to be looked at: read as if never kept.
    }
    if (look === known.look) return known.lines;
    this.#forget(path);
    return undefined;
  }

  /**
   * The path of a session's file. A turn asks for it some four times, and a key such as
   * `task:<id>` is hashed for its name: the paths of the last keys are kept.
   */
  async path(key: string): Promise<string> {
    let path = this.#paths.get(key);
    if (path === undefined) {
      path = `${this.#dir}/${await sessionFileName(key)}`;
      if (this.#paths.size >= KEPT_PATHS) this.#paths.clear();
      this.#paths.set(key, path);
    }
    return path;
  }

  async #append(key: string, lines: readonly Record<string, unknown>[]): Promise<void> {
    const header = JSON.stringify({
      _type: "metadata",
      key,
      created_at: this.#now().toISOString(),
      format: "kafclaw-session/1",
    }) + "\n";
    const text = lines.map((l) => JSON.stringify(l) + "\n").join("");
    const path = await this.path(key);
    const kept = this.#known.get(path);
    // Taken out first: should the append fail, nothing is known of the file.
    this.#forget(path);
    const { before, after } = appendLines(path, text, header, this.#spares);
    // A line added to a session already there (a turn's answer, mostly): a spare for the next
    // new session is made now, while that answer goes out, not during the next turn.
    if (before !== undefined) this.#spares?.prepare();
    // Kept on only when the file was, before this append, what was kept of it (or new).
    if (before === undefined || before === kept?.look) {
      this.#remember(path, after, [...(before === undefined ? [] : kept!.lines), ...linesOf(text)]);
    }
  }

  /**
   * Appends messages, in order, in one write, marked untrusted when `options.taint` says so.
   * Either all of them land or none (the file is left as it was); a full disk throws DiskFullError.
   */
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

  /**
   * Marks the end of a turn that did not finish (`reason`: why, e.g. `kafclaw was stopped
   * (SIGTERM)`).
   */
  markInterrupted(key: string, reason: string): Promise<void> {
    return this.#append(key, [{
      _type: "interrupted",
      reason,
      timestamp: this.#now().toISOString(),
    }]);
  }

  /**
   * Marks the last turn interrupted when it left no answer (a user line, or tool results, last):
   * its process died or failed before answering. Call it only while no turn of the session runs.
   * Returns whether it marked.
   */
  async closeUnanswered(key: string, reason: string): Promise<boolean> {
    // Only the end of the file is read: the last line that is a message or a mark.
    const relevant = (o: Record<string, unknown>) =>
      o._type === "interrupted" || (o._type === undefined && decodeMessage(o) !== undefined);
    const path = await this.path(key);
    const kept = this.#kept(path);
    const message = kept === undefined
      ? lastMessage(await tailRecords(path, (rs) => rs.some(relevant)), relevant)
      : messageOf(kept.findLast((l) => l.type !== "summary"));
    if (message === undefined || answers(message)) return false;
    await this.markInterrupted(key, reason);
    return true;
  }

  /** Every line of a session; unreadable lines are skipped, never fatal. */
  async lines(key: string): Promise<SessionLine[]> {
    const path = await this.path(key);
    const kept = this.#kept(path);
    if (kept !== undefined) return [...kept];
    const read = await readLooked(path);
    if (read === undefined) return [];
    this.#reads++;
    const lines = linesOf(read.text);
    this.#remember(path, read.look, lines);
    return [...lines];
  }

  /**
   * Every session with its key (from the file's metadata line), newest change first. A file whose
   * first line is not a session's metadata is left out.
   */
  async list(): Promise<SessionSummary[]> {
    const out: SessionSummary[] = [];
    for (const name of await this.#files()) {
      const path = `${this.#dir}/${name}`;
      const meta = sessionMetadata(await firstLine(path));
      if (meta === undefined) continue;
      const info = await Deno.stat(path);
      out.push({ ...meta, updatedAt: info.mtime!.toISOString(), bytes: info.size });
    }
    return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  /** Deletes a session's file; false when there was none. */
  async remove(key: string): Promise<boolean> {
    const path = await this.path(key);
    this.#forget(path);
    try {
      await Deno.remove(path);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  async #files(): Promise<string[]> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.#dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    return entries
      .filter((e) => e.isFile && e.name.endsWith(".jsonl") && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  }

  /** The session files with lines that cannot be read (and so are skipped), by file name. */
  async damaged(): Promise<DamagedSession[]> {
    const out: DamagedSession[] = [];
    for (const name of await this.#files()) {
      const text = await Deno.readTextFile(`${this.#dir}/${name}`);
      const { unreadable } = parseSessionText(text);
      if (unreadable.length > 0) out.push({ file: name, lines: unreadable });
    }
    return out;
  }

  /**
   * The history to continue from: the latest summary and at most `window` messages after it. The
   * window never starts in the middle of a tool exchange (a tool result without its call).
   */
  async history(key: string, window: number): Promise<SessionHistory> {
    return historyOf(await this.lines(key), window);
  }
}

/**
 * {@link SessionStore.history} of lines already read: a turn reads its session once for both
 * the compaction check and the history it sends.
 */
export function historyOf(lines: readonly SessionLine[], window: number): SessionHistory {
  const messages = asMessages(lines);
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

/** The message of the last record that `relevant` picks, when that record is a message. */
function lastMessage(
  records: readonly Record<string, unknown>[],
  relevant: (o: Record<string, unknown>) => boolean,
): ChatMessage | undefined {
  const last = records.findLast(relevant);
  return last && last._type === undefined ? decodeMessage(last) : undefined;
}

/** The message of a line, when it is a message's. */
function messageOf(line: SessionLine | undefined): ChatMessage | undefined {
  return line?.type === "message" ? line.message : undefined;
}

/** Whether a message ends a turn: an assistant's answer without tool calls. */
function answers(message: ChatMessage): boolean {
  return message.role === "assistant" && !message.toolCalls?.length;
}

type Shown = { readonly message: ChatMessage; readonly taint: Taint };

/**
 * The messages of a session in order; a turn interrupted before its answer gets one saying so,
 * so the model never sees the question as still open. A tool call it left without a result (a
 * crash cut the exchange short after the call was written) gets one saying so too: a provider
 * refuses a history with a call unanswered.
 */
function asMessages(lines: readonly SessionLine[]): Shown[] {
  const out: Shown[] = [];
  // The calls of the last assistant message that no tool result has answered yet.
  let open: readonly string[] = [];
  for (const line of lines) {
    if (line.type === "message") {
      out.push(line);
      const m = line.message;
      open = m.role === "tool"
        ? open.filter((id) => id !== m.toolCallId)
        : m.role === "assistant"
        ? (m.toolCalls ?? []).map((call) => call.id)
        : [];
    }
    if (line.type !== "interrupted" || out.length === 0 || answers(out.at(-1)!.message)) continue;
    const note = `(interrupted: ${line.reason})`;
    for (const id of open) {
      out.push({ message: { role: "tool", toolCallId: id, content: note }, taint: line.taint });
    }
    out.push({ message: { role: "assistant", content: note }, taint: line.taint });
  }
  return out;
}
