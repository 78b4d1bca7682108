/**
 * Memory in the agent's turns. Before each LLM turn the user's message is searched in memory (in
 * the zones of the turn) and the hits go into the system prompt as `# Relevant Memory`; a turn
 * that reads an untrusted memory becomes untrusted. After the turn, the question and its final
 * answer and the long tool results go to the {@link AutoIndexer} with the turn's taint and zone.
 * When the loop compacts a session, the summary is kept as `summary:<session>` (permanent, see
 * core/memory/retention.ts). At start the soul files are indexed by `## ` section as
 * `soul:<FILE>` (trusted, permanent; unchanged sections are left as they are, changed ones
 * replaced). Memory never fails a turn: a failure is reported through `warn` and the turn goes on
 * without it.
 *
 * @module
 */
import { AutoIndexer, type AutoIndexerOptions, type Memory, RRF_K } from "../memory/mod.ts";
import type { MemoryHit, SearchResult } from "../memory/mod.ts";
import type { Taint, ZoneFilter } from "../timeline/mod.ts";
import { memoryBudget, memorySection, readSoulFiles, SOUL_FILES } from "./context.ts";

/** The zones of a turn: where its new memories go and which zones its searches see. */
export interface TurnScope {
  /** The zone new memories go to (the task's zone); undefined for public. */
  readonly zone?: string | undefined;
  /** The zones searches see besides public (the task's zones). */
  readonly zones: ZoneFilter;
}

/** The scope of a turn that belongs to no group task: public memory only. */
export const PUBLIC_SCOPE: TurnScope = Object.freeze({ zones: Object.freeze(["public"]) });

/** What the prompt got from memory. */
export interface RecalledMemory {
  /** The `# Relevant Memory` section. */
  readonly section: string;
  /** The memories in the section, best first. */
  readonly hits: readonly MemoryHit[];
  /** Untrusted when any memory in the section is: the turn that reads it is tainted. */
  readonly taint: Taint;
}

/** Where a turn's memories come from. */
export interface MemoryOrigin {
  readonly taint: Taint;
  readonly zone?: string | undefined;
}

/** What the agent loop asks of memory; {@link MemoryLane} is the implementation. */
export interface TurnMemory {
  /**
   * The memories relevant to `query`, for the prompt; undefined when there are none or the search
   * failed. Hits whose text is in one of `shown` (the soul files and the summary that the prompt
   * holds anyway) are left out.
   */
  recall(
    query: string,
    scope: TurnScope,
    options?: { readonly shown?: readonly string[]; readonly signal?: AbortSignal | undefined },
  ): Promise<RecalledMemory | undefined>;
  /** Queues a question and its final answer. */
  conversation(
    turn: MemoryOrigin & { sessionKey: string; channel: string; question: string; answer: string },
  ): void;
  /** Queues a tool result (long ones only; see the AutoIndexer's filters). */
  toolResult(item: MemoryOrigin & { tool: string; argumentsJson: string; result: string }): void;
  /** Keeps a compaction summary; never throws. */
  summary(sessionKey: string, summary: string, origin: MemoryOrigin): Promise<void>;
}

/** Options of {@link MemoryLane}. */
export interface MemoryLaneOptions {
  /** Memories in the prompt (`memory.search.maxResults`, default 8); also sets the budget. */
  readonly maxResults?: number;
  /** Lowest cosine similarity of a vector match (`memory.search.minScore`; default: memory's). */
  readonly minScore?: number;
  /** Told what failed (a search, a flush); the turn goes on. */
  readonly warn?: (message: string) => void;
  /** Options of the auto-indexer (its errors go to `warn`). */
  readonly indexer?: Omit<AutoIndexerOptions, "onError">;
  /** Tools whose results are not indexed (default `recall`: they are memory already). */
  readonly skipTools?: readonly string[];
}

/** What indexing the soul files did. */
export interface SoulIndexReport {
  /** Soul files indexed (those that exist). */
  readonly files: number;
  /** Sections stored now (new or changed). */
  readonly created: number;
}

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

/** Memory for the agent loop; see the module documentation. */
export class MemoryLane implements TurnMemory, AsyncDisposable {
  readonly #memory: Memory;
  readonly #indexer: AutoIndexer;
  readonly #maxResults: number;
  readonly #minScore: number | undefined;
  readonly #warn: (message: string) => void;
  readonly #skipTools: ReadonlySet<string>;

