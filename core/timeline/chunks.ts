/**
 * Memory chunks (`memory_chunks`) with their FTS5 index (`memory_fts`, kept in step by triggers)
 * and a sqlite-vec `vec0` index (`memory_vec`). The vector index is not part of the migrations: it
 * exists only where the sqlite-vec extension is loaded, its size follows the embedding model, and
 * a connection without the extension must still read and write chunks. So this repository creates
 * it on request, keeps it in step by hand, and checks that the extension is there before touching
 * it. A chunk's vector is keyed by its `seq` (a BigInt rowid for vec0) and counts only while the
 * chunk's `embedding_model` names the model that made it.
 *
 * Zones: a chunk without a zone is in `public`. A search sees public chunks and the chunks of the
 * zones it is given, or every chunk for `"all"`.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { date, int, optText, real, text } from "./_row.ts";
import type { Taint } from "./types.ts";

/** A chunk to store; `id` is derived from its content by the caller. */
export interface ChunkInput {
  readonly id: string;
  readonly source: string;
  readonly content: string;
  readonly tags: readonly string[];
  readonly taint: Taint;
  /** The zone it belongs to; undefined for public. */
  readonly zone?: string | undefined;
}

/** A stored chunk. */
export interface MemoryChunk {
  readonly seq: number;
  readonly id: string;
  readonly source: string;
  readonly content: string;
  readonly tags: readonly string[];
  readonly taint: Taint;
  /** Undefined for public. */
  readonly zone: string | undefined;
  /** The model its vector came from; undefined while it has none. */
  readonly embeddingModel: string | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Which zones a search sees besides public: the given ones, or every zone. */
export type ZoneFilter = readonly string[] | "all";

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
/** Public chunks, and those of the zones in JSON parameter ?2 (every zone when ?3 is 1). */
const VISIBLE = "(c.zone IS NULL OR ?3 = 1 OR c.zone IN (SELECT value FROM json_each(?2)))";

function toChunk(row: Row): MemoryChunk {
  const tags = text(row, "tags");
  return {
    seq: int(row, "seq"),
    id: text(row, "id"),
    source: text(row, "source"),
    content: text(row, "content"),
    tags: tags === "" ? [] : tags.split(", "),
    taint: text(row, "taint") as Taint,
    zone: optText(row, "zone"),
    embeddingModel: optText(row, "embedding_model"),
    createdAt: date(row, "created_at"),
    updatedAt: date(row, "updated_at"),
  };
}

function zoneParams(zones: ZoneFilter): [string, number] {
  return zones === "all" ? ["[]", 1] : [JSON.stringify(zones), 0];
}

/** The `memory` repository of a Timeline. */
export class MemoryStore {
  readonly #db: Db;
  #vec: string | null | undefined;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Stores a chunk, or refreshes the one with its id: the tags are merged, the time updated, and
   * the taint becomes untrusted if either is (taint fails closed). Returns it and whether it is new.
   */
  upsert(input: ChunkInput): { chunk: MemoryChunk; created: boolean } {
    return this.#db.tx(() => {
      const now = this.#db.now();
      const old = this.get(input.id);
      if (old === undefined) {
        const row = this.#db.get(
          `INSERT INTO memory_chunks (id, source, content, tags, taint, zone, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          input.id,
          input.source,
          input.content,
          input.tags.join(", "),
          input.taint,
          input.zone,
          now,
          now,
        )!;
        return { chunk: toChunk(row), created: true };
      }
      const tags = [...new Set([...old.tags, ...input.tags])].join(", ");
      const taint = old.taint === "untrusted" ? old.taint : input.taint;
      const row = this.#db.get(
        "UPDATE memory_chunks SET tags = ?, taint = ?, updated_at = ? WHERE seq = ? RETURNING *",
        tags,
        taint,
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
      const rows = this.#db.all(
        `SELECT c.* FROM json_each(?1) r JOIN memory_chunks c ON c.seq = r.value
          WHERE ${VISIBLE} ORDER BY r.key LIMIT ?4`,
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

  /** The sqlite-vec version when the extension is loaded on this connection. */
  vectorVersion(): string | undefined {
    if (this.#vec === undefined) {
      try {
        this.#vec = text(this.#db.get("SELECT vec_version() AS v")!, "v");
      } catch {
        this.#vec = null;
      }
    }
    return this.#vec ?? undefined;
  }

  /** The size of the vectors in the index, if it exists. */
  vectorDimension(): number | undefined {
    const row = this.#db.get(
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'memory_vec'",
    );
    const match = row && /float\[(\d+)\]/.exec(text(row, "sql"));
    return match ? Number(match[1]) : undefined;
  }

  /** Creates the vector index for vectors of `dimension` (needs the extension). */
  createVectorIndex(dimension: number): void {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > 8192) {
      throw new RangeError(
        `A vector dimension must be an integer from 1 to 8192, got ${dimension}`,
      );
    }
    this.#db.raw.exec(
      "CREATE VIRTUAL TABLE memory_vec USING vec0 " +
        `(zone text, embedding float[${dimension}] distance_metric=cosine)`,
    );
  }

  /** Drops the vector index; every chunk is then without a vector. */
  dropVectorIndex(): void {
    this.#db.tx(() => {
      this.#db.raw.exec("DROP TABLE IF EXISTS memory_vec");
      this.#db.run("UPDATE memory_chunks SET embedding_model = NULL");
    });
  }

  /** Stores a chunk's vector, made by `model`, replacing any it had. */
  setVector(seq: number, model: string, vector: Float32Array): void {
    this.#db.tx(() => {
      const row = this.#db.get("SELECT zone FROM memory_chunks WHERE seq = ?", seq);
      if (row === undefined) return;
      this.#db.run("DELETE FROM memory_vec WHERE rowid = ?", BigInt(seq));
      this.#db.run(
        "INSERT INTO memory_vec (rowid, zone, embedding) VALUES (?, ?, ?)",
        BigInt(seq),
        optText(row, "zone") ?? "public",
        new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength),
      );
      this.#db.run("UPDATE memory_chunks SET embedding_model = ? WHERE seq = ?", model, seq);
    });
  }

  /**
   * The `k` chunks nearest to `vector` whose vectors `model` made, nearest first, with their
   * cosine distance (0 same direction, 2 opposite).
   */
  vectorSearch(
    vector: Float32Array,
    options: { readonly zones: ZoneFilter; readonly k: number; readonly model: string },
  ): { chunk: MemoryChunk; distance: number }[] {
    const filter = options.zones === "all" ? "" : "AND zone IN (SELECT value FROM json_each(?3))";
    return this.#db.all(
      `WITH knn AS (SELECT rowid, distance FROM memory_vec
          WHERE embedding MATCH ?1 AND k = ?2 ${filter})
        SELECT c.*, knn.distance FROM knn JOIN memory_chunks c ON c.seq = knn.rowid
        WHERE c.embedding_model = ?4 ORDER BY knn.distance, c.seq DESC`,
      new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength),
      options.k,
      options.zones === "all" ? undefined : JSON.stringify(["public", ...options.zones]),
      options.model,
    ).map((row) => ({ chunk: toChunk(row), distance: real(row, "distance") }));
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
   * Forgets the vectors that `model` did not make (a changed model) and orphaned vectors; returns
   * how many chunks lost their vector.
   */
  clearForeignVectors(model: string): number {
    return this.#db.tx(() => {
      const seqs = this.#db.all(
        "SELECT seq FROM memory_chunks WHERE embedding_model IS NOT NULL AND embedding_model != ?",
        model,
      ).map((row) => int(row, "seq"));
      this.#db.run(
        "UPDATE memory_chunks SET embedding_model = NULL WHERE embedding_model != ?",
        model,
      );
      this.purgeOrphanVectors();
      return seqs.length;
    });
  }

  /**
   * Deletes vectors whose chunk is gone or has no vector model (left by a connection without
   * sqlite-vec); returns how many. Does nothing without the extension or the index.
   */
  purgeOrphanVectors(): number {
    if (this.vectorVersion() === undefined || this.vectorDimension() === undefined) return 0;
    return this.#db.run(
      `DELETE FROM memory_vec WHERE rowid NOT IN
        (SELECT seq FROM memory_chunks WHERE embedding_model IS NOT NULL)`,
    );
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

  /** Deletes the `count` least recently updated chunks whose kind is not in `keep`. */
  deleteOldest(count: number, keep: readonly string[]): number {
    return this.#delete(
      `SELECT seq FROM memory_chunks WHERE ${KIND} NOT IN (SELECT value FROM json_each(?1))
        ORDER BY updated_at, seq LIMIT ?2`,
      JSON.stringify(keep),
      count,
    );
  }

  #delete(select: string, ...params: (string | number | Date)[]): number {
    return this.#db.tx(() => {
      const seqs = this.#db.all(select, ...params).map((row) => int(row, "seq"));
      const vectors = this.vectorVersion() !== undefined && this.vectorDimension() !== undefined;
      for (const seq of seqs) {
        if (vectors) this.#db.run("DELETE FROM memory_vec WHERE rowid = ?", BigInt(seq));
        this.#db.run("DELETE FROM memory_chunks WHERE seq = ?", seq);
      }
      return seqs.length;
    });
  }
}
