/**
 * Memory's vectors (`memory_vectors`, schema step 8): one row per chunk that has a vector, with
 * its binary code, the model that made it and the chunk's zone; each model's mean; and the log of
 * deleted rows by which a process that holds the codes in memory follows what other processes
 * change. The codes and the mean are computed by core/memory; this store keeps them and answers
 * in SQL.
 *
 * A row exists exactly while its chunk's `embedding_model` names the row's model: both are
 * written in one transaction, and a deleted chunk takes its vector with it (the foreign key's
 * cascade), on any connection, with or without sqlite-vec. A row's model and zone never change (a
 * chunk's zone is part of its identity). The distance of a search is sqlite-vec's
 * `vec_distance_cosine` (0 same direction, 2 opposite), so searching needs the extension; storing
 * does not.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { blob, int, optText, real, text } from "./_row.ts";
import { type MemoryChunk, toChunk, visible, type ZoneFilter, zoneParams } from "./_chunk_row.ts";

/** Vector rows' codes, for the codes held in memory: three lists in one order. */
export interface StoredCodes {
  /** The rows' ids (never reused; a replaced vector gets a new one), not necessarily sorted. */
  readonly ids: readonly number[];
  /** The chunks' zones; null for public. */
  readonly zones: readonly (string | null)[];
  /** The codes, one after another, all of one length. */
  readonly codes: Uint8Array;
}

/** A deleted vector row, from the log of the last 10,000. */
export interface GoneVector {
  /** Its place in the log: consecutive, so a gap says that entries were dropped. */
  readonly id: number;
  /** The id the vector row had. */
  readonly vectorId: number;
}

/** Options of {@link ChunkVectorStore.nearest}. */
export interface NearestOptions {
  readonly zones: ZoneFilter;
  readonly k: number;
  readonly model: string;
  /** The vector rows to rank (by id); every row of `model` when undefined. */
  readonly among?: readonly number[];
}

