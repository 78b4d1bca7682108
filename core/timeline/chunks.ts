/**
 * Memory chunks (`memory_chunks`) with their FTS5 index (`memory_fts`, kept in step by triggers),
 * and their vectors (`memory.vectors`, chunk_vectors.ts). A chunk counts as having a vector while
 * its `embedding_model` names the model that made it.
 *
 * Zones: a chunk without a zone is in `public`. A search sees public chunks and the chunks of the
 * zones it is given, or every chunk for `"all"`.
 *
 * @module
 */
import type { Db } from "./_db.ts";
import {
  type MemoryChunk,
  SQL_NOW,
  toChunk,
  visible,
  type ZoneFilter,
  zoneParams,
} from "./_chunk_row.ts";
import { date, int, optText, real, text } from "./_row.ts";
import { ChunkVectorStore } from "./chunk_vectors.ts";
import type { Taint } from "./types.ts";

export type { MemoryChunk, ZoneFilter } from "./_chunk_row.ts";

/** A chunk to store; `id` is derived from its content by the caller. */
export interface ChunkInput {
  readonly id: string;
  readonly source: string;
  readonly content: string;
  readonly tags: readonly string[];
  readonly taint: Taint;
  /** The zone it belongs to; undefined for public. */
  readonly zone?: string | undefined;
  /** When it expires (a group's context item); undefined: never. */
  readonly expiresAt?: Date | undefined;
}

/** Counts by source kind (the part of `source` before the first colon). */
export interface KindCount {
  readonly kind: string;
  readonly count: number;
  readonly oldest: Date;
}

/** Counts by embedding model (undefined: chunks without a vector). */
export interface ModelCount {
  readonly model: string | undefined;
  readonly count: number;
}

const KIND = "CASE WHEN instr(source, ':') > 0 THEN substr(source, 1, instr(source, ':') - 1) " +
  "ELSE source END";

