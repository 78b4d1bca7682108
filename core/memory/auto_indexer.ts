/**
 * The auto-indexer: conversation turns (question and answer) and long tool results go into
 * memory in the background, in batches, without slowing the turn. The queue is bounded: when it
 * is full, new items are dropped and counted, never awaited. What is not worth remembering is
 * filtered out first: short content, greetings and thanks, raw JSON, short errors.
 *
 * @module
 */
import type { Taint } from "../timeline/mod.ts";
import type { MemoryInput, RememberResult } from "./memory.ts";

/** Where the indexer stores: a {@link Memory}. */
export interface MemorySink {
  rememberMany(items: readonly MemoryInput[]): Promise<RememberResult>;
}

/** Options of {@link AutoIndexer}. */
export interface AutoIndexerOptions {
  /** Items waiting at most (default 100); more are dropped. */
  readonly maxQueue?: number;
  /** Items that start a flush at once (default 5). */
  readonly batchSize?: number;
  /** The longest an item waits for its batch (default 30 s). */
  readonly flushIntervalMs?: number;
  /** Shorter conversation turns are skipped (default 100 characters). */
  readonly minChars?: number;
  /** Shorter tool results are skipped (default 200 characters). */
  readonly minToolChars?: number;
  /** Told about a failed flush (the items of that batch are lost). */
  readonly onError?: (error: unknown) => void;
}

/** One conversation turn. */
export interface ConversationTurn {
  readonly channel: string;
  readonly chatId: string;
  readonly question: string;
  readonly answer: string;
  readonly taint: Taint;
  readonly zone?: string | undefined;
}

/** One tool result. */
export interface ToolResultItem {
  readonly tool: string;
  readonly result: string;
  /** For `read_file`, the file: stored as `File: <path>` and the first 500 characters. */
  readonly path?: string;
  readonly taint: Taint;
  readonly zone?: string | undefined;
}

const GREETING = new RegExp(
  "^(hi|hello|hey|hallo|yo|thanks|thank you|thx|ok|okay|bye|good (morning|evening|night)|" +
    "cheers|great|cool|nice)\\b[\\s\\p{P}\\p{Emoji_Presentation}]*$",
  "iu",
);

/** Whether text is a greeting, a thank-you or a bare acknowledgement. */
export function isGreeting(text: string): boolean {
  return GREETING.test(text.trim());
}

/** Whether text is a JSON object or array and nothing else. */
export function isRawJson(text: string): boolean {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/** See the module documentation. */
export class AutoIndexer implements AsyncDisposable {
  readonly #sink: MemorySink;
  readonly #maxQueue: number;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #minChars: number;
  readonly #minToolChars: number;
  readonly #onError: (error: unknown) => void;
  #queue: MemoryInput[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;
  #stored = 0;
  #closed = false;

  constructor(sink: MemorySink, options: AutoIndexerOptions = {}) {
    this.#sink = sink;
    this.#maxQueue = options.maxQueue ?? 100;
    this.#batchSize = options.batchSize ?? 5;
    this.#intervalMs = options.flushIntervalMs ?? 30_000;
    this.#minChars = options.minChars ?? 100;
    this.#minToolChars = options.minToolChars ?? 200;
    this.#onError = options.onError ?? (() => {});
  }

  /** Items waiting, items dropped because the queue was full, items stored. */
  get counts(): { readonly queued: number; readonly dropped: number; readonly stored: number } {
    return { queued: this.#queue.length, dropped: this.#dropped, stored: this.#stored };
  }

  /** Queues a turn as `Q: …\nA: …` (source `conversation:<channel>`, tagged with the chat id). */
  addConversation(turn: ConversationTurn): boolean {
    const question = turn.question.trim();
    const answer = turn.answer.trim();
    if (isGreeting(question) || isRawJson(answer)) return false;
    const content = `Q: ${question}\nA: ${answer}`;
    if (question.length + answer.length < this.#minChars) return false;
    return this.#add({
      content,
      source: `conversation:${turn.channel}`,
      tags: [turn.chatId],
      taint: turn.taint,
      zone: turn.zone,
    });
  }

  /** Queues a long tool result (source `tool:<name>`). */
  addToolResult(item: ToolResultItem): boolean {
    const result = item.result.trim();
    if (result.length < this.#minToolChars || isRawJson(result)) return false;
    if (/^error\b/i.test(result) && result.length < 2 * this.#minToolChars) return false;
    const content = item.path === undefined
      ? result
      : `File: ${item.path}\n${result.slice(0, 500)}`;
    return this.#add({
      content,
      source: `tool:${item.tool}`,
      tags: [item.tool],
      taint: item.taint,
      zone: item.zone,
    });
  }

  #add(item: MemoryInput): boolean {
    if (this.#closed || this.#queue.length >= this.#maxQueue) {
      this.#dropped++;
      return false;
    }
    this.#queue.push(item);
    if (this.#queue.length >= this.#batchSize) void this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#intervalMs);
    }
    return true;
  }

  /** Stores everything queued, one batch after another; resolves when it is stored. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#queue;
    this.#queue = [];
    this.#flushing = this.#flushing.then(async () => {
      for (let at = 0; at < items.length; at += this.#batchSize) {
        const batch = items.slice(at, at + this.#batchSize);
        try {
          await this.#sink.rememberMany(batch);
          this.#stored += batch.length;
        } catch (error) {
          this.#onError(error);
        }
      }
    });
    return this.#flushing;
  }

  /** Stops taking items and stores what is queued. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
