/**
 * The agent's memory: chunks of text with their source, tags, taint and zone, found again by
 * hybrid search (FTS5 keywords and sqlite-vec vectors fused by reciprocal rank), or by keywords
 * alone when there is no embedding model or no sqlite-vec, which every answer says.
 *
 * @module
 */
import { DEFAULT_COMMAND } from "../config/mod.ts";
import type { Embedder } from "../provider/mod.ts";
import type { Taint, Timeline } from "../timeline/mod.ts";
import {
  chunkId,
  chunkText,
  DEFAULT_CHUNK_CHARS,
  normalizeTags,
  soulSections,
} from "./chunking.ts";
import { DEFAULT_MAX_CHUNKS, enforceCap, prune, type PruneReport } from "./retention.ts";
import { search, type SearchOptions, type SearchResult } from "./search.ts";
import type { VectorSupport } from "./sqlite_vec.ts";
import { type ReindexOptions, type ReindexResult, Vectors } from "./vectors.ts";
import { type MemoryStatus, memoryStatus } from "./report.ts";
import {
  type Expertise,
  expertise,
  recordSkillEvent,
  type SkillEvent,
  topSkills,
} from "./expertise.ts";

/** Options of {@link Memory}; everything the configuration does not say has a default. */
export interface MemoryOptions {
  /** Makes vectors; without one, memory works by keywords alone. */
  readonly embedder?: Embedder | undefined;
  /** Why there is no embedder, for status and search notices. */
  readonly embedderReason?: string | undefined;
  /** When there is none: how to search by meaning too (status says it). */
  readonly advice?: string | undefined;
  /** How loading sqlite-vec went (from {@link openWithVectors}). */
  readonly vectors?: VectorSupport | undefined;
  /** Results of a search (`memory.search.maxResults`, default 8). */
  readonly maxResults?: number;
  /** Lowest cosine similarity of a vector match (`memory.search.minScore`, default 0.22). */
  readonly minScore?: number;
  /** The chunk cap (default 50 000). */
  readonly maxChunks?: number;
  /** The longest chunk in characters (default 1200). */
  readonly chunkChars?: number;
  /** The clock of retention (default: the system clock). */
  readonly now?: () => Date;
  /** The name suggested commands start with (`kafclaw` by default; commandName). */
  readonly command?: string | undefined;
}

/** Where a memory came from and who may see it. */
export interface RememberOptions {
  /** `kind` or `kind:detail`, e.g. `user`, `conversation:telegram` (default `user`). */
  readonly source?: string;
  readonly tags?: readonly string[];
  /** Anything but `trusted` is stored as untrusted (taint fails closed). */
  readonly taint?: Taint | undefined;
  /** The zone it belongs to; undefined or `public` for public. */
  readonly zone?: string | undefined;
  /** When it expires (a group's context item): no search sees it after. Default: never. */
  readonly expiresAt?: Date | undefined;
}

/** One memory to store. */
export interface MemoryInput extends RememberOptions {
  readonly content: string;
}

/** What storing did. */
export interface RememberResult {
  /** The ids of the chunks, in order. */
  readonly ids: readonly string[];
  /** How many chunks were new. */
  readonly created: number;
  /** How many got a vector now. */
  readonly embedded: number;
  /** Why chunks were stored without vectors, when they were and a model is set. */
  readonly notice?: string;
}

/** A group's shared memory item (PROTOCOL.md `memory`). */
export interface GroupItem {
  readonly itemId: string;
  readonly authorId: string;
  readonly title?: string;
  readonly content: string;
  readonly tags?: readonly string[];
  readonly zone?: string | undefined;
  /** Untrusted unless the author's certificate says vouched. */
  readonly taint?: Taint | undefined;
  /** When a context item expires; undefined for shared memory that is kept. */
  readonly expiresAt?: Date | undefined;
}

/** See the module documentation. */
export class Memory {
  readonly #timeline: Timeline;
  readonly #vectors: Vectors;
  readonly #support: VectorSupport | undefined;
  readonly #advice: string | undefined;
  readonly #maxResults: number;
  readonly #minScore: number;
  readonly #maxChunks: number;
  readonly #chunkChars: number;
  readonly #now: () => Date;