/** The `memory` repository of a Timeline. */
export class MemoryStore {
  readonly #db: Db;
  /** The chunks' vectors and codes. */
  readonly vectors: ChunkVectorStore;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
    this.vectors = new ChunkVectorStore(db);
  }

  /**
   * Stores a chunk, or refreshes the one with its id: the tags are merged, the time updated, the
   * taint becomes untrusted if either is (taint fails closed), and it expires at the later of the
   * two expiries (never, if either never does). Returns it and whether it is new.
   */
  upsert(input: ChunkInput): { chunk: MemoryChunk; created: boolean } {
    return this.#db.tx(() => {
      const now = this.#db.now();
      const old = this.get(input.id);
      if (old === undefined) {
        const row = this.#db.get(
          `INSERT INTO memory_chunks
            (id, source, content, tags, taint, zone, expires_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          input.id,
          input.source,
          input.content,
          input.tags.join(", "),
          input.taint,
          input.zone,
          input.expiresAt,
          now,
          now,
        )!;
        return { chunk: toChunk(row), created: true };
      }
      const tags = [...new Set([...old.tags, ...input.tags])].join(", ");
      const taint = old.taint === "untrusted" ? old.taint : input.taint;
      const expiresAt = old.expiresAt === undefined || input.expiresAt === undefined
        ? undefined
        : new Date(Math.max(old.expiresAt.getTime(), input.expiresAt.getTime()));
      const row = this.#db.get(
        `UPDATE memory_chunks SET tags = ?, taint = ?, expires_at = ?, updated_at = ? WHERE seq = ?
          RETURNING *`,
        tags,
        taint,
        expiresAt,
        now,
        old.seq,
      )!;
      return { chunk: toChunk(row), created: false };
    });
  }

  /** A chunk by id. */
  get(id: string): MemoryChunk | undefined {
    const row = this.#db.get("SELECT * FROM memory_chunks WHERE id = ?", id);
    return row && toChunk(row);
  }

  /** How many chunks there are. */
  count(): number {
    return int(this.#db.get("SELECT count(*) AS n FROM memory_chunks")!, "n");
  }

  /** Chunks by source kind, most first. */
  kinds(): KindCount[] {
    return this.#db.all(
      `SELECT ${KIND} AS kind, count(*) AS n, min(updated_at) AS oldest FROM memory_chunks
        GROUP BY kind ORDER BY n DESC, kind`,
    ).map((row) => ({
      kind: text(row, "kind"),
      count: int(row, "n"),
      oldest: date(row, "oldest"),
    }));
  }

  /** Chunks by embedding model, most first. */
  models(): ModelCount[] {
    return this.#db.all(
      `SELECT embedding_model AS model, count(*) AS n FROM memory_chunks
        GROUP BY embedding_model ORDER BY n DESC, model`,
    ).map((row) => ({ model: optText(row, "model"), count: int(row, "n") }));
  }

  /** Whether any chunk holds a vector of `model` (the model index answers: no scan). */
  hasModel(model: string): boolean {
    return this.#db.get(
      "SELECT 1 AS found FROM memory_chunks WHERE embedding_model = ? LIMIT 1",
      model,
    ) !== undefined;
  }

  /**
   * Chunks whose vectors a model other than `model` made, by model. Asked before every vector
   * search, so the common answer (none) comes from the model index alone.
   */
  foreignModels(model: string): ModelCount[] {
    const any = this.#db.get(
      "SELECT 1 AS found FROM memory_chunks WHERE embedding_model < ?1 OR embedding_model > ?1 LIMIT 1",
      model,
    );
    if (any === undefined) return [];
    return this.models().filter((m) => m.model !== undefined && m.model !== model);
  }

  /**
   * Full-text search: `match` is an FTS5 query, ranked by bm25 (content weighs twice the tags),
   * best first, with the rank (lower is better).
   *
   * FTS5 ranks its matches alone, and only the best of them are joined to their chunks for the
   * zone filter: when too few of those are visible, it ranks again four times deeper, so the
   * answer is the one a join of every match would give, at a fraction of its cost.
   */
  keywordSearch(
    match: string,
    options: { readonly zones: ZoneFilter; readonly limit: number },
  ): { chunk: MemoryChunk; rank: number }[] {
    const [zones, all] = zoneParams(options.zones);
    for (let depth = options.limit * 2;; depth *= 4) {
      const ranked = new Map(
        this.#db.all(
          `SELECT rowid AS seq, bm25(memory_fts, 1.0, 0.5) AS rank FROM memory_fts
            WHERE memory_fts MATCH ? ORDER BY rank, rowid DESC LIMIT ?`,
          match,
          depth,
        ).map((row) => [int(row, "seq"), real(row, "rank")]),
      );
      // Nothing matched (a search whose words no chunk holds): no chunk to join.
      if (ranked.size === 0) return [];
      const rows = this.#db.all(
        `SELECT c.* FROM json_each(?1) r JOIN memory_chunks c ON c.seq = r.value
          WHERE ${visible(2, 3)} ORDER BY r.key LIMIT ?4`,
        JSON.stringify([...ranked.keys()]),
        zones,
        all,
        options.limit,
      );
      if (rows.length === options.limit || ranked.size < depth) {
        return rows.map((row) => ({ chunk: toChunk(row), rank: ranked.get(int(row, "seq"))! }));
      }
    }
  }

  /** Chunks without a vector of `model`, in `seq` order after `afterSeq`. */
  withoutVector(model: string, options: { readonly afterSeq: number; readonly limit: number }) {
    return this.#db.all(
      `SELECT * FROM memory_chunks WHERE (embedding_model IS NULL OR embedding_model != ?)
        AND seq > ? ORDER BY seq LIMIT ?`,
      model,
      options.afterSeq,
      options.limit,
    ).map(toChunk);
  }

  /**
   * The taint of what `source` holds: untrusted when any of its chunks is, trusted when it has
   * chunks and none is, undefined when it has none.
   */
  sourceTaint(source: string): Taint | undefined {
    const row = this.#db.get(
      `SELECT max(taint = 'untrusted') AS untrusted FROM memory_chunks WHERE source = ?
        HAVING count(*) > 0`,
      source,
    );
    return row === undefined ? undefined : Number(row.untrusted) === 1 ? "untrusted" : "trusted";
  }

  /** Deletes the chunks of `source` whose ids are not in `keep`; returns how many. */
  deleteBySource(source: string, keep: readonly string[]): number {
    return this.#delete(
      "SELECT seq FROM memory_chunks WHERE source = ?1 AND id NOT IN (SELECT value FROM json_each(?2))",
      source,
      JSON.stringify(keep),
    );
  }

  /**
   * Deletes the chunks of a source kind (`conversation` covers `conversation:…`) not updated since
   * `before`; returns how many.
   */
  deleteExpired(kind: string, before: Date): number {
    return this.#delete(
      `SELECT seq FROM memory_chunks WHERE (source = ?1 OR substr(source, 1, length(?1) + 1) = ?1 || ':')
        AND updated_at < ?2`,
      kind,
      before,
    );
  }

  /**
   * Deletes the chunks that expired at `now` or before (context items), by default now on the
   * system clock, which searches judge expiry by; returns how many.
   */
  deleteExpiredAt(now?: Date): number {
    return this.#delete(
      `SELECT seq FROM memory_chunks WHERE expires_at IS NOT NULL
        AND expires_at <= coalesce(?1, ${SQL_NOW})`,
      now,
    );
  }

  /** Deletes the `count` least recently updated chunks whose kind is not in `keep`. */
  deleteOldest(count: number, keep: readonly string[]): number {
    return this.#delete(
      `SELECT seq FROM memory_chunks WHERE ${KIND} NOT IN (SELECT value FROM json_each(?1))
        ORDER BY updated_at, seq LIMIT ?2`,
      JSON.stringify(keep),
      count,
    );
  }

  /** Deletes the chunks that `select` names by seq (their vectors go with them). */
  #delete(select: string, ...params: (string | number | Date | undefined)[]): number {
    return this.#db.run(`DELETE FROM memory_chunks WHERE seq IN (${select})`, ...params);
  }
}