/** Bytes of a Float32Array, to bind as a blob. */
function bytes(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A blob of float32 numbers as a Float32Array (copied: a blob's bytes need not be aligned). */
function floats(data: Uint8Array): Float32Array {
  return new Float32Array(data.slice().buffer);
}

/** The `memory.vectors` repository of a Timeline. */
export class ChunkVectorStore {
  readonly #db: Db;
  #version: string | null | undefined;

  /** Used by MemoryStore; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** The sqlite-vec version when the extension is loaded on this connection. */
  version(): string | undefined {
    if (this.#version === undefined) {
      try {
        this.#version = text(this.#db.get("SELECT vec_version() AS v")!, "v");
      } catch {
        this.#version = null;
      }
    }
    return this.#version ?? undefined;
  }

  /** The size of the stored vectors, when there are any. */
  dimension(): number | undefined {
    const row = this.#db.get("SELECT length(vector) / 4 AS n FROM memory_vectors LIMIT 1");
    return row && int(row, "n");
  }

  /**
   * Stores a chunk's vector made by `model`, with its code when the model has a mean, replacing
   * any vector it had (the old row is logged as gone). False when there is no such chunk.
   */
  set(seq: number, model: string, vector: Float32Array, code: Uint8Array | undefined): boolean {
    return this.#db.tx(() => {
      const chunk = this.#db.get("SELECT zone FROM memory_chunks WHERE seq = ?", seq);
      if (chunk === undefined) return false;
      this.#db.run("DELETE FROM memory_vectors WHERE seq = ?", seq);
      this.#db.run(
        "INSERT INTO memory_vectors (seq, model, zone, code, vector) VALUES (?, ?, ?, ?, ?)",
        seq,
        model,
        optText(chunk, "zone"),
        code,
        bytes(vector),
      );
      this.#db.run("UPDATE memory_chunks SET embedding_model = ? WHERE seq = ?", model, seq);
      return true;
    });
  }

  /** How many vectors `model` made. */
  count(model: string): number {
    return int(
      this.#db.get("SELECT count(*) AS n FROM memory_vectors WHERE model = ?", model)!,
      "n",
    );
  }

  /** The first `limit` vectors `model` made that are still stored, oldest first. */
  first(model: string, limit: number): Float32Array[] {
    return this.#db.all(
      "SELECT vector FROM memory_vectors WHERE model = ? ORDER BY id LIMIT ?",
      model,
      limit,
    ).map((row) => floats(blob(row, "vector")));
  }

  /** The mean stored for `model`'s vectors of `dimension`, if any. */
  mean(model: string, dimension: number): Float32Array | undefined {
    const row = this.#db.get(
      "SELECT mean FROM memory_vector_means WHERE model = ? AND dimension = ?",
      model,
      dimension,
    );
    return row && floats(blob(row, "mean"));
  }

  /** Stores the mean of `model`'s vectors; a mean once stored is kept (the first one wins). */
  saveMean(model: string, mean: Float32Array): void {
    this.#db.run(
      `INSERT INTO memory_vector_means (model, dimension, mean, created_at) VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING`,
      model,
      mean.length,
      bytes(mean),
      this.#db.now(),
    );
  }

  /** Up to `limit` vectors of `model` stored without a code, by row id after `afterId`. */
  uncoded(
    model: string,
    options: { readonly afterId: number; readonly limit: number },
  ): { id: number; vector: Float32Array }[] {
    return this.#db.all(
      `SELECT id, vector FROM memory_vectors WHERE code IS NULL AND model = ? AND id > ?
        ORDER BY id LIMIT ?`,
      model,
      options.afterId,
      options.limit,
    ).map((row) => ({ id: int(row, "id"), vector: floats(blob(row, "vector")) }));
  }

  /** Gives a vector row its code (the row keeps its id). */
  setCode(id: number, code: Uint8Array): void {
    this.#db.run("UPDATE memory_vectors SET code = ? WHERE id = ?", code, id);
  }

  /**
   * The codes of `model`'s vector rows after row `afterId`. Once a model has a mean, each of its
   * rows has a code (core/memory/stored_vectors.ts); before, there are none. Read through the
   * covering index, without the vectors, and packed into three values instead of a row each
   * (100,000 rows as objects cost several times the query).
   */
  codes(model: string, afterId: number): StoredCodes {
    const row = this.#db.get(
      `SELECT json_group_array(id) AS ids, json_group_array(zone) AS zones,
          coalesce(group_concat(hex(code), ''), '') AS codes
        FROM memory_vectors INDEXED BY memory_vectors_codes
        WHERE id > ? AND model = ? AND code IS NOT NULL`,
      afterId,
      model,
    )!;
    return {
      ids: JSON.parse(text(row, "ids")),
      zones: JSON.parse(text(row, "zones")),
      codes: Uint8Array.fromHex(text(row, "codes")),
    };
  }

  /** The newest entry of the log of deleted rows (0 when it is empty). */
  lastGone(): number {
    return int(this.#db.get("SELECT coalesce(max(id), 0) AS n FROM memory_vectors_gone")!, "n");
  }

  /** The log of deleted rows after entry `afterId`, oldest first. */
  goneSince(afterId: number): GoneVector[] {
    return this.#db.all(
      "SELECT id, vector_id FROM memory_vectors_gone WHERE id > ? ORDER BY id",
      afterId,
    ).map((row) => ({ id: int(row, "id"), vectorId: int(row, "vector_id") }));
  }

  /**
   * The `k` chunks nearest to `query` among the given vector rows (or all of `model`'s), nearest
   * first, with their cosine distance: only chunks the zones see and whose vector `model` made,
   * read now, so a chunk deleted or replaced meanwhile is simply not there. Needs sqlite-vec.
   *
   * Given rows are ranked by distance alone, and only the `k` nearest are joined to their
   * chunks: the caller picked rows of `model` that the zones see (a row's zone and model never
   * change), so the filter after the join only guards against a caller that did not.
   */
  nearest(
    query: Float32Array,
    options: NearestOptions,
  ): { chunk: MemoryChunk; distance: number }[] {
    const filter = `c.embedding_model = ?4 AND ${visible(2, 3)}`;
    const sql = options.among === undefined
      ? `SELECT c.*, vec_distance_cosine(v.vector, ?1) AS distance FROM memory_vectors v
          CROSS JOIN memory_chunks c ON c.seq = v.seq WHERE ${filter}
          ORDER BY distance, c.seq DESC LIMIT ?6`
      : `WITH near AS (SELECT v.seq, vec_distance_cosine(v.vector, ?1) AS distance
            FROM json_each(?5) p CROSS JOIN memory_vectors v ON v.id = p.value
            ORDER BY distance, v.seq DESC LIMIT ?6)
          SELECT c.*, near.distance FROM near CROSS JOIN memory_chunks c ON c.seq = near.seq
          WHERE ${filter} ORDER BY near.distance, c.seq DESC`;
    return this.#db.all(
      sql,
      bytes(query),
      ...zoneParams(options.zones),
      options.model,
      options.among === undefined ? undefined : JSON.stringify(options.among),
      options.k,
    ).map((row: Row) => ({ chunk: toChunk(row), distance: real(row, "distance") }));
  }

  /**
   * Forgets the vectors that `model` did not make (a changed model); returns how many chunks
   * lost their vector.
   */
  clearForeign(model: string): number {
    return this.#db.tx(() => {
      this.#db.run("DELETE FROM memory_vectors WHERE model != ?", model);
      return this.#db.run(
        "UPDATE memory_chunks SET embedding_model = NULL WHERE embedding_model != ?",
        model,
      );
    });
  }

  /** Forgets every vector (their size changed); every chunk is then without one. */
  clear(): void {
    this.#db.tx(() => {
      this.#db.run("DELETE FROM memory_vectors");
      this.#db.run("UPDATE memory_chunks SET embedding_model = NULL");
    });
  }

  /**
   * Moves the vectors of an older timeline's sqlite-vec table (`memory_vec`, before schema step
   * 8) here and drops that table, in one transaction; chunks whose vector it lacked lose their
   * model, so a re-index embeds them. Needs the extension (only it reads that table); without
   * it, or once done, it does nothing. Returns how many vectors moved.
   */
  adoptVec0(): number {
    const old = "SELECT 1 AS found FROM sqlite_master WHERE name = 'memory_vec'";
    if (this.version() === undefined || this.#db.get(old) === undefined) return 0;
    return this.#db.tx(() => {
      // Another process may have moved them since the look above: then the table is made again,
      // empty, so that this one moves nothing and drops it, as that one did.
      this.#db.raw.exec(
        "CREATE VIRTUAL TABLE IF NOT EXISTS memory_vec USING vec0 (embedding float[1])",
      );
      const moved = this.#db.run(
        `INSERT INTO memory_vectors (seq, model, zone, vector)
          SELECT c.seq, c.embedding_model, c.zone, m.embedding FROM memory_vec m
          CROSS JOIN memory_chunks c ON c.seq = m.rowid WHERE c.embedding_model IS NOT NULL
          ORDER BY c.seq`,
      );
      this.#db.run(
        `UPDATE memory_chunks SET embedding_model = NULL WHERE embedding_model IS NOT NULL
          AND seq NOT IN (SELECT seq FROM memory_vectors)`,
      );
      this.#db.raw.exec("DROP TABLE memory_vec");
      return moved;
    });
  }
}