  constructor(timeline: Timeline, options: MemoryOptions = {}) {
    this.#timeline = timeline;
    this.#support = options.vectors;
    this.#advice = options.advice;
    this.#vectors = new Vectors(timeline, {
      embedder: options.embedder,
      embedderReason: options.embedderReason,
      support: options.vectors,
      command: options.command ?? DEFAULT_COMMAND,
    });
    this.#maxResults = options.maxResults ?? 8;
    this.#minScore = options.minScore ?? 0.22;
    this.#maxChunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
    this.#chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
    this.#now = options.now ?? (() => new Date());
  }

  /** Stores text (split into chunks when long); storing it again changes nothing but the time. */
  remember(content: string, options: RememberOptions = {}): Promise<RememberResult> {
    return this.rememberMany([{ ...options, content }]);
  }

  /**
   * Stores several memories with one embedding request, then applies the chunk cap. Chunks are
   * stored even when embedding fails; they lack vectors until `reindex`, and the result says why.
   */
  async rememberMany(
    items: readonly MemoryInput[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<RememberResult> {
    const store = this.#timeline.memory;
    const stored = this.#timeline.transaction(() =>
      items.flatMap((item) => {
        const source = item.source ?? "user";
        const zone = item.zone === "public" ? undefined : item.zone;
        const taint: Taint = item.taint === "trusted" ? "trusted" : "untrusted";
        const tags = normalizeTags(item.tags ?? []);
        return chunkText(item.content, { maxChars: this.#chunkChars }).map((text) =>
          store.upsert({
            id: chunkId(source, text, zone),
            source,
            content: text,
            tags,
            taint,
            zone,
            expiresAt: item.expiresAt,
          })
        );
      })
    );
    const missing = stored.map((s) => s.chunk).filter((c) =>
      c.embeddingModel !== this.#vectors.model
    );
    let embedded = 0;
    let notice: string | undefined;
    if (missing.length > 0 && this.#vectors.model !== undefined) {
      const state = this.#vectors.state();
      if (!state.ready) notice = `stored without vectors: ${state.reason}`;
      else {
        try {
          embedded = await this.#vectors.embedChunks(missing, options.signal);
        } catch (error) {
          notice = `stored without vectors: ${(error as Error).message}`;
        }
      }
    }
    enforceCap(this.#timeline, this.#maxChunks);
    return {
      ids: stored.map((s) => s.chunk.id),
      created: stored.filter((s) => s.created).length,
      embedded,
      ...(notice === undefined ? {} : { notice }),
    };
  }

  /**
   * Indexes a soul file by its `## ` sections as source `soul:<file>` (permanent), tagged with
   * the heading, and forgets sections that are no longer in it.
   */
  async indexSoulFile(file: string, markdown: string): Promise<RememberResult> {
    const source = `soul:${file}`;
    const result = await this.rememberMany(
      soulSections(markdown).map((s) => ({
        content: s.text,
        source,
        tags: s.heading === "" ? [] : [s.heading],
        taint: "trusted",
      })),
    );
    this.#timeline.memory.deleteBySource(source, result.ids);
    return result;
  }

  /**
   * Keeps the facts of a compacted session as `summary:<sessionKey>` (permanent); each string
   * of `facts` is one memory. A session's newest summary replaces its earlier ones (each summary
   * is written from the one before), and stays untrusted once any earlier one was.
   */
  async indexSummary(
    sessionKey: string,
    facts: string | readonly string[],
    options: Pick<RememberOptions, "taint" | "zone"> = {},
  ): Promise<RememberResult> {
    const source = `summary:${sessionKey}`;
    const list = typeof facts === "string" ? [facts] : facts;
    const earlier = this.#timeline.memory.sourceTaint(source);
    const result = await this.rememberMany(list.map((content) => ({
      ...options,
      ...(earlier === "untrusted" ? { taint: "untrusted" as const } : {}),
      content,
      source,
      tags: ["summary"],
    })));
    this.#timeline.memory.deleteBySource(source, result.ids);
    return result;
  }

  /**
   * Indexes a group memory item as `group:<author>` (kept 60 days), tagged with its id; a
   * context item until it expires.
   */
  indexGroupItem(
    item: GroupItem,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<RememberResult> {
    const title = item.title?.trim();
    return this.rememberMany([{
      content: title ? `${title}\n\n${item.content}` : item.content,
      source: `group:${item.authorId}`,
      tags: [...(item.tags ?? []), `item:${item.itemId}`],
      taint: item.taint,
      zone: item.zone,
      expiresAt: item.expiresAt,
    }], options);
  }

  /**
   * Deletes the memories that expired (context items) by the system clock, which searches judge
   * expiry by (not the clock of retention); returns how many chunks.
   */
  purgeExpired(): number {
    return this.#timeline.memory.deleteExpiredAt();
  }

  /** Hybrid search (see {@link search}). */
  search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    return search(this.#timeline, this.#vectors, query, {
      limit: this.#maxResults,
      minScore: this.#minScore,
      ...options,
    });
  }

  /** Counts, the search mode and why, and how far the vectors are. */
  status(): MemoryStatus {
    return memoryStatus(this.#timeline, this.#vectors, {
      support: this.#support,
      maxChunks: this.#maxChunks,
      advice: this.#advice,
    });
  }

  /** Re-embeds chunks for the configured model; without `confirm`, only says what it would do. */
  reindex(options: ReindexOptions = {}): Promise<ReindexResult> {
    return this.#vectors.reindex(options);
  }

  /** Applies retention and the cap (see retention.ts). */
  prune(): PruneReport {
    return prune(this.#timeline, { now: this.#now(), maxChunks: this.#maxChunks });
  }

  /** Records a use of a skill (see expertise.ts). */
  recordSkillEvent(event: SkillEvent): Expertise {
    return recordSkillEvent(this.#timeline, event);
  }

  /** A skill's record, if it was ever used. */
  expertise(skill: string): Expertise | undefined {
    return expertise(this.#timeline, skill);
  }

  /** The best skills by score. */
  topSkills(limit?: number): Expertise[] {
    return topSkills(this.#timeline, limit);
  }
}
