/**
 * A shared memory item on the wire (PROTOCOL.md `memory`): one record when its content fits in a
 * part, else parts keyed `item_id#<n>`, each holding a slice of the content's UTF-8 bytes cut on
 * a character boundary and the sha256 of the whole content. {@link splitContent} makes the
 * slices; {@link PartsAssembler} puts received parts together again and checks the sizes and the
 * hash, refusing an item that is too large, whose hash does not match, or whose parts disagree.
 *
 * Parts of one item may come on different partitions (the key differs per part), so they wait,
 * bounded in number and time, until all are there; with a {@link PartsJournal} (SQLite in the
 * gateway) also across a restart, since the consumer does not see the parts it committed again.
 *
 * @module
 */
import { MemoryPayload } from "../protocol/mod.ts";
import { contentHash } from "./spans.ts";

/** Size limits of shared memory items, the sender's and the receiver's alike. */
export interface SharedMemoryLimits {
  /** Most content bytes (UTF-8) in one part. */
  readonly partBytes: number;
  /** Most content bytes of a whole item. */
  readonly itemBytes: number;
  /** Most parts of one item. */
  readonly maxParts: number;
  /** Most items whose parts are being put together at once; the oldest gives way. */
  readonly pendingItems: number;
  /** How long the parts of an item wait for the rest. */
  readonly partsWaitMs: number;
}

/** The smallest part size a sender may choose (config `group.memoryPartBytes` starts there). */
export const MIN_PART_BYTES = 1024;

/**
 * The limits of parts of `partBytes` and items of `itemBytes` (config `group.memoryPartBytes`,
 * `group.memoryItemBytes`), and 100 items pending for 10 minutes. The part size is the sender's
 * choice, so a receiver takes as many parts as an item of `itemBytes` may take in parts of the
 * smallest size, cut on character boundaries (a cut moves back up to 3 bytes: 1 MiB of 3-byte
 * characters takes 17 parts of 64 KiB, not 16); the bytes of an item are bounded all the same.
 */
export function sharedMemoryLimits(
  sizes: { readonly partBytes: number; readonly itemBytes: number },
): SharedMemoryLimits {
  const { partBytes, itemBytes } = sizes;
  return Object.freeze({
    partBytes,
    itemBytes,
    maxParts: Math.ceil(itemBytes / (MIN_PART_BYTES - 3)),
    pendingItems: 100,
    partsWaitMs: 10 * 60_000,
  });
}

/**
 * The defaults: parts of 64 KiB, items of 1 MiB. A part with its envelope stays far below the
 * 1 MiB record limit of PROTOCOL.md.
 */