  constructor(memory: Memory, options: MemoryLaneOptions = {}) {
    this.#memory = memory;
    this.#maxResults = options.maxResults ?? 8;
    this.#minScore = options.minScore;
    this.#warn = options.warn ?? (() => {});
    this.#skipTools = new Set(options.skipTools ?? ["recall"]);
    this.#indexer = new AutoIndexer(memory, {
      ...options.indexer,
      onError: (error) => this.#warn(`Memory could not store a batch: ${message(error)}`),
    });
  }

  /** The auto-indexer's counts: queued, dropped, stored. */
  get indexed(): AutoIndexer["counts"] {
    return this.#indexer.counts;
  }

  /**
   * Indexes the soul files of `dir` by section (see {@link Memory.indexSoulFile}); a file that is
   * gone loses its sections. Never throws: a failure is reported and the rest goes on.
   */
  async indexSoul(dir: string): Promise<SoulIndexReport> {
    let files = 0;
    let created = 0;
    let soul: Awaited<ReturnType<typeof readSoulFiles>>;
    try {
      soul = await readSoulFiles(dir);
    } catch (error) {
      this.#warn(`Cannot index the soul files in ${dir}: ${message(error)}`);
      return { files, created };
    }
    for (const name of SOUL_FILES) {
      const text = soul[name];
      try {
        created += (await this.#memory.indexSoulFile(name, text ?? "")).created;
        if (text !== undefined) files++;
      } catch (error) {
        this.#warn(`Cannot index the soul file ${name}: ${message(error)}`);
      }
    }
    return { files, created };
  }

  async recall(
    query: string,
    scope: TurnScope,
    options: { readonly shown?: readonly string[]; readonly signal?: AbortSignal | undefined } = {},
  ): Promise<RecalledMemory | undefined> {
    let result: SearchResult;
    try {
      result = await this.#memory.search(query, {
        zones: scope.zones,
        // Room for the hits left out because the prompt already shows them.
        limit: Math.min(100, this.#maxResults * 2),
        ...(this.#minScore === undefined ? {} : { minScore: this.#minScore }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (!options.signal?.aborted) {
        this.#warn(`Memory search failed; the turn goes on without memory: ${message(error)}`);
      }
      return undefined;
    }
    const shown = options.shown ?? [];
    const hits = result.hits.filter((h) => !shown.some((s) => s.includes(h.content)))
      .slice(0, this.#maxResults);
    // The fused score as a share of the best possible: rank 1 in every ranking searched.
    const best = (result.mode === "hybrid" ? 2 : 1) / (RRF_K + 1);
    const section = memorySection(
      hits.map((h) => ({ source: h.source, relevance: h.score / best, text: h.content })),
      memoryBudget(this.#maxResults),
    );
    if (section.shown === 0) return undefined;
    const read = hits.slice(0, section.shown);
    return {
      section: section.text,
      hits: read,
      taint: read.some((h) => h.taint !== "trusted") ? "untrusted" : "trusted",
    };
  }

  conversation(
    turn: MemoryOrigin & { sessionKey: string; channel: string; question: string; answer: string },
  ): void {
    this.#indexer.addConversation({
      channel: turn.channel,
      chatId: turn.sessionKey,
      question: turn.question,
      answer: turn.answer,
      taint: turn.taint,
      zone: turn.zone,
    });
  }

  toolResult(item: MemoryOrigin & { tool: string; argumentsJson: string; result: string }): void {
    if (this.#skipTools.has(item.tool)) return;
    const path = item.tool === "read_file" ? pathOf(item.argumentsJson) : undefined;
    this.#indexer.addToolResult({
      tool: item.tool,
      result: item.result,
      taint: item.taint,
      zone: item.zone,
      ...(path === undefined ? {} : { path }),
    });
  }

  async summary(sessionKey: string, summary: string, origin: MemoryOrigin): Promise<void> {
    if (summary.trim() === "") return;
    try {
      await this.#memory.indexSummary(sessionKey, summary, origin);
    } catch (error) {
      this.#warn(`Cannot keep the summary of ${sessionKey} in memory: ${message(error)}`);
    }
  }

  /** Stores what the auto-indexer still holds; it takes nothing more. */
  close(): Promise<void> {
    return this.#indexer.close();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The `path` argument of a call, when it has one. */
function pathOf(argumentsJson: string): string | undefined {
  try {
    const path = (JSON.parse(argumentsJson) as { path?: unknown } | null)?.path;
    return typeof path === "string" ? path : undefined;
  } catch {
    return undefined;
  }
}