export const DEFAULT_SHARED_MEMORY_LIMITS: SharedMemoryLimits = sharedMemoryLimits({
  partBytes: 64 * 1024,
  itemBytes: 1024 * 1024,
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 size of a text. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Cuts `text` into slices of at most `partBytes` UTF-8 bytes, never inside a character; the
 * slices joined are `text`. An empty text is one empty slice.
 */
export function splitContent(text: string, partBytes: number): string[] {
  if (!Number.isInteger(partBytes) || partBytes < 4) {
    throw new RangeError(`A part must hold at least 4 bytes, got ${partBytes}`);
  }
  const bytes = encoder.encode(text);
  const slices: string[] = [];
  let start = 0;
  do {
    let end = Math.min(start + partBytes, bytes.length);
    // A byte 10xxxxxx continues a character: the cut moves back to where one starts.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    slices.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  } while (start < bytes.length);
  return slices;
}

/** Why an item was refused: too large, a hash that does not match, or parts that disagree. */
export type RefusalCause = "oversized" | "mis-hashed" | "malformed";

/** A whole item, put together and checked; `payload` is its first record's, content whole. */
export interface AssembledItem {
  readonly payload: MemoryPayload & { readonly content: string };
  readonly bytes: number;
}

/** What one received record did. */
export type Assembly =
  | { readonly kind: "whole"; readonly item: AssembledItem }
  | { readonly kind: "waiting" }
  | { readonly kind: "refused"; readonly cause: RefusalCause; readonly reason: string };

/**
 * Where waiting parts are kept across restarts (core/timeline `memoryParts`); `payload` is the
 * part's payload as JSON, and the journal keeps only valid JSON.
 */
export interface PartsJournal {
  put(
    part: { authorId: string; itemId: string; part: number; payload: string },
    at: Date,
  ): void;
  drop(authorId: string, itemId: string): void;
  list(): readonly { readonly payload: string; readonly receivedAt: Date }[];
}

interface Pending {
  readonly first: MemoryPayload;
  /** Part 0, whose fields (title, tags, times) the item keeps. */
  head?: MemoryPayload;
  readonly slices: Map<number, string>;
  bytes: number;
  readonly since: number;
}

/** Puts the parts of items together; see the module documentation. */
export class PartsAssembler {
  readonly #limits: SharedMemoryLimits;
  readonly #pending = new Map<string, Pending>();
  readonly #journal: PartsJournal | undefined;

  constructor(limits: SharedMemoryLimits = DEFAULT_SHARED_MEMORY_LIMITS, journal?: PartsJournal) {
    this.#limits = limits;
    this.#journal = journal;
  }

  /** Takes back the parts the journal kept (at start); returns how many items wait. */
  restore(): Promise<number> {
    for (const { payload, receivedAt } of this.#journal?.list() ?? []) {
      // The journal holds valid JSON (the timeline checks it); what no longer reads as a
      // payload (an older version's) is skipped.
      const parsed = MemoryPayload.safeParse(JSON.parse(payload));
      if (!parsed.success || typeof parsed.data.content !== "string") continue;
      const part = { ...parsed.data, content: parsed.data.content };
      this.#accept(part, receivedAt.getTime(), false);
    }
    return Promise.resolve(this.#pending.size);
  }

  /** How many items wait for parts. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Whether parts of an item wait for the rest. */
  has(authorId: string, itemId: string): boolean {
    return this.#pending.has(`${authorId}\n${itemId}`);
  }

  /** Drops the parts gathered of an item (refused for another reason, e.g. its author's quota). */
  forget(authorId: string, itemId: string): void {
    this.#drop(`${authorId}\n${itemId}`);
  }

  /**
   * Takes one record's payload (content as text; the caller refuses LFS pointers). Resolves with
   * the whole item when this was its last missing part.
   */
  accept(payload: MemoryPayload & { content: string }, now: number): Promise<Assembly> {
    return Promise.resolve(this.#accept(payload, now, true));
  }

  #accept(payload: MemoryPayload & { content: string }, now: number, keep: boolean): Assembly {
    const limits = this.#limits;
    const bytes = byteLength(payload.content);
    if (payload.part === undefined || payload.parts === undefined) {
      return this.#checked(payload, payload.content, bytes);
    }
    if (payload.parts > limits.maxParts) {
      return refused("oversized", `${payload.parts} parts, more than ${limits.maxParts}`);
    }
    if (bytes > limits.partBytes) {
      return refused("oversized", `a part of ${bytes} bytes, more than ${limits.partBytes}`);
    }
    const key = `${payload.author_id}\n${payload.item_id}`;
    let entry = this.#pending.get(key);
    if (entry === undefined) {
      if (this.#pending.size >= limits.pendingItems) this.#evictOldest();
      entry = { first: payload, slices: new Map(), bytes: 0, since: now };
      this.#pending.set(key, entry);
    }
    if (entry.first.parts !== payload.parts || entry.first.sha256 !== payload.sha256) {
      this.#drop(key);
      return refused("malformed", "its parts disagree on the number of parts or the sha256");
    }
    const known = entry.slices.get(payload.part);
    if (known !== undefined) {
      if (known === payload.content) return { kind: "waiting" };
      this.#drop(key);
      return refused("malformed", `part ${payload.part} came twice with different content`);
    }
    entry.slices.set(payload.part, payload.content);
    if (payload.part === 0) entry.head = payload;
    if (keep) {
      this.#journal?.put({
        authorId: payload.author_id,
        itemId: payload.item_id,
        part: payload.part,
        payload: JSON.stringify(payload),
      }, new Date(now));
    }
    entry.bytes += bytes;
    if (entry.bytes > limits.itemBytes) {
      this.#drop(key);
      return refused("oversized", `more than ${limits.itemBytes} bytes`);
    }
    if (entry.slices.size < payload.parts) return { kind: "waiting" };
    this.#drop(key);
    const content = [...entry.slices.entries()].sort(([a], [b]) => a - b).map(([, s]) => s)
      .join("");
    // Every part is there, part 0 too (the schema keeps `part` below `parts`).
    return this.#checked(entry.head!, content, entry.bytes);
  }

  /** Drops items whose parts waited longer than allowed; returns their `author\nitem` keys. */
  sweep(now: number): string[] {
    const gone: string[] = [];
    for (const [key, entry] of this.#pending) {
      if (now - entry.since > this.#limits.partsWaitMs) {
        this.#drop(key);
        gone.push(key);
      }
    }
    return gone;
  }

  #checked(payload: MemoryPayload, content: string, bytes: number): Assembly {
    if (bytes > this.#limits.itemBytes) {
      return refused("oversized", `${bytes} bytes, more than ${this.#limits.itemBytes}`);
    }
    const hash = contentHash(content);
    if (hash !== payload.sha256) {
      return refused("mis-hashed", `its content hashes to ${hash}, not ${payload.sha256}`);
    }
    return { kind: "whole", item: { payload: { ...payload, content }, bytes } };
  }

  #evictOldest(): void {
    const oldest = this.#pending.keys().next();
    if (!oldest.done) this.#drop(oldest.value);
  }

  #drop(key: string): void {
    const entry = this.#pending.get(key);
    if (entry === undefined) return;
    this.#pending.delete(key);
    this.#journal?.drop(entry.first.author_id, entry.first.item_id);
  }
}

function refused(cause: RefusalCause, reason: string): Assembly {
  return { kind: "refused", cause, reason };
}
